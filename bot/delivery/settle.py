"""Settling a round's tries in one transaction: what happened to each message, where the
sent ones are, and who must hear of the ones that could not go.

Every try is written by compare-and-set on ``attempts`` (one statement for the whole
round): a try whose lease ran out while it waited on Slack, and whose message another
worker has taken since, loses, and the other worker's result is the one that counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache

from sqlalchemy import and_, bindparam, case, false, or_, update
from sqlmodel import Session, col, func, select

from bot.delivery.claim import CHANNEL_HELD, NOTIFY_PREFIX
from bot.workspaces import NOT_INSTALLED
from storage import queries
from storage.db import upsert_insert
from storage.models import (
    Delivery,
    Handover,
    OutboxMessage,
    OutboxPace,
    Resident,
    ResidentMessage,
)

# Slack refuses the channel itself: hold its messages until the channel is fixed (or, for
# a partner's channel, until its workspace installs the app again).
CHANNEL_REFUSED = frozenset({"channel_not_found", "not_in_channel", "is_archived", NOT_INSTALLED})

# (session, message, Slack's error, whether it is held until its channel is fixed)
Notice = Callable[[Session, OutboxMessage, str, bool], None]


@dataclass
class Outcome:
    """What one try came to. ``status`` None: the message waits for another try."""

    row: OutboxMessage
    status: str | None = None
    error: str | None = None
    next_at: datetime | None = None
    in_doubt: bool | None = None
    sent_at: datetime | None = None
    sent_channel: str | None = None
    ts: str | None = None
    external_id: str | None = None  # what another service calls it (Notify's id)
    notify: bool = False  # the coordinators hear (a failure; a hold decides for itself)
    hold: tuple[str, datetime] | None = None  # Slack said wait: this pace key until then
    tried: bool = True  # False: the lease ran out before Slack was asked; it only ends
    crash: BaseException | None = None  # the try died: nothing is written, as in a crash

    @property
    def attempt(self) -> int:
        return self.row.attempts

    def values(self) -> dict:
        """The columns this try writes (besides ending its lease)."""
        if not self.tried:
            return {}
        if self.status == Delivery.SENT:
            return {
                "status": Delivery.SENT, "in_doubt": False, "sent_at": self.sent_at,
                "sent_channel": self.sent_channel, "ts": self.ts, "error": None,
                "payload": None,  # sent: nothing personal kept here
            }  # fmt: skip
        if self.status in (Delivery.FAILED, Delivery.CANCELLED):
            return {"status": self.status, "payload": None, "error": self.error}
        values = {"error": self.error, "next_at": self.next_at}
        if self.status == Delivery.HELD:
            values["status"] = Delivery.HELD
        if self.in_doubt:
            values["in_doubt"] = True
        return values


def settle(session: Session, outcomes: list[Outcome], notice: Notice | None) -> set[int]:
    """Write every try; the ids whose try counted (the others' leases had been retaken)."""
    outcomes = sorted((o for o in outcomes if o.crash is None), key=lambda o: o.row.id or 0)
    if not outcomes:
        return set()
    held_before = _held_channels(session, outcomes)
    won = _record(session, outcomes)
    _hold(session, [o.hold for o in outcomes if o.hold is not None])
    counted = [o for o in outcomes if o.row.id in won and o.tried]
    _remember(session, [o for o in counted if o.status == Delivery.SENT and o.row.slot and o.ts])
    _record_resident_messages(session, [o for o in counted if o.status is not None])
    told: set[str] = set()
    for outcome in counted:
        row = outcome.row
        if outcome.status == Delivery.FAILED and outcome.notify and notice is not None:
            notice(session, row, outcome.error or "", False)
        if outcome.status == Delivery.HELD:
            # The first message a channel refuses tells the coordinators; the ones held
            # with it, or tried again an hour later, do not.
            first = (
                row.channel not in held_before
                and row.channel not in told
                and row.error not in CHANNEL_REFUSED
                and outcome.error != CHANNEL_HELD
            )
            told.add(row.channel)
            if first and notice is not None:
                notice(session, row, outcome.error or "", True)
    return won


# What a settled message to a resident becomes in its record (the audit trail's).
RESIDENT_STATUS = {
    Delivery.SENT: "sending",  # Notify has it; its receipt says whether it arrived
    Delivery.FAILED: "refused",
    Delivery.CANCELLED: "dropped",
}


def _record_resident_messages(session: Session, outcomes: list[Outcome]) -> None:
    """Messages to residents keep their record: Notify's id, or why they never went."""
    table = ResidentMessage.__table__
    for outcome in outcomes:
        if not outcome.row.method.startswith(NOTIFY_PREFIX):
            continue
        values = {"status": RESIDENT_STATUS[outcome.status], "status_at": outcome.sent_at}
        if outcome.status == Delivery.SENT:
            values.update(notify_id=outcome.external_id, sent_at=outcome.sent_at, error=None)
        else:
            values.update(error=outcome.error, status_at=None)
        session.execute(update(table).where(table.c.outbox_id == outcome.row.id).values(**values))


def _record(session: Session, outcomes: list[Outcome]) -> set[int]:
    """One UPDATE for the whole round: each row's columns by CASE on its id, each row
    only if its ``attempts`` is still this try's."""
    values: dict[str, object] = {}
    columns: dict[str, list[int]] = {}
    for j, outcome in enumerate(outcomes):
        values[f"id{j}"], values[f"try{j}"] = outcome.row.id, outcome.attempt
        for name, value in outcome.values().items():
            columns.setdefault(name, []).append(j)
            values[f"{name}{j}"] = value
    shape = tuple((name, tuple(rows)) for name, rows in sorted(columns.items()))
    return set(session.execute(_recording(len(outcomes), shape), values).scalars())


@lru_cache(maxsize=256)
def _recording(count: int, shape: tuple[tuple[str, tuple[int, ...]], ...]):
    """The UPDATE of ``count`` tries, each column set for the tries ``shape`` names: built
    once for each shape a round can take (a few: most rounds only mark posts sent)."""
    table = OutboxMessage.__table__
    ids = [bindparam(f"id{j}", type_=table.c.id.type) for j in range(count)]
    values: dict[str, object] = {"leased_until": None}
    for name, rows in shape:
        column = table.c[name]
        values[name] = case(
            *((table.c.id == ids[j], bindparam(f"{name}{j}", type_=column.type)) for j in rows),
            else_=column,
        )
    ours = or_(
        false(),
        *(
            and_(table.c.id == ids[j], table.c.attempts == bindparam(f"try{j}"))
            for j in range(count)
        ),
    )
    return update(table).where(ours).values(**values).returning(table.c.id)


def _held_channels(session: Session, outcomes: list[Outcome]) -> set[str]:
    """Of the channels this round holds, those already holding messages before it."""
    channels = {o.row.channel for o in outcomes if o.status == Delivery.HELD}
    if not channels:
        return set()
    return set(
        session.exec(
            select(OutboxMessage.channel)
            .where(
                col(OutboxMessage.status) == Delivery.HELD,
                col(OutboxMessage.channel).in_(channels),
            )
            .distinct()
        ).all()
    )


def _hold(session: Session, holds: list[tuple[str, datetime]]) -> None:
    """Slack said wait (429): nothing more to this channel or method until then."""
    latest: dict[str, datetime] = {}
    for key, until in holds:
        latest[key] = max(until, latest.get(key, until))
    if not latest:
        return
    insert = upsert_insert(session.get_bind().dialect.name)
    statement = insert(OutboxPace).values(
        [{"key": key, "next_at": until} for key, until in sorted(latest.items())]
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[OutboxPace.key],
            set_={"next_at": statement.excluded.next_at},
            where=col(OutboxPace.next_at) < statement.excluded.next_at,
        )
    )


LOCATIONS = {
    "card": ("card_channel", "card_ts"),
    "receipt": ("adviser_dm_channel", "adviser_dm_ts"),
    "unmatched": (None, "coordinator_ts"),
}


def _remember(session: Session, sent: list[Outcome]) -> None:
    """Where the handovers' cards, receipts or details now are, unless a newer one of the
    same slot is coming; or where a provider's directory nudge is."""
    if not sent:
        return
    for outcome in sent:
        slot = outcome.row.slot or ""
        if slot.startswith("nudge:"):
            provider_id = slot.removeprefix("nudge:")
            queries.set_confirm_nudge(session=session, provider_id=provider_id, ts=outcome.ts)
    about = [
        o for o in sent if o.row.handover_id is not None and o.row.slot in (*LOCATIONS, "details")
    ]
    if not about:
        return
    asked = {
        "handovers": sorted({o.row.handover_id for o in about}),
        "slots": sorted({o.row.slot for o in about}),
    }
    newest = dict(
        ((handover_id, slot), last)
        for handover_id, slot, last in session.execute(_newest(), asked).all()
    )
    latest = [o for o in about if newest.get((o.row.handover_id, o.row.slot)) == o.row.id]
    by_slot: dict[str, list[dict]] = {}
    for o in latest:
        by_slot.setdefault(o.row.slot, []).append(
            {"b_id": o.row.handover_id, "b_channel": o.sent_channel, "b_ts": o.ts}
        )
    for slot, params in by_slot.items():
        session.connection().execute(_location(slot), params)


@cache
def _newest():
    """The newest message of each of some handovers' slots."""
    table = OutboxMessage.__table__
    return (
        select(table.c.handover_id, table.c.slot, func.max(table.c.id))
        .where(
            table.c.handover_id.in_(bindparam("handovers", expanding=True)),
            table.c.slot.in_(bindparam("slots", expanding=True)),
        )
        .group_by(table.c.handover_id, table.c.slot)
    )


@cache
def _location(slot: str):
    """Where a handover's message of ``slot`` now is, written on the handover (or, for the
    details, its resident's row)."""
    if slot == "details":
        table = Resident.__table__
        return (
            update(table)
            .where(table.c.handover_id == bindparam("b_id"))
            .values(shown_channel=bindparam("b_channel"), shown_ts=bindparam("b_ts"))
        )
    table = Handover.__table__
    channel, ts = LOCATIONS[slot]
    values = {ts: bindparam("b_ts")}
    if channel:
        values[channel] = bindparam("b_channel")
    return update(table).where(table.c.id == bindparam("b_id")).values(**values)
