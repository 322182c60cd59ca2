"""Reads and writes the domain needs. Every function takes ``session`` as a keyword."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from storage.db import upsert_insert
from storage.models import (
    OPEN_STATES,
    CircumstanceTally,
    EventKind,
    Handover,
    HandoverEvent,
    Provider,
    Resident,
    ResidentMessage,
    State,
)

# Marks "the provider the handover is with now" in record_event.
CURRENT = object()

# Handovers a provider is actively working on (the load that ranking spreads).
LOAD_STATES = (State.PENDING, State.ACCEPTED, State.CONTACTED)


# What the network file decides about a provider; the rest (capacity, routing) is the database's.
FILE_FIELDS = (
    "name",
    "channel",
    "email",
    "services",
    "areas",
    "age_min",
    "age_max",
    "description",
    "languages",
)


def upsert_providers(*, session: Session, providers: Iterable[Provider]) -> None:
    """Make the table match the network file; providers no longer listed become inactive."""
    listed = {provider.id: provider for provider in providers}
    for existing in session.exec(select(Provider)).all():
        entry = listed.pop(existing.id, None)
        if entry is None:
            existing.active = False
            continue
        for name in FILE_FIELDS:
            setattr(existing, name, getattr(entry, name))
        existing.active = entry.active
    for entry in listed.values():
        session.add(entry)


def active_providers(*, session: Session) -> Sequence[Provider]:
    return session.exec(select(Provider).where(Provider.active).order_by(Provider.id)).all()


# PostgreSQL's advisory lock for routing: any number, the same in every replica.
ROUTING_LOCK = 7_411_001


def hold_routing(*, session: Session) -> None:
    """Routing decisions one at a time, until this transaction ends (PostgreSQL; SQLite's
    writers are one at a time already). Requests that chose at once would all choose the
    same provider; and taking turns by compare-and-set alone, a request that retried
    would hold one provider's row while waiting for another's, and deadlock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(ROUTING_LOCK)))


def provider_days(*, session: Session) -> Sequence:
    """What changes day to day about each active provider, by id: its open handovers, its
    turn, its capacity and its usual volume. Columns, not rows: routing asks at each Next
    and Send, and the rest of a provider is the network file's, already in memory."""
    return session.execute(
        select(
            Provider.id,
            Provider.open_handovers,
            Provider.last_routed_at,
            Provider.capacity,
            Provider.paused_until,
            Provider.routed_volume,
            Provider.routed_volume_at,
        )
        .where(Provider.active)
        .order_by(Provider.id)
    ).all()


def all_providers(*, session: Session) -> Sequence[Provider]:
    return session.exec(select(Provider).order_by(Provider.name)).all()


def get_provider(*, session: Session, provider_id: str) -> Provider | None:
    return session.get(Provider, provider_id)


def _unconfirmed_since(cutoff: datetime):
    """Not confirmed since ``cutoff``: confirmed before it, or never and listed before it."""
    return or_(
        col(Provider.confirmed_at) <= cutoff,
        and_(col(Provider.confirmed_at).is_(None), col(Provider.created_at) <= cutoff),
    )


def _is(column, value):
    return col(column).is_(None) if value is None else col(column) == value


def unconfirmed_since(*, session: Session, cutoff: datetime) -> Sequence[Provider]:
    """Active providers whose directory entry nobody has confirmed since ``cutoff``."""
    return session.exec(
        select(Provider)
        .where(Provider.active, _unconfirmed_since(cutoff))
        .order_by(func.coalesce(Provider.confirmed_at, Provider.created_at), Provider.id)
    ).all()


def due_for_confirm_nudge(*, session: Session, cutoff: datetime) -> Sequence[Provider]:
    """Unconfirmed since ``cutoff`` and not nudged since then either."""
    return session.exec(
        select(Provider)
        .where(
            Provider.active,
            _unconfirmed_since(cutoff),
            or_(
                col(Provider.confirm_nudged_at).is_(None),
                col(Provider.confirm_nudged_at) <= cutoff,
            ),
        )
        .order_by(Provider.id)
    ).all()


def claim_confirm_nudge(*, session: Session, provider: Provider, now: datetime) -> bool:
    """Mark the provider nudged, only if nobody nudged or confirmed it since it was read.

    Two ticks (or two copies of the bot) deciding at once: the loser's UPDATE matches no row.
    """
    result = session.execute(
        update(Provider)
        .where(
            col(Provider.id) == provider.id,
            _is(Provider.confirm_nudged_at, provider.confirm_nudged_at),
            _is(Provider.confirmed_at, provider.confirmed_at),
        )
        .values(confirm_nudged_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    provider.confirm_nudged_at = now
    return True


def confirm_provider(
    *, session: Session, provider: Provider, seen: datetime | None, now: datetime, actor_id: str
) -> bool:
    """Record a confirmation, only if the last one is still ``seen`` (what the button showed).

    A double click, or two people answering the same nudge, confirms once.
    """
    result = session.execute(
        update(Provider)
        .where(col(Provider.id) == provider.id, _is(Provider.confirmed_at, seen))
        .values(confirmed_at=now, confirmed_by=actor_id, confirm_nudge_ts=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    provider.confirmed_at, provider.confirmed_by, provider.confirm_nudge_ts = now, actor_id, None
    return True


def set_confirm_nudge(*, session: Session, provider_id: str, ts: str | None) -> None:
    """Remember where the open nudge is; not a confirmation, so no compare-and-set."""
    session.execute(
        update(Provider)
        .where(col(Provider.id) == provider_id)
        .values(confirm_nudge_ts=ts)
        .execution_options(synchronize_session=False)
    )


def provider_loads(*, session: Session) -> dict[str, int]:
    """Open handovers per provider, counted: what ``Provider.open_handovers`` keeps."""
    rows = session.exec(
        select(Handover.provider_id, func.count())
        .where(col(Handover.state).in_(LOAD_STATES))
        .group_by(Handover.provider_id)
    ).all()
    return {provider_id: count for provider_id, count in rows if provider_id}


def get_handover(*, session: Session, handover_id: int) -> Handover | None:
    return session.get(Handover, handover_id)


def find_by_request(*, session: Session, request_key: str) -> Handover | None:
    return session.exec(select(Handover).where(Handover.request_key == request_key)).first()


def count_circumstances(*, session: Session, day, keys) -> None:
    """One more handover with each of these circumstances on ``day`` (an upsert, so two
    handovers raised at once both count)."""
    from sqlalchemy.dialects import postgresql, sqlite

    if not keys:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = CircumstanceTally.__table__
    statement = insert(table).values([{"day": day, "key": key, "count": 1} for key in keys])
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.day, table.c.key], set_={"count": table.c.count + 1}
    )
    session.execute(statement)


def circumstance_totals(*, session: Session, first_day, end_day) -> dict[str, int]:
    """Handovers per circumstance raised from ``first_day`` up to (not including) ``end_day``."""
    rows = session.exec(
        select(CircumstanceTally.key, func.sum(CircumstanceTally.count))
        .where(CircumstanceTally.day >= first_day, CircumstanceTally.day < end_day)
        .group_by(CircumstanceTally.key)
    ).all()
    return {key: int(total) for key, total in rows}


def resident_messages_of(*, session: Session, handover_id: int) -> list[ResidentMessage]:
    return list(
        session.exec(
            select(ResidentMessage)
            .where(ResidentMessage.handover_id == handover_id)
            .order_by(ResidentMessage.id)
        ).all()
    )


def get_resident(*, session: Session, handover_id: int) -> Resident | None:
    return session.get(Resident, handover_id)


def declined_by(*, session: Session, handover_id: int) -> set[str]:
    rows = session.exec(
        select(HandoverEvent.provider_id).where(
            HandoverEvent.handover_id == handover_id, HandoverEvent.kind == EventKind.DECLINED
        )
    ).all()
    return {provider_id for provider_id in rows if provider_id}


def events_of(*, session: Session, handover_id: int) -> Sequence[HandoverEvent]:
    return session.exec(
        select(HandoverEvent)
        .where(HandoverEvent.handover_id == handover_id)
        .order_by(HandoverEvent.at, HandoverEvent.id)
    ).all()


def last_organisation(*, session: Session, adviser_id: str) -> str | None:
    return session.exec(
        select(Handover.adviser_org)
        .where(Handover.adviser_id == adviser_id, Handover.adviser_org != "")
        .order_by(col(Handover.id).desc())
        .limit(1)
    ).first()


def open_for_adviser(*, session: Session, adviser_id: str, limit: int = 50) -> Sequence[Handover]:
    return session.exec(
        select(Handover)
        .where(Handover.adviser_id == adviser_id, col(Handover.state).in_(OPEN_STATES))
        .order_by(col(Handover.created_at).desc())
        .limit(limit)
    ).all()


def queue_of(
    *, session: Session, provider_ids: Sequence[str], limit: int = 50
) -> Sequence[Handover]:
    if not provider_ids:
        return []
    return session.exec(
        select(Handover)
        .where(col(Handover.provider_id).in_(provider_ids), col(Handover.state).in_(LOAD_STATES))
        .order_by(Handover.created_at)
        .limit(limit)
    ).all()


def unmatched(*, session: Session, limit: int = 50) -> Sequence[Handover]:
    return session.exec(
        select(Handover)
        .where(Handover.state == State.UNMATCHED)
        .order_by(Handover.created_at)
        .limit(limit)
    ).all()


def count_open_by_state(*, session: Session) -> dict[str, int]:
    """Open handovers by state: read from the state index, so the finished history (which
    grows by the week) is never counted."""
    rows = session.exec(
        select(Handover.state, func.count())
        .where(col(Handover.state).in_(OPEN_STATES))
        .group_by(Handover.state)
    ).all()
    return dict(rows)


def compare_and_set(*, session: Session, handover: Handover, values: dict[str, Any]) -> bool:
    """Apply ``values`` only if nobody changed the handover since it was read.

    The version check makes a double click, two workers at once or a retried
    request apply exactly once: the loser's UPDATE matches no row.
    """
    table = Handover.__table__
    version = handover.version + 1
    result = session.execute(
        update(table)
        .where(table.c.id == handover.id, table.c.version == handover.version)
        .values(version=version, **values)
    )
    if result.rowcount != 1:
        return False
    # The row holds these now: kept as loaded, so the session does not write them again.
    for name, value in {**values, "version": version}.items():
        set_committed_value(handover, name, value)
    return True


def record_event(
    *,
    session: Session,
    handover: Handover,
    kind: EventKind,
    at: datetime,
    actor_id: str | None,
    from_state: str | None,
    reason: str | None = None,
    note: str | None = None,
    provider_id: str | object | None = CURRENT,
    working_seconds: float | None = None,
) -> HandoverEvent:
    """One audit line; the provider is the handover's current one unless given."""
    event = HandoverEvent(
        handover_id=handover.id,
        at=at,
        actor_id=actor_id,
        kind=kind,
        from_state=from_state,
        to_state=handover.state,
        provider_id=handover.provider_id if provider_id is CURRENT else provider_id,
        reason=reason,
        note=note,
        working_seconds=working_seconds,
    )
    session.add(event)
    return event


def set_message_location(*, session: Session, handover_id: int, **where: str | None) -> None:
    """Remember where a message about the handover is; not a state change, so no version bump."""
    session.execute(
        update(Handover)
        .where(col(Handover.id) == handover_id)
        .values(**where)
        .execution_options(synchronize_session=False)
    )


def due_handovers(*, session: Session, now: datetime, limit: int) -> Sequence[Handover]:
    """Handovers whose next reminder is due, oldest first.

    On PostgreSQL the rows are locked and rows another scheduler holds are skipped, so two
    copies of the bot share the work; on SQLite the claim's compare-and-set does the same.
    """
    query = (
        select(Handover)
        .where(col(Handover.due_at) <= now)
        .order_by(Handover.due_at, Handover.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.exec(query).all()


def claim_job(*, session: Session, name: str, now: datetime, next_run: datetime) -> bool:
    """Take a recurring job's run if it is due; False when not due or another copy took it."""
    from storage.models import ScheduledJob

    job = session.get(ScheduledJob, name)
    if job is None:
        session.add(ScheduledJob(name=name, next_run_at=next_run))
        try:
            session.commit()
        except IntegrityError:  # two schedulers' first tick at once: the other one wrote it
            session.rollback()
        return False
    if job.next_run_at > now:
        return False
    result = session.execute(
        update(ScheduledJob)
        .where(col(ScheduledJob.name) == name, col(ScheduledJob.next_run_at) == job.next_run_at)
        .values(next_run_at=next_run, last_run_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


# -- trust: who saw what, and Slack deliveries taken once -------------------------------


def record_access(
    *, session: Session, handover_ids: Iterable[int], viewer_id: str, what: str, at: datetime
) -> None:
    """Who was shown which handovers: one INSERT however many were listed."""
    from sqlalchemy import insert

    from storage.models import AccessEntry

    rows = [
        {"handover_id": handover_id, "viewer_id": viewer_id[:32], "what": what, "at": at}
        for handover_id in dict.fromkeys(handover_ids)
    ]
    if rows:
        session.execute(insert(AccessEntry), rows)


def accesses_of(*, session: Session, handover_id: int) -> Sequence[Any]:
    from storage.models import AccessEntry

    return session.exec(
        select(AccessEntry)
        .where(AccessEntry.handover_id == handover_id)
        .order_by(AccessEntry.at, AccessEntry.id)
    ).all()


def claim_delivery(*, session: Session, key: str, at: datetime) -> bool:
    """Take a Slack delivery; False when this key was taken before (by any replica)."""
    from storage.models import SlackDelivery

    # One statement, whoever holds the key: a savepoint around an INSERT that may fail
    # took three round trips more on every request that changes something.
    table = SlackDelivery.__table__
    insert = upsert_insert(session.get_bind().dialect.name)
    taken = session.execute(
        insert(table)
        .values(key=key[:96], received_at=at)
        .on_conflict_do_nothing(index_elements=[table.c.key])
        .returning(table.c.key)
    ).first()
    session.commit()
    return taken is not None


def release_delivery(*, session: Session, key: str) -> None:
    """Forget a delivery whose handling failed before it changed anything."""
    from sqlalchemy import delete

    from storage.models import SlackDelivery

    session.execute(delete(SlackDelivery).where(col(SlackDelivery.key) == key[:96]))
    session.commit()


def forget_deliveries(*, session: Session, before: datetime) -> int:
    """Slack retries within minutes: deliveries older than that need no remembering."""
    from sqlalchemy import delete

    from storage.models import SlackDelivery

    result = session.execute(delete(SlackDelivery).where(col(SlackDelivery.received_at) < before))
    session.commit()
    return result.rowcount


def resident_erased_at(*, session: Session, handover_id: int) -> datetime | None:
    """When the details were erased, read without decrypting them."""
    return session.exec(
        select(Resident.erased_at).where(Resident.handover_id == handover_id)
    ).first()
