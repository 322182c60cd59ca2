"""Claiming what may go now: one statement for the messages, one for their channels' pace.

Only the oldest waiting message of each key is a candidate (so a thread line never
overtakes its card), and only if it is due, not leased by a live try, and, for a post, its
channel's pace allows it (see bot/delivery/pacing.py). The candidates are locked with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two replicas claim different messages; SQLite
serialises its writers, and its dialect leaves the clause out. A claim leases each message
(``attempts`` counts it, so settling can tell a try whose lease ran out) and marks it in
doubt when an earlier lease was never settled: that try died mid-call.

The channels' slots are taken in the same transaction by a compare-and-set upsert on
``outbox_pace``: if another replica moved a channel on since it was read, the whole claim is
rolled back and asked again (``PaceTaken``), so two replicas never post faster than one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import (
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    true,
    tuple_,
    union_all,
    update,
)
from sqlmodel import Session, col, select

from bot.delivery.pacing import Pacing
from storage.db import upsert_insert
from storage.models import Delivery, Handover, OutboxMessage, OutboxPace

# The round's statements are on the tables, not the ORM classes: the ORM would copy each
# statement (and work out its cache key again) at every execution.
OUTBOX = OutboxMessage.__table__
PACE = OutboxPace.__table__

POST = "chat.postMessage"
UPDATE = "chat.update"
# Messages to residents go through GOV.UK Notify: "notify.sms", "notify.email", each in a
# lane of its own per resident ("resident:<handover id>"), unpaced by Slack's limits.
NOTIFY_PREFIX = "notify."
RESIDENT = "resident:"
# E-mails to a provider without Slack go through GOV.UK Notify too: "mail.provider", in a
# lane per provider ("mail:<provider id>").
MAIL_PREFIX = "mail."
PROVIDER_MAIL = "mail.provider"

CHANNEL = "channel:"
METHOD = "method:"
HELD = "held:"
# A channel Slack refused holds its later posts untried (settle.py tells the coordinators).
CHANNEL_HELD = "channel_held"
DM_PREFIXES = ("U", "W", "D")


# A round's statements are built once, with their moments as parameters, and only given
# values each round: building them (and SQLAlchemy's cache key of each) was most of a
# round's CPU, and rounds follow every change and every answer of Slack's.
NOW = "now"


def _at(name: str = NOW):
    return bindparam(name)


class PaceTaken(Exception):
    """Another replica took a channel's slot between reading it and taking it."""


@dataclass
class Target:
    """Where a claimed message goes: the channel, and the ts of the message it belongs to;
    ``waiting`` when that message has not gone yet, ``error`` when it never will."""

    channel: str
    ts: str | None = None
    waiting: bool = False
    error: str | None = None


@dataclass
class Claim:
    rows: list[OutboxMessage] = field(default_factory=list)
    targets: dict[int, Target] = field(default_factory=dict)
    wake: datetime | None = None  # when more may go (None: nothing waits)


def is_dm(channel: str) -> bool:
    return channel.startswith(DM_PREFIXES)


def _blocked():
    """An earlier message of the same key still waits: this one is not the head."""
    earlier = OUTBOX.alias("earlier")
    return exists().where(
        earlier.c.key == OUTBOX.c.key,
        earlier.c.id < OUTBOX.c.id,
        earlier.c.status.in_([Delivery.PENDING, Delivery.HELD]),
    )


def _free(now):
    return or_(OUTBOX.c.leased_until.is_(None), OUTBOX.c.leased_until < now)


@cache
def _due_now():
    return (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.status == Delivery.PENDING, OUTBOX.c.next_at <= _at(), _free(_at()))
        .limit(1)
    )


def due_now(session: Session, now: datetime) -> bool:
    """Whether any message may be due now: a read, so that a round with nothing to do
    takes no write lock (on SQLite, the whole database's) only to find that out."""
    return session.execute(_due_now(), {NOW: now}).first() is not None


def nothing_due(session: Session, now: datetime, pacing: Pacing, paces, held) -> Claim:
    """The claim of a round with nothing to claim: only when to look again."""
    return Claim(wake=_wake(session, now, pacing, paces, held))


def _channel_key(channel=OUTBOX.c.channel):
    return literal(CHANNEL).concat(channel)


@cache
def _paces():
    held = (
        select(literal(HELD).concat(OUTBOX.c.channel), cast(null(), PACE.c.next_at.type))
        .where(OUTBOX.c.status == Delivery.HELD)
        .distinct()
    )
    ahead = select(PACE.c.key, PACE.c.next_at).where(PACE.c.next_at > _at())
    return union_all(ahead, held)


def read_paces(session: Session, now: datetime) -> tuple[dict[str, datetime], set[str]]:
    """The channels and methods whose due time is still ahead, and the held channels: one
    question for the whole round."""
    paces, held_channels = {}, set()
    for key, next_at in session.execute(_paces(), {NOW: now}).all():
        if key.startswith(HELD):
            held_channels.add(key.removeprefix(HELD))
        else:
            paces[key] = next_at
    return paces, held_channels


def hold_posts_to_held(session: Session, now: datetime, pacing: Pacing, held: set[str]) -> None:
    """Posts to a channel that refused an earlier one wait with it, untried."""
    if not held:
        return
    session.execute(
        update(OUTBOX)
        .where(
            OUTBOX.c.status == Delivery.PENDING,
            OUTBOX.c.method == POST,
            OUTBOX.c.channel.in_(sorted(held)),
            OUTBOX.c.next_at <= now,
            _free(now),
            ~_blocked(),
        )
        .values(
            status=Delivery.HELD,
            error=CHANNEL_HELD,
            next_at=now + pacing.held_retry,
            attempts=OUTBOX.c.attempts + 1,
        )
    )


def _candidates(pacing: Pacing, held: bool):
    method_held = exists().where(
        PACE.c.key == literal(METHOD).concat(OUTBOX.c.method), PACE.c.next_at > _at()
    )
    where = [
        OUTBOX.c.status == Delivery.PENDING,
        OUTBOX.c.next_at <= _at(),
        _free(_at()),
        ~_blocked(),
        ~method_held,
    ]
    if held:
        held_channels = bindparam("held", expanding=True)
        where.append(or_(OUTBOX.c.method != POST, OUTBOX.c.channel.not_in(held_channels)))
    if pacing.paced:
        # A channel with no post left in its allowance now would only crowd out the others.
        spent = exists().where(PACE.c.key == _channel_key(), PACE.c.next_at > _at("spent_after"))
        where.append(~and_(OUTBOX.c.method == POST, spent))
    # Cards and channel messages before DMs: a provider's card never waits behind a
    # digest's worth of direct messages.
    dm_last = case((or_(*(OUTBOX.c.channel.startswith(p) for p in DM_PREFIXES)), 1), else_=0)
    return (
        select(OUTBOX.c.id, OUTBOX.c.channel, OUTBOX.c.method)
        .where(*where)
        .order_by(dm_last, OUTBOX.c.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
        .subquery("candidate")
    )


def _chosen(pacing: Pacing, held: bool):
    """The candidates' ids, a channel's posts cut to what its pace allows now."""
    candidate = _candidates(pacing, held)
    if not pacing.paced:
        return select(candidate.c.id)
    pace = PACE.alias("pace")
    allowance = sum(
        (case((or_(pace.c.next_at.is_(None), pace.c.next_at <= _at(f"at{j}")), 1), else_=0)
         for j in range(pacing.steps)),
        start=literal(0),
    )  # fmt: skip
    ranked = (
        select(
            candidate.c.id,
            candidate.c.method,
            func.row_number()
            .over(partition_by=(candidate.c.channel, candidate.c.method), order_by=candidate.c.id)
            .label("turn"),
            allowance.label("allowance"),
        )
        .select_from(candidate.outerjoin(pace, pace.c.key == _channel_key(candidate.c.channel)))
        .subquery("ranked")
    )
    return select(ranked.c.id).where(
        or_(ranked.c.method != POST, ranked.c.turn <= ranked.c.allowance)
    )


def claim(
    session: Session,
    now: datetime,
    pacing: Pacing,
    limit: int,
    paces: dict[str, datetime],
    held: set[str],
) -> Claim:
    """Lease what may go now (at most ``limit``) and take its channels' slots."""
    found = Claim()
    if limit > 0:
        values = {NOW: now, "limit": limit, "lease_end": now + pacing.lease}
        if held:
            values["held"] = sorted(held)
        if pacing.paced:
            values["spent_after"] = now + pacing.tolerance
            values.update({f"at{j}": at for j, at in enumerate(pacing.thresholds(now))})
        returned = session.execute(_claiming(pacing, bool(held)), values).all()
        found.rows = sorted((OutboxMessage(**row._mapping) for row in returned), key=_id)
    if pacing.paced:
        _take_slots(session, now, pacing, found.rows, paces)
    found.targets = _targets(session, found.rows)
    found.wake = _wake(session, now, pacing, paces, held)
    return found


@cache
def _claiming(pacing: Pacing, held: bool):
    return (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(_chosen(pacing, held)))
        .values(
            leased_until=bindparam("lease_end"),
            attempts=OUTBOX.c.attempts + 1,
            # Leased before and never settled: that try died mid-call.
            in_doubt=or_(OUTBOX.c.in_doubt, OUTBOX.c.leased_until.is_not(None)),
        )
        .returning(*OUTBOX.columns)
    )


def _id(row: OutboxMessage) -> int:
    return row.id or 0


def _take_slots(session, now, pacing: Pacing, rows, paces: dict[str, datetime]) -> None:
    posts: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.method == POST:
            posts[CHANNEL + row.channel] += 1
    if not posts:
        return
    values = {NOW: now, "seen": [(key, paces[key]) for key in sorted(posts) if key in paces]}
    taking = {}
    for j, (key, count) in enumerate(sorted(posts.items())):
        taking[key] = values[f"next{j}"] = pacing.after(paces.get(key), now, count)
        values[f"key{j}"] = key
    statement = _slots(session.get_bind().dialect.name, len(posts))
    taken = set(session.execute(statement, values).scalars().all())
    if taken != set(posts):
        raise PaceTaken(sorted(set(posts) - taken))
    paces.update(taking)


@cache
def _slots(dialect: str, count: int):
    """Take ``count`` channels' slots, each only if unchanged since read (or free): nobody
    else took a slot of that channel meanwhile."""
    insert = upsert_insert(dialect)
    # From a SELECT of the rows rather than a VALUES list, which SQLAlchemy would compile
    # anew at each execution; typed, since a SELECT's parameters have no column to go by.
    # (SQLite needs the WHERE to read ON CONFLICT as the upsert's.)
    rows = union_all(
        *(
            select(
                bindparam(f"key{j}", type_=PACE.c.key.type).label("key"),
                bindparam(f"next{j}", type_=PACE.c.next_at.type).label("next_at"),
            )
            for j in range(count)
        )
    ).subquery("taking")
    statement = insert(PACE).from_select(
        ["key", "next_at"], select(rows.c.key, rows.c.next_at).where(true())
    )
    return statement.on_conflict_do_update(
        index_elements=[PACE.c.key],
        set_={"next_at": statement.excluded.next_at},
        where=or_(
            PACE.c.next_at <= _at(),
            tuple_(PACE.c.key, PACE.c.next_at).in_(bindparam("seen", expanding=True)),
        ),
    ).returning(PACE.c.key)


def _targets(session: Session, rows: list[OutboxMessage]) -> dict[int, Target]:
    """Where each claimed message goes: thread lines and updates find the message they
    belong to (one question for the whole claim)."""
    targets = {}
    asking = [row for row in rows if row.ref_slot and not row.ref_ts]
    for row in rows:
        if row not in asking:
            targets[row.id] = Target(row.channel, row.ref_ts)
    if not asking:
        return targets
    earlier = session.execute(
        _earlier(),
        {
            "handovers": sorted({row.handover_id for row in asking}),
            "slots": sorted({row.ref_slot for row in asking}),
            "before": max(_id(row) for row in asking),
        },
    ).all()
    missing = []
    for row in asking:
        parent = next(
            (
                p
                for p in earlier
                if p.handover_id == row.handover_id
                and p.slot == row.ref_slot
                and p.channel == row.channel
                and p.id < _id(row)
            ),
            None,
        )
        if parent is None:
            missing.append(row)
        elif parent.status == Delivery.SENT:
            targets[row.id] = Target(parent.sent_channel or row.channel, parent.ts)
        elif parent.status in (Delivery.PENDING, Delivery.HELD):
            targets[row.id] = Target(row.channel, waiting=True)
        else:
            targets[row.id] = Target(row.channel, error="parent_not_sent")
    if missing:
        # Sent before the outbox existed: the handover remembers where.
        ids = {row.handover_id for row in missing if row.handover_id}
        handovers = {
            h.id: h for h in session.exec(select(Handover).where(col(Handover.id).in_(ids)))
        }
        for row in missing:
            where = remembered(handovers.get(row.handover_id), row.ref_slot, row.channel)
            targets[row.id] = (
                Target(*where) if where else Target(row.channel, error="parent_not_found")
            )
    return targets


@cache
def _earlier():
    """The messages claimed thread lines and updates may belong to, newest first."""
    return (
        select(
            OUTBOX.c.id,
            OUTBOX.c.handover_id,
            OUTBOX.c.slot,
            OUTBOX.c.channel,
            OUTBOX.c.status,
            OUTBOX.c.sent_channel,
            OUTBOX.c.ts,
        )
        .where(
            OUTBOX.c.handover_id.in_(bindparam("handovers", expanding=True)),
            OUTBOX.c.slot.in_(bindparam("slots", expanding=True)),
            OUTBOX.c.id < bindparam("before"),
        )
        .order_by(OUTBOX.c.id.desc())
    )


def remembered(handover: Handover | None, slot: str, channel: str) -> tuple[str, str] | None:
    """Where a message sent before the outbox existed is: the handover's own columns."""
    if handover is None:
        return None
    if slot == "card" and handover.card_channel == channel and handover.card_ts:
        return handover.card_channel, handover.card_ts
    if slot == "receipt" and handover.adviser_dm_ts:
        return handover.adviser_dm_channel, handover.adviser_dm_ts
    if slot == "unmatched" and handover.coordinator_ts:
        return channel, handover.coordinator_ts
    return None


@cache
def _heads_due():
    leased = and_(OUTBOX.c.leased_until.is_not(None), OUTBOX.c.leased_until >= _at())
    due = case((leased, OUTBOX.c.leased_until), else_=OUTBOX.c.next_at)
    return (
        select(OUTBOX.c.channel, OUTBOX.c.method, func.min(due))
        .where(OUTBOX.c.status == Delivery.PENDING, ~_blocked())
        .group_by(OUTBOX.c.channel, OUTBOX.c.method)
    )


def _wake(session, now, pacing: Pacing, paces: dict[str, datetime], held: set[str]):
    """When the soonest waiting head may go: its own due time, its lease's end, its
    channel's pace or a hold on its method, whichever is last."""
    groups = session.execute(_heads_due(), {NOW: now}).all()
    soonest = None
    for channel, method, at in groups:
        if at is None:
            continue
        at = _aware(at)
        if method == POST:
            if channel in held:
                continue
            if pacing.paced and CHANNEL + channel in paces:
                at = max(at, pacing.opens(paces[CHANNEL + channel]))
        if METHOD + method in paces:
            at = max(at, paces[METHOD + method])
        soonest = at if soonest is None else min(soonest, at)
    return soonest


def _aware(at: datetime | str) -> datetime:
    """The soonest time as the database gave it (SQLite may give it as text, without zone)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def release_held_due(session: Session, now: datetime) -> None:
    """A held channel is tried again after a while, in case it was fixed quietly."""
    session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.status == Delivery.HELD, OUTBOX.c.next_at <= now)
        .values(status=Delivery.PENDING)
    )


def parent_of(session: Session, row: OutboxMessage) -> OutboxMessage | None:
    """The message a thread line or an update belongs to: the latest of its slot written
    before it, for the same handover in the same channel."""
    return session.exec(
        select(OutboxMessage)
        .where(
            col(OutboxMessage.handover_id) == row.handover_id,
            col(OutboxMessage.slot) == row.ref_slot,
            col(OutboxMessage.channel) == row.channel,
            col(OutboxMessage.id) < row.id,
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
    ).first()
