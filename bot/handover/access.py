"""Who may do what, and see what: the access matrix, as data, and the one place it is checked.

Every right the bot grants (an action on a handover, the directory or the network, or a
view of data) is a row of ``MATRIX``: which roles hold it, and the sentence a person is
told when they hold none of them. ``Access.may`` answers "may this person do (or see) this"
and ``Access.require`` refuses with that sentence; every check in ``bot/`` and
``handlers/`` goes through one of them. ``docs/access.md`` is rendered from ``MATRIX``
(``python -m bot.handover.access``) and a test keeps the two the same.

A role is always relative to something: the adviser and the named worker *of this
handover*, a member *of this provider's* handover channel. Asking Slack who is in a channel
is the slow part, so it is asked only when no cheaper role already decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.errors import Refused
from bot.ids import COMMAND, PAGE_ACTOR
from bot.text import escape

if TYPE_CHECKING:
    from bot.directory.network import Network
    from storage.models import Handover, Provider

# (channel, user) -> is the user a member of the channel?
Membership = Callable[[str, str], bool]


class Role(StrEnum):
    ADVISER = "adviser"  # the adviser who raised this handover
    PROVIDER = "provider"  # a member of the provider's handover channel (the current one)
    WORKER = "worker"  # the named worker, who accepted this handover
    COORDINATOR = "coordinator"  # listed under coordinators in the network file


class Kind(StrEnum):
    ACTION = "action"
    VIEW = "view"


class Right(StrEnum):
    """Everything someone may do or see. Lifecycle actions share their names with
    ``bot.handover.lifecycle.Action``."""

    RAISE = "raise"
    ACCEPT = "accept"
    DECLINE = "decline"
    CONTACT = "contact"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    ROUTE_BY_HAND = "route_by_hand"
    REOPEN = "reopen"
    SNOOZE = "snooze"
    CHASE = "chase"
    ERASE = "erase"
    DIGEST = "digest"
    REFER_BUTTON = "refer_button"
    CAPACITY = "capacity"
    CONFIRM_DIRECTORY = "confirm_directory"
    RETRY_DELIVERY = "retry_delivery"
    # views of data
    STATUS = "status"
    EARLIER_HANDOVER = "earlier_handover"
    RESIDENT = "resident"
    CIRCUMSTANCE_COUNTS = "circumstance_counts"
    HOME_REFERRALS = "home_referrals"
    HOME_QUEUE = "home_queue"
    HOME_NETWORK = "home_network"
    HOME_DIRECTORY = "home_directory"
    MINE = "mine"
    PROVIDERS = "providers"
    SEE_DIGEST = "see_digest"
    AUDIT = "audit"


@dataclass(frozen=True)
class Entry:
    kind: Kind
    label: str  # what it is, for the docs table
    where: str  # where in Slack it is done or shown, for the docs table
    who: frozenset[Role]
    # What someone without the right is told; {ref} and {provider} are filled in. Empty for
    # views that are simply left out for those who may not see them.
    refusal: str = ""
    anyone: bool = False  # everyone holds it, whatever their roles


def _e(kind, label, where, who, refusal="", *, anyone=False) -> Entry:
    return Entry(kind, label, where, frozenset(who), refusal, anyone)


A, V = Kind.ACTION, Kind.VIEW
ADVISER, PROVIDER, WORKER, COORDINATOR = Role.ADVISER, Role.PROVIDER, Role.WORKER, Role.COORDINATOR
_CARD = "Only members of {provider}'s handover channel can {verb} {ref}. Nothing was changed."
_COORDINATORS = "Only the network's coordinators can {verb}."
_STAFF = "Only {provider}'s staff (its handover channel) or a coordinator can {verb}."

MATRIX: dict[Right, Entry] = {
    Right.RAISE: _e(A, "raise a handover", f"`{COMMAND}`, App Home", (), anyone=True),
    Right.ACCEPT: _e(
        A, "accept", "the provider's card", {PROVIDER}, _CARD.replace("{verb}", "accept")
    ),
    Right.DECLINE: _e(
        A, "decline", "the provider's card", {PROVIDER}, _CARD.replace("{verb}", "decline")
    ),
    Right.CONTACT: _e(
        A,
        "record first contact",
        "the card, the worker's nudge",
        {PROVIDER},
        _CARD.replace("{verb}", "record first contact for"),
    ),
    Right.CLOSE: _e(
        A,
        "record the outcome",
        "the card, the worker's DM",
        {PROVIDER},
        _CARD.replace("{verb}", "record the outcome of"),
    ),
    Right.WITHDRAW: _e(
        A,
        "withdraw",
        "the adviser's DM, App Home",
        {ADVISER, COORDINATOR},
        "Only the adviser who raised {ref} or a coordinator can withdraw it.",
    ),
    Right.ROUTE_BY_HAND: _e(
        A,
        "route by hand",
        "the coordinators' cards",
        {COORDINATOR},
        _COORDINATORS.format(verb="route a handover by hand"),
    ),
    Right.REOPEN: _e(
        A,
        "re-open",
        f"`{COMMAND} reopen`, the status reply",
        {COORDINATOR},
        _COORDINATORS.format(verb="re-open a handover"),
    ),
    Right.SNOOZE: _e(
        A,
        "snooze a first-contact reminder",
        "the worker's nudge",
        {PROVIDER, WORKER},
        "Only {ref}'s named worker or their team can snooze it.",
    ),
    Right.CHASE: _e(
        A,
        "chase a provider",
        "the coordinators' escalation",
        {COORDINATOR},
        _COORDINATORS.format(verb="chase a provider"),
    ),
    Right.ERASE: _e(
        A,
        "erase a resident's details",
        f"`{COMMAND} erase`",
        {COORDINATOR},
        "Only the network's coordinators can erase a resident's details. "
        "Ask them if a resident wants their details erased.",
    ),
    Right.DIGEST: _e(
        A,
        "ask for the digest now",
        f"`{COMMAND} digest`",
        {COORDINATOR},
        "The digest is for the network's coordinators. Ask them for it, or use "
        f"`{COMMAND} mine` for your own handovers.",
    ),
    Right.REFER_BUTTON: _e(
        A,
        "post a Refer a resident button in a channel",
        f"`{COMMAND} button`",
        {COORDINATOR},
        "Only the network's coordinators can post a Refer a resident button. Ask them to "
        "post one in this channel.",
    ),
    Right.CAPACITY: _e(
        A,
        "change a provider's capacity",
        f"`{COMMAND} capacity`, App Home",
        {PROVIDER, COORDINATOR},
        _STAFF.format(provider="{provider}", verb="change its capacity"),
    ),
    Right.CONFIRM_DIRECTORY: _e(
        A,
        "confirm a directory entry",
        "the freshness nudge, App Home",
        {PROVIDER, COORDINATOR},
        _STAFF.format(provider="{provider}", verb="confirm its directory entry")
        + " Nothing was changed.",
    ),
    Right.RETRY_DELIVERY: _e(
        A,
        "send held messages again",
        "the coordinators' delivery notice",
        {COORDINATOR},
        _COORDINATORS.format(verb="retry held messages"),
    ),
    Right.STATUS: _e(
        V,
        "a handover's state and history",
        f"`{COMMAND} status`",
        {ADVISER, PROVIDER, COORDINATOR},
        "You can't see {ref}: there is no such handover, or only its adviser, the provider "
        "it is with and the coordinators can.",
    ),
    # Referring a resident who already has an open handover: those who may see that one
    # are told where it is; anyone else only that the resident is already being helped.
    Right.EARLIER_HANDOVER: _e(
        V,
        "where the same resident's open handover is (when referring them again)",
        "the referral's 'where it goes' step",
        {ADVISER, PROVIDER, COORDINATOR},
        "This resident is already being helped in the network. Ask the coordinators "
        "before referring them again.",
    ),
    # Only through accepting: the worker who accepts is shown them, privately, and nobody
    # else is ever sent them by the bot (the adviser typed them in).
    Right.RESIDENT: _e(
        V,
        "the resident's name and contact details (only by accepting)",
        "the accept modal, the worker's DM",
        {PROVIDER},
    ),
    # Circumstances are special category data: the coordinators see only counts. (A provider's
    # card, seen by its channel, names only which of its own `only_for` criteria are met.)
    Right.CIRCUMSTANCE_COUNTS: _e(
        V, "residents' circumstances, counted in aggregate only", "the digest", {COORDINATOR}
    ),
    Right.HOME_REFERRALS: _e(V, "App Home: your own referrals", "App Home", (), anyone=True),
    Right.HOME_QUEUE: _e(V, "App Home: a provider's queue", "App Home", {PROVIDER}),
    Right.HOME_NETWORK: _e(
        V, "App Home: the network's counts, needing routing", "App Home", {COORDINATOR}
    ),
    Right.HOME_DIRECTORY: _e(
        V, "App Home: every provider's capacity, overdue entries", "App Home", {COORDINATOR}
    ),
    Right.MINE: _e(V, "your own open handovers", f"`{COMMAND} mine`", (), anyone=True),
    Right.PROVIDERS: _e(V, "the directory of providers", f"`{COMMAND} providers`", (), anyone=True),
    Right.SEE_DIGEST: _e(
        V,
        "the digest",
        "the coordinators' channel",
        {COORDINATOR},
        "The digest is for the network's coordinators. Ask them for it, or use "
        f"`{COMMAND} mine` for your own handovers.",
    ),
    Right.AUDIT: _e(
        V,
        "a handover's audit trail (who saw and did what)",
        f"`{COMMAND} audit`",
        {COORDINATOR},
        "Only the network's coordinators can export a handover's audit trail. "
        "Ask them if a resident has asked what happened to their referral.",
    ),
}


def who(right: Right | str) -> frozenset[Role]:
    return MATRIX[Right(right)].who


def allowed(right: Right | str, roles: set[Role] | frozenset[Role]) -> bool:
    """The one answer: may someone holding ``roles`` do (or see) this?"""
    entry = MATRIX[Right(right)]
    return entry.anyone or bool(set(roles) & entry.who)


def refusal(
    right: Right | str,
    *,
    handover: Handover | None = None,
    provider: Provider | None = None,
    ref: str | None = None,
) -> str:
    """The sentence for someone without the right; names typed elsewhere are escaped.

    ``ref`` stands in for a handover that may not exist: the sentence is then the same as
    for one that does, so a refusal never tells who may not know whether it exists."""
    template = MATRIX[Right(right)].refusal or "You can't do that. Nothing was changed."
    return template.format(
        ref=handover.ref if handover is not None else ref or "this handover",
        provider=escape(provider.name) if provider is not None else "the provider",
    )


def _nobody(channel: str, user_id: str) -> bool:
    return False


def page_actor(provider_id: str) -> str:
    """The actor id of a provider's page (at most 32 characters, as Slack user ids)."""
    return f"{PAGE_ACTOR}{provider_id}"[:32]


def is_page_actor(user_id: str | None) -> bool:
    return bool(user_id) and user_id.startswith(PAGE_ACTOR)


class Access:
    """Works out a person's roles (asking Slack only when it must) and checks ``MATRIX``."""

    def __init__(self, network: Network, membership: Membership | None = None):
        self.network = network
        self.membership = membership or _nobody

    def roles(
        self,
        user_id: str,
        *,
        handover: Handover | None = None,
        provider: Provider | None = None,
        wanted: frozenset[Role] | set[Role] = frozenset(Role),
    ) -> set[Role]:
        """The roles this person holds towards this handover and/or provider; channel
        membership is asked of Slack only when ``wanted`` and no cheaper role decides."""
        roles = set()
        if handover is not None and handover.adviser_id == user_id:
            roles.add(Role.ADVISER)
        if handover is not None and handover.worker_id and handover.worker_id == user_id:
            roles.add(Role.WORKER)
        if self.network.is_coordinator(user_id):
            roles.add(Role.COORDINATOR)
        if provider is not None and user_id == page_actor(provider.id):
            roles.add(Role.PROVIDER)  # the link in its e-mail, checked by bot/byemail
        if (
            Role.PROVIDER in wanted
            and not roles & set(wanted)
            and provider is not None
            and provider.channel
            and not is_page_actor(user_id)
            and self.membership(provider.channel, user_id)
        ):
            roles.add(Role.PROVIDER)
        return roles

    def may(
        self,
        user_id: str,
        right: Right | str,
        *,
        handover: Handover | None = None,
        provider: Provider | None = None,
    ) -> bool:
        entry = MATRIX[Right(right)]
        if entry.anyone:
            return True
        roles = self.roles(user_id, handover=handover, provider=provider, wanted=entry.who)
        return allowed(right, roles)

    def require(
        self,
        user_id: str,
        right: Right | str,
        *,
        handover: Handover | None = None,
        provider: Provider | None = None,
    ) -> None:
        if not self.may(user_id, right, handover=handover, provider=provider):
            raise Refused(refusal(right, handover=handover, provider=provider))


# -- the docs table ------------------------------------------------------------------------

COLUMNS = (
    (Role.ADVISER, "adviser (who raised it)"),
    (Role.PROVIDER, "provider member"),
    (Role.WORKER, "named worker"),
    (Role.COORDINATOR, "coordinator"),
    (None, "anyone else"),
)


def table(kind: Kind) -> str:
    """The matrix for one kind of right, as a Markdown table (docs/access.md)."""
    head = ["", "where", *(title for _, title in COLUMNS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for right, entry in MATRIX.items():
        if entry.kind != kind:
            continue
        cells = [
            "yes" if entry.anyone or (role is not None and role in entry.who) else "—"
            for role, _ in COLUMNS
        ]
        lines.append(f"| {entry.label} (`{right}`) | {entry.where} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tables() -> str:
    return f"### Actions\n\n{table(Kind.ACTION)}\n\n### Views of data\n\n{table(Kind.VIEW)}\n"


if __name__ == "__main__":
    print(tables(), end="")
