"""A handover's life (PRODUCT.md): every action, from every state, by every set of roles.

The expectation is written out here as its own table, not read from ``RULES``, so a change
to the rules that breaks the product's promise fails a test.
"""

from __future__ import annotations

from itertools import combinations

import pytest

from bot.handover.lifecycle import Action, NotPermitted, Role, WrongState, check, who_may
from storage.models import EventKind, State

ADVISER, PROVIDER, COORDINATOR = Role.ADVISER, Role.PROVIDER, Role.COORDINATOR
PENDING, ACCEPTED, CONTACTED = State.PENDING, State.ACCEPTED, State.CONTACTED
CLOSED, WITHDRAWN, UNMATCHED = State.CLOSED, State.WITHDRAWN, State.UNMATCHED

# action: (states it applies from, roles that may do it, event recorded, state it leads to)
# A decline's next state is decided by routing (next provider, or the coordinators): None.
EXPECTED = {
    Action.ACCEPT: ({PENDING}, {PROVIDER}, EventKind.ACCEPTED, ACCEPTED),
    Action.DECLINE: ({PENDING}, {PROVIDER}, EventKind.DECLINED, None),
    Action.CONTACT: ({ACCEPTED}, {PROVIDER}, EventKind.CONTACTED, CONTACTED),
    Action.CLOSE: ({ACCEPTED, CONTACTED}, {PROVIDER}, EventKind.CLOSED, CLOSED),
    Action.WITHDRAW: (
        {PENDING, ACCEPTED, CONTACTED, UNMATCHED},
        {ADVISER, COORDINATOR},
        EventKind.WITHDRAWN,
        WITHDRAWN,
    ),
    Action.ROUTE_BY_HAND: (
        {UNMATCHED, PENDING},
        {COORDINATOR},
        EventKind.ROUTED_BY_HAND,
        PENDING,
    ),
    # A coordinator re-opens a finished handover; it comes back to them to route.
    Action.REOPEN: ({CLOSED, WITHDRAWN}, {COORDINATOR}, EventKind.REOPENED, UNMATCHED),
}

ROLE_SETS = [
    frozenset(chosen) for size in range(len(Role) + 1) for chosen in combinations(Role, size)
]


def expected_outcome(action: Action, state: State, roles: frozenset[Role]) -> str:
    """What the table says: the rule applies, or which refusal."""
    allowed_from, who, _, _ = EXPECTED[action]
    if not roles & who:
        # Someone with no right to act is told so, whatever state the handover is in.
        return "NotPermitted"
    if state not in allowed_from:
        return "WrongState"
    return "allowed"


def actual_outcome(action: Action, state: State, roles: frozenset[Role]) -> str:
    try:
        rule = check(action, state, set(roles))
    except NotPermitted:
        return "NotPermitted"
    except WrongState:
        return "WrongState"
    _, _, event, to = EXPECTED[action]
    assert (rule.event, rule.to) == (event, to), f"{action} records {rule.event} -> {rule.to}"
    return "allowed"


def test_the_expectation_table_covers_every_action_and_all_role_sets():
    assert set(EXPECTED) == set(Action)
    # nobody, each role alone, each pair, …, all four (the named worker is a role too)
    assert len(ROLE_SETS) == 2 ** len(Role) == 16


@pytest.mark.parametrize("action", list(Action))
def test_check_allows_or_refuses_exactly_as_the_product_says(action):
    """Every state x every set of roles for this action; all wrong cells reported at once."""
    wrong = []
    for state in State:
        for roles in ROLE_SETS:
            expected = expected_outcome(action, state, roles)
            actual = actual_outcome(action, state, roles)
            if actual != expected:
                who = "+".join(sorted(roles)) or "nobody"
                wrong.append(f"{action} from {state} by {who}: {actual}, expected {expected}")
    assert wrong == []


@pytest.mark.parametrize("state", list(State))
def test_state_read_back_from_the_database_as_plain_text_is_checked_the_same(state):
    allowed_from = EXPECTED[Action.WITHDRAW][0]
    if state in allowed_from:
        assert check(Action.WITHDRAW, str(state.value), {ADVISER}).to == WITHDRAWN
    else:
        with pytest.raises(WrongState):
            check(Action.WITHDRAW, str(state.value), {ADVISER})


def test_a_double_click_on_accept_is_refused_the_second_time():
    check(Action.ACCEPT, PENDING, {PROVIDER})
    with pytest.raises(WrongState):
        check(Action.ACCEPT, ACCEPTED, {PROVIDER})


def test_an_adviser_who_is_also_in_the_provider_channel_may_accept_as_the_provider():
    assert check(Action.ACCEPT, PENDING, {ADVISER, PROVIDER}).to == ACCEPTED


def test_a_coordinator_cannot_accept_on_a_providers_behalf():
    with pytest.raises(NotPermitted):
        check(Action.ACCEPT, PENDING, {COORDINATOR})


def test_nothing_but_reopening_can_be_done_to_a_closed_or_withdrawn_handover():
    everyone = set(Role)
    for action in set(Action) - {Action.REOPEN}:
        for state in (CLOSED, WITHDRAWN):
            with pytest.raises(WrongState):
                check(action, state, everyone)


@pytest.mark.parametrize("action", list(Action))
def test_who_may_names_the_roles_from_the_table(action):
    assert who_may(action) == frozenset(EXPECTED[action][1])
