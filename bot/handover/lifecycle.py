"""A handover's life: which change is allowed from which state.

The one place these rules live; who may make each change is the access matrix's to say
(``bot.handover.access``). ``storage`` applies a change as a compare-and-set, so a rule checked here
against a stale read can never apply twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.handover import access
from bot.handover.access import Role
from storage.models import OPEN_STATES, EventKind, State

__all__ = ["RULES", "Action", "NotPermitted", "Role", "Rule", "WrongState", "check", "who_may"]


class Action(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    CONTACT = "contact"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    ROUTE_BY_HAND = "route_by_hand"
    REOPEN = "reopen"


@dataclass(frozen=True)
class Rule:
    allowed_from: frozenset[State]
    event: EventKind
    # None: decided by routing (declined handovers go on, or to the coordinators).
    to: State | None
    verb: str


RULES: dict[Action, Rule] = {
    Action.ACCEPT: Rule(
        frozenset({State.PENDING}),
        EventKind.ACCEPTED,
        State.ACCEPTED,
        "accept",
    ),
    Action.DECLINE: Rule(
        frozenset({State.PENDING}),
        EventKind.DECLINED,
        None,
        "decline",
    ),
    Action.CONTACT: Rule(
        frozenset({State.ACCEPTED}),
        EventKind.CONTACTED,
        State.CONTACTED,
        "record first contact for",
    ),
    # "Could not contact" is an outcome too, so an accepted handover may close directly.
    Action.CLOSE: Rule(
        frozenset({State.ACCEPTED, State.CONTACTED}),
        EventKind.CLOSED,
        State.CLOSED,
        "record the outcome of",
    ),
    Action.WITHDRAW: Rule(
        frozenset(OPEN_STATES),
        EventKind.WITHDRAWN,
        State.WITHDRAWN,
        "withdraw",
    ),
    # A coordinator re-opens a finished handover; it comes back to them to route by hand.
    Action.REOPEN: Rule(
        frozenset({State.CLOSED, State.WITHDRAWN}),
        EventKind.REOPENED,
        State.UNMATCHED,
        "re-open",
    ),
    Action.ROUTE_BY_HAND: Rule(
        frozenset({State.UNMATCHED, State.PENDING}),
        EventKind.ROUTED_BY_HAND,
        State.PENDING,
        "route",
    ),
}


class NotPermitted(Exception):
    """The actor holds none of the roles the action needs."""


class WrongState(Exception):
    """The handover is not in a state the action applies from."""


def check(action: Action, state: State | str, roles: set[Role]) -> Rule:
    rule = RULES[action]
    if not access.allowed(action, roles):
        raise NotPermitted(action)
    if State(state) not in rule.allowed_from:
        raise WrongState(action)
    return rule


def who_may(action: Action) -> frozenset[Role]:
    return access.who(action)
