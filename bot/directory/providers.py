"""The directory: providers synced from the network file, their capacity from Slack, and how
fresh each entry is (confirmed by the provider's staff, nudged when it has not been)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.clock import SystemClock
from bot.directory.network import Network
from bot.errors import InvalidInput, NotFound
from bot.handover.access import Access, Right
from bot.handover.matching import effective_capacity
from bot.handover.payloads import Word, _Payload
from bot.ids import Block
from bot.text import aside
from storage import queries
from storage.db import SessionFactory
from storage.models import Capacity, DirectoryEvent, Provider


class ConfirmRef(_Payload):
    """A "Details are right" button: which provider, and the confirmation it showed (if any).

    ``c`` makes the button a compare-and-set: once someone confirms, the same button
    (a double click, a second colleague on the same nudge) finds it already done.
    """

    p: Word
    c: datetime | None = None


@dataclass(frozen=True)
class Confirmation:
    """A provider's entry confirmed (or found confirmed already: ``repeated``)."""

    provider: Provider
    repeated: bool
    nudge_ts: str | None  # the nudge this answered, to update in place


@dataclass(frozen=True)
class Overdue:
    provider: Provider
    since: datetime | None  # when its confirmation fell due


def sync_directory(
    network: Network, *, sessions: SessionFactory, now: datetime | None = None
) -> dict[str, tuple[str, str]]:
    """Upsert every provider by id; those removed from the file stay, marked inactive.

    Returns the providers whose channel the file changed: {id: (old channel, new)}.
    """
    now = now or SystemClock().now()
    rows = []
    for entry in network.providers:
        ages = entry.age_range
        rows.append(
            Provider(
                id=entry.id,
                name=entry.name,
                channel=entry.channel or "",
                email=entry.email,
                services=list(entry.services),
                areas=list(entry.areas) if entry.areas is not None else None,
                age_min=ages[0] if ages else None,
                age_max=ages[1] if ages else None,
                description=entry.description,
                languages=list(entry.languages) if entry.languages else None,
                active=entry.active,
                created_at=now,  # kept for providers already listed (upsert leaves it)
            )
        )
    with sessions() as session:
        before = {p.id: p.channel for p in queries.all_providers(session=session)}
        queries.upsert_providers(session=session, providers=rows)
        session.commit()
    return {
        row.id: (before[row.id], row.channel)
        for row in rows
        if row.id in before and before[row.id] and row.channel and before[row.id] != row.channel
    }


class Directory:
    """What changes day to day about providers: capacity, set from Slack and audited; and
    whether each entry is still right, confirmed by its staff."""

    def __init__(self, *, sessions: SessionFactory, network: Network, clock, membership):
        self.sessions = sessions
        self.network = network
        self.clock = clock
        self.membership = membership
        # Set by the app: writes the messages a change causes (to the outbox) in its
        # transaction, and has them delivered once committed.
        self.on_capacity: Callable[[Session, Provider, str], None] | None = None
        self.committed: Callable[[], None] | None = None
        self.access = Access(network, membership)

    def today(self) -> date:
        return self.clock.now().astimezone(ZoneInfo(self.network.network.timezone)).date()

    def may_set(self, provider: Provider, user_id: str) -> bool:
        """A provider's own staff (its channel's members) and the coordinators."""
        return self.access.may(user_id, Right.CAPACITY, provider=provider)

    def settable_by(self, user_id: str) -> list[Provider]:
        with self.sessions() as session:
            active = queries.active_providers(session=session)
        return [p for p in active if self.may_set(p, user_id)]

    def capacity(self, provider: Provider) -> str:
        return effective_capacity(provider.capacity, provider.paused_until, self.today())

    def set_capacity(
        self,
        provider_id: str,
        *,
        actor_id: str,
        capacity: str,
        until: date | None = None,
        reason: str = "",
    ) -> Provider:
        try:
            capacity = Capacity(capacity)
        except ValueError:
            raise InvalidInput({Block.CAPACITY: "Choose open, limited or paused."}) from None
        reason = " ".join(reason.split())
        if capacity is Capacity.PAUSED and not reason:
            raise InvalidInput({Block.CAPACITY_REASON: "Say why, so coordinators know."})
        if until is not None and capacity is not Capacity.PAUSED:
            until = None  # only a pause ends on a date
        if until is not None and until <= self.today():
            raise InvalidInput({Block.PAUSED_UNTIL: "Choose a date after today."})
        now = self.clock.now()
        with self.sessions() as session:
            provider = queries.get_provider(session=session, provider_id=provider_id)
            if provider is None or not provider.active:
                raise InvalidInput({Block.PROVIDER: "Choose a provider from the list."})
            self.access.require(actor_id, Right.CAPACITY, provider=provider)
            provider.capacity = capacity
            provider.paused_until = until
            provider.capacity_reason = reason or None
            provider.capacity_changed_at = now
            provider.capacity_changed_by = actor_id
            session.add(provider)
            session.add(
                DirectoryEvent(
                    provider_id=provider.id,
                    at=now,
                    actor_id=actor_id,
                    kind="capacity",
                    detail=describe_capacity(capacity, until, reason),
                )
            )
            if self.on_capacity is not None:
                self.on_capacity(session, provider, actor_id)  # its channel is told
            session.commit()
            session.refresh(provider)
        if self.committed is not None:
            self.committed()
        return provider

    # -- freshness -------------------------------------------------------------------------
    # Every due time is a column: an entry falls due for confirmation `confirm_every` after
    # it was last confirmed (never confirmed: after it was first listed), and due for a
    # nudge then unless it was nudged since. A nudge left unanswered is repeated a period
    # later; only a confirmation takes a provider off the coordinators' overdue list.

    @property
    def period(self) -> timedelta:
        return self.network.directory.confirm_period

    def due_since(self, provider: Provider) -> datetime | None:
        start = provider.confirmed_at or provider.created_at
        return start + self.period if start else None

    def overdue(self, now: datetime | None = None) -> list[Overdue]:
        """Active providers not confirmed within the period, longest overdue first."""
        now = now or self.clock.now()
        with self.sessions() as session:
            stale = queries.unconfirmed_since(session=session, cutoff=now - self.period)
        return [Overdue(p, self.due_since(p)) for p in stale]

    def nudges_due(self, now: datetime) -> list[Provider]:
        """Providers whose entry fell due for confirmation and who have not been nudged since."""
        with self.sessions() as session:
            return list(queries.due_for_confirm_nudge(session=session, cutoff=now - self.period))

    def claim_nudge(
        self, provider: Provider, now: datetime, say: Callable[[Session], None]
    ) -> bool:
        """Nudge: True for the one tick (of any copy of the bot) that claims it. ``say``
        writes the nudge (to the outbox) in the claim's transaction, so a claimed nudge is
        never lost; the outbox records its ts when it is posted."""
        with self.sessions() as session:
            claimed = queries.claim_confirm_nudge(session=session, provider=provider, now=now)
            if claimed:
                say(session)
            session.commit()
        return claimed

    def confirm(self, provider_id: str, *, actor_id: str, seen: datetime | None) -> Confirmation:
        """The provider's staff (or a coordinator) say its directory entry is right."""
        now = self.clock.now()
        with self.sessions() as session:
            provider = queries.get_provider(session=session, provider_id=provider_id)
            if provider is None:
                raise NotFound("That provider is no longer in the directory. Nothing was changed.")
            self.access.require(actor_id, Right.CONFIRM_DIRECTORY, provider=provider)
            nudge_ts = provider.confirm_nudge_ts
            if provider.confirmed_at != seen or not queries.confirm_provider(
                session=session, provider=provider, seen=seen, now=now, actor_id=actor_id
            ):
                session.rollback()
                session.refresh(provider)
                return Confirmation(provider, repeated=True, nudge_ts=None)
            session.add(
                DirectoryEvent(
                    provider_id=provider.id,
                    at=now,
                    actor_id=actor_id,
                    kind="confirmed",
                    detail="directory entry confirmed as right",
                )
            )
            session.commit()
            return Confirmation(provider, repeated=False, nudge_ts=nudge_ts)


def describe_capacity(capacity: str, until: date | None, reason: str | None) -> str:
    words = {"open": "open", "limited": "limited", "paused": "paused"}[capacity]
    if capacity == Capacity.PAUSED:
        words += f" until {until.strftime('%a %-d %b %Y')}" if until else " until resumed"
    return words + aside(reason)
