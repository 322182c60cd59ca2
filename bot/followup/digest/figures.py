"""The coordinators' weekly digest: what happened to handovers in a week, computed in SQL.

Pure data and SQL, no Slack: ``bot.blocks.digest`` says it; ``chart`` and ``spreadsheet``
beside this module draw it and list its handovers.

Counts are ``GROUP BY`` aggregates over ``handover_event`` for the week, so a large
network costs one index range scan per week, never a load of every handover. Only what is
bounded by one week's volume (the accept and first-contact time pairs, the needs of the
week's unmatched handovers, the week's CSV rows) or by the open handovers (overdue checks)
is fetched row by row.

Indexes: every event query reads a window of ``handover_event.at``, so the digest needs an
index on ``handover_event(at)``, and is much faster with one on ``(kind, at)`` too (the
time pairs, the re-route test, gaps, bounced and the trend filter by kind). The re-route
test, the overdue check and the CSV's decline counts also look events up by
``handover_event.handover_id`` and handovers by ``handover.state``: both indexed already.
With both, a year of a million handovers (5M events) digests in about 4 s on PostgreSQL
or SQLite; without, about 11 s. Run it off Slack's 3-second path.

Definitions:

- Every figure counts events whose ``at`` is in the half-open window ``[start, end)``.
- *Re-routed*: a ``declined`` event after which the bot sent the handover straight on to
  another provider. The decline and that ``routed`` event are written in one transaction
  with one timestamp, so a re-route is a ``routed`` event with a ``declined`` event of the
  same handover at the same instant. A decline that left nobody is counted as *unmatched*.
- *Time to accept* (*to first contact*): working time from ``handover.created_at`` to the
  ``accepted`` (``contacted``) event, for each such event in the week; a handover re-opened
  and accepted again in one week counts twice. The event keeps it (``working_seconds``,
  by the network's working hours when it happened); older events have it worked out here
  with ``working_time``.
- Percentiles interpolate linearly between the closest ranks (numpy's default, Excel's
  PERCENTILE.INC): the median of 1h, 2h, 6h is 2h, their 90th percentile 5.2h.
- *Overdue now* (at ``now``, whatever the week), per provider the handover is with:
  pending longer than ``reminders.accept_within`` of working time since it reached that
  provider (its latest ``created``/``routed``/``routed_by_hand`` event); accepted and past
  its promised first-contact date (a day in the network's timezone); contacted longer than
  ``reminders.outcome_after`` of working time since ``contacted_at``. "Longer than" means
  ``working_time.add(since, duration) < now``.
- *Gaps in provision*: the needs of the handovers that became unmatched in the week (each
  handover once). *Bounced*: handovers declined twice or more in the week.
- *Duplicates caught*: ``duplicate`` events of the week: a referral of a resident who
  already had an open handover, which the adviser was warned of and sent anyway. A referral
  the adviser stopped stores nothing, so it is not counted.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import (
    and_,
    case,
    exists,
    func,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.directory.network import Network
from storage.models import (
    DeclineReason,
    EventKind,
    Handover,
    HandoverEvent,
    Outcome,
    Provider,
    State,
    format_ref,
)

TREND_WEEKS = 8
WEEK = timedelta(days=7)
WITHDRAWN = "withdrawn"  # the trend's key for withdrawn handovers, beside the outcomes
TREND_KEYS = (*(outcome.value for outcome in Outcome), WITHDRAWN)

# What reaching a provider looks like in the audit trail (created: the same instant as routed).
_ARRIVALS = (EventKind.CREATED, EventKind.ROUTED, EventKind.ROUTED_BY_HAND)
_RECEIVED = (EventKind.ROUTED, EventKind.ROUTED_BY_HAND)


class WorkingClock(Protocol):
    """What the digest needs of ``bot.followup.worktime.WorkingTime``."""

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from ``a`` to ``b``."""
        ...

    def add(self, start: datetime, duration: timedelta | str) -> datetime:
        """The moment ``duration`` of working time after ``start``."""
        ...


# -- the week --------------------------------------------------------------------------------


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def last_full_week(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The latest whole Monday-to-Monday local week before ``now`` (the weekly post's week).

    On Monday 09:00 that is last Monday 00:00 to this Monday 00:00. Returned in UTC.
    """
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return _local_midnight(monday - WEEK, zone), _local_midnight(monday, zone)


def seven_days_up_to(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The 7 days up to ``now`` (``/handover digest``): a handover raised a minute ago is in.

    Seven local days back, so the week before it and the trend's weeks line up with it
    across a clock change, as the calendar weeks do.
    """
    return weeks_before(now, 1, timezone), now


def weeks_before(start: datetime, weeks: int, timezone: str) -> datetime:
    """``start`` moved back whole local weeks: the same wall-clock time, across clock changes."""
    zone = ZoneInfo(timezone)
    local = start.astimezone(zone).replace(tzinfo=None) - weeks * WEEK
    return local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))


# -- what the digest holds -------------------------------------------------------------------


@dataclass(frozen=True)
class WeekFigures:
    start: datetime
    end: datetime
    raised: int = 0
    accepted: int = 0
    declined: int = 0
    rerouted: int = 0
    unmatched: int = 0
    withdrawn: int = 0
    first_contacts: int = 0
    closed_by_outcome: dict[str, int] = field(default_factory=dict)
    accept_median: timedelta | None = None
    accept_p90: timedelta | None = None
    contact_median: timedelta | None = None
    contact_p90: timedelta | None = None

    @property
    def closed(self) -> int:
        return sum(self.closed_by_outcome.values())


@dataclass(frozen=True)
class ProviderRow:
    id: str
    name: str
    received: int = 0
    accepted: int = 0
    declined_by_reason: dict[str, int] = field(default_factory=dict)
    overdue_now: int = 0
    accept_median: timedelta | None = None

    @property
    def declined(self) -> int:
        return sum(self.declined_by_reason.values())


@dataclass(frozen=True)
class Digest:
    start: datetime
    end: datetime
    this_week: WeekFigures
    last_week: WeekFigures
    providers: list[ProviderRow]
    gaps: dict[str, int]  # need key -> handovers with it that became unmatched
    bounced: list[str]  # references of handovers declined twice or more
    trend: list[tuple[datetime, dict[str, int]]]  # week start -> outcome (or withdrawn) -> n
    timezone: str  # the network's, for showing the week
    now: datetime  # when it was computed: "overdue now" is as of this
    up_to_now: bool = False  # the 7 days up to ``now`` (on demand), not a calendar week
    # Referrals of a resident who already had an open handover, sent anyway for another need.
    duplicates_caught: int = 0

    @property
    def overdue_now(self) -> int:
        return sum(row.overdue_now for row in self.providers)

    @property
    def anything_closed(self) -> bool:
        """Anything closed or withdrawn in the trend's 8 weeks: the chart's left panel."""
        return any(counts for _, counts in self.trend)

    @property
    def anything_accepted(self) -> bool:
        """A time to accept for some provider this week: the chart's right panel."""
        return any(row.accept_median is not None for row in self.providers)

    @property
    def has_chart(self) -> bool:
        return self.anything_closed or self.anything_accepted


# -- percentiles -----------------------------------------------------------------------------


def percentile(values: Sequence[timedelta], q: float) -> timedelta | None:
    """Linear interpolation between closest ranks; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[timedelta]) -> timedelta | None:
    return percentile(values, 0.5)


# -- queries ---------------------------------------------------------------------------------


def in_window(start: datetime, end: datetime):
    return and_(col(HandoverEvent.at) >= start, col(HandoverEvent.at) < end)


def _event_counts(session: Session, start: datetime, end: datetime):
    """(kind, provider_id, reason, n) for the window's events: one GROUP BY, one range scan."""
    return session.exec(
        select(HandoverEvent.kind, HandoverEvent.provider_id, HandoverEvent.reason, func.count())
        .where(in_window(start, end))
        .group_by(HandoverEvent.kind, HandoverEvent.provider_id, HandoverEvent.reason)
    ).all()


def _rerouted(session: Session, start: datetime, end: datetime) -> int:
    """Routed events of the window at the same instant as a decline of the same handover.

    A query of its own: asked inside the GROUP BY of every event, the decline lookup ran
    for each of the week's events; here it runs for routed ones, each a point lookup on
    ``(kind, at)``.
    """
    decline = aliased(HandoverEvent)
    after_decline = exists().where(
        decline.handover_id == HandoverEvent.handover_id,
        decline.kind == EventKind.DECLINED,
        decline.at == HandoverEvent.at,
    )
    return session.exec(
        select(func.count()).where(
            HandoverEvent.kind == EventKind.ROUTED, in_window(start, end), after_decline
        )
    ).one()


def _times(
    session: Session, start: datetime, end: datetime, working_time: WorkingClock
) -> dict[str, list[tuple[str | None, timedelta]]]:
    """Accepted and contacted: (provider_id, working time since raised) for each such event
    in the window, by kind.

    The event keeps that time (``working_seconds``, written when it happened), so a week
    of them is read, not worked out: 64 thousand ``between`` calls were 1 s of a 1M-a-year
    network's digest. Events from before the column are worked out as before; only for
    those is the handover's ``created_at`` looked up.
    """
    kinds = (EventKind.ACCEPTED, EventKind.CONTACTED)
    times: dict[str, list[tuple[str | None, timedelta]]] = {kind: [] for kind in kinds}
    kept = col(HandoverEvent.working_seconds)
    # The kept numbers come grouped, one row per kind and provider with all its numbers in
    # one value: 64 thousand rows of one number each were half a second of the digest.
    postgres = session.get_bind().dialect.name == "postgresql"
    together = func.array_agg(kept) if postgres else func.group_concat(kept)
    grouped = session.exec(
        select(HandoverEvent.kind, HandoverEvent.provider_id, together)
        .where(col(HandoverEvent.kind).in_(kinds), in_window(start, end), kept.is_not(None))
        .group_by(HandoverEvent.kind, HandoverEvent.provider_id)
    ).all()
    for kind, provider_id, numbers in grouped:
        values = numbers if postgres else str(numbers).split(",")
        times[kind].extend((provider_id, timedelta(seconds=float(n))) for n in values)
    # Events from before the column: worked out as before, from the handover's creation.
    created = (
        select(Handover.created_at)
        .where(col(Handover.id) == col(HandoverEvent.handover_id))
        .scalar_subquery()
    )
    missing = session.exec(
        select(HandoverEvent.kind, HandoverEvent.provider_id, created, HandoverEvent.at).where(
            col(HandoverEvent.kind).in_(kinds), in_window(start, end), kept.is_(None)
        )
    ).all()
    for kind, provider_id, raised, at in missing:
        times[kind].append((provider_id, working_time.between(raised, at)))
    return times


def _week(
    session: Session, start: datetime, end: datetime, working_time: WorkingClock
) -> tuple[WeekFigures, list, list[tuple[str | None, timedelta]]]:
    rows = _event_counts(session, start, end)
    kinds: dict[str, int] = defaultdict(int)
    closed: dict[str, int] = defaultdict(int)
    for kind, _provider, reason, n in rows:
        kinds[kind] += n
        if kind == EventKind.CLOSED:
            closed[reason or Outcome.OTHER.value] += n
    times = _times(session, start, end, working_time)
    accepts, contacts = times[EventKind.ACCEPTED], times[EventKind.CONTACTED]
    accept_times = [t for _, t in accepts]
    contact_times = [t for _, t in contacts]
    figures = WeekFigures(
        start=start,
        end=end,
        raised=kinds[EventKind.CREATED],
        accepted=kinds[EventKind.ACCEPTED],
        declined=kinds[EventKind.DECLINED],
        rerouted=_rerouted(session, start, end),
        unmatched=kinds[EventKind.UNMATCHED],
        withdrawn=kinds[EventKind.WITHDRAWN],
        first_contacts=kinds[EventKind.CONTACTED],
        closed_by_outcome=_ordered(closed, [o.value for o in Outcome]),
        accept_median=median(accept_times),
        accept_p90=percentile(accept_times, 0.9),
        contact_median=median(contact_times),
        contact_p90=percentile(contact_times, 0.9),
    )
    return figures, rows, accepts


def _ordered(counts: dict[str, int], order: Sequence[str]) -> dict[str, int]:
    """Known keys in their usual order, then any others by name; zeros left out."""
    keys = [k for k in order if counts.get(k)] + sorted(k for k in counts if k not in order)
    return {key: counts[key] for key in keys if counts[key]}


def _overdue(
    session: Session, network: Network, working_time: WorkingClock, now: datetime
) -> dict[str, int]:
    """Open handovers past their due, per provider they are with (see the module's doc)."""
    overdue: dict[str, int] = defaultdict(int)
    # Each provider's own reminder times where it has them; written as in the file (2d, 48h)
    # so the working-time clock reads days as working days and hours as hours.
    reminders = functools.cache(network.reminders_for)  # one lookup per provider, not per row
    # Due times are working time (a ``2d`` is two working days), so working_time decides;
    # SQL only gathers the open handovers, which are few next to the history. When the
    # handover reached its provider is its routed_at; the audit trail only answers for rows
    # from before that column (migration 0004), where it is NULL.
    arrived = (
        select(func.max(HandoverEvent.at))
        .where(
            col(HandoverEvent.handover_id) == col(Handover.id),
            col(HandoverEvent.kind).in_(_ARRIVALS),
        )
        .scalar_subquery()
    )
    pending = session.exec(
        select(Handover.provider_id, func.coalesce(Handover.routed_at, arrived)).where(
            Handover.state == State.PENDING, col(Handover.provider_id).is_not(None)
        )
    ).all()
    _count_past_due(
        overdue, pending, lambda p: reminders(p).accept_within, working_time=working_time, now=now
    )

    today = now.astimezone(ZoneInfo(network.network.timezone)).date()
    for provider_id, n in session.exec(
        select(Handover.provider_id, func.count())
        .where(
            Handover.state == State.ACCEPTED,
            col(Handover.provider_id).is_not(None),
            col(Handover.promised_contact_by) < today,
        )
        .group_by(Handover.provider_id)
    ).all():
        overdue[provider_id] += n

    contacted = session.exec(
        select(Handover.provider_id, Handover.contacted_at).where(
            Handover.state == State.CONTACTED,
            col(Handover.provider_id).is_not(None),
            col(Handover.contacted_at).is_not(None),
        )
    ).all()
    _count_past_due(
        overdue, contacted, lambda p: reminders(p).outcome_after, working_time=working_time, now=now
    )
    return overdue


def _count_past_due(
    overdue: dict[str, int], rows, duration_of, *, working_time: WorkingClock, now: datetime
) -> None:
    """Add to ``overdue`` each (provider_id, since) with ``add(since, duration) < now``.

    ``add`` never goes back as ``since`` goes forward, so among rows with one duration the
    overdue ones are the earliest: a binary search finds where they stop, with log(n) calls
    to the working-time clock instead of one per open handover.
    """
    groups: dict[object, list[tuple[datetime, str]]] = defaultdict(list)
    for provider_id, since in rows:
        if since is not None:
            groups[duration_of(provider_id)].append((since, provider_id))
    for duration, items in groups.items():
        items.sort(key=lambda item: item[0])
        low, high = 0, len(items)
        while low < high:
            middle = (low + high) // 2
            if working_time.add(items[middle][0], duration) < now:
                low = middle + 1
            else:
                high = middle
        for _since, provider_id in items[:low]:
            overdue[provider_id] += 1


def _gaps(session: Session, start: datetime, end: datetime, network: Network) -> dict[str, int]:
    became_unmatched = (
        select(HandoverEvent.handover_id)
        .where(HandoverEvent.kind == EventKind.UNMATCHED, in_window(start, end))
        .distinct()
    )
    counts: dict[str, int] = defaultdict(int)
    for needs in session.exec(
        select(Handover.needs).where(col(Handover.id).in_(became_unmatched))
    ).all():
        for need in dict.fromkeys(needs or []):
            counts[need] += 1
    # Most wanted first; the network's order among equals.
    order = {key: index for index, key in enumerate(network.services)}
    ranked = sorted(counts, key=lambda k: (-counts[k], order.get(k, len(order)), k))
    return {key: counts[key] for key in ranked}


def _bounced(session: Session, start: datetime, end: datetime) -> list[str]:
    ids = session.exec(
        select(HandoverEvent.handover_id)
        .where(HandoverEvent.kind == EventKind.DECLINED, in_window(start, end))
        .group_by(HandoverEvent.handover_id)
        .having(func.count() >= 2)
        .order_by(HandoverEvent.handover_id)
    ).all()
    return [format_ref(handover_id) for handover_id in ids]


def duplicates_caught(session: Session, start: datetime, end: datetime) -> int:
    """Duplicates caught in the window: the adviser was told the resident already had an
    open handover and sent this one anyway (a ``duplicate`` event, one per referral)."""
    return session.exec(
        select(func.count()).where(HandoverEvent.kind == EventKind.DUPLICATE, in_window(start, end))
    ).one()


def _trend(
    session: Session, start: datetime, end: datetime, timezone: str
) -> list[tuple[datetime, dict[str, int]]]:
    """Closed (by outcome) and withdrawn handovers per week, for the 8 weeks ending at ``end``."""
    starts = [weeks_before(start, TREND_WEEKS - 1 - i, timezone) for i in range(TREND_WEEKS)]
    bucket = case(
        *((col(HandoverEvent.at) < starts[i + 1], i) for i in range(TREND_WEEKS - 1)),
        else_=TREND_WEEKS - 1,
    )
    outcome = case(
        (HandoverEvent.kind == EventKind.WITHDRAWN, WITHDRAWN),
        else_=func.coalesce(HandoverEvent.reason, Outcome.OTHER.value),
    )
    inner = (
        select(bucket.label("week"), outcome.label("outcome"))
        .where(
            col(HandoverEvent.kind).in_((EventKind.CLOSED, EventKind.WITHDRAWN)),
            in_window(starts[0], end),
        )
        .subquery()
    )
    counts: list[dict[str, int]] = [defaultdict(int) for _ in starts]
    for week, key, n in session.exec(
        select(inner.c.week, inner.c.outcome, func.count()).group_by(inner.c.week, inner.c.outcome)
    ).all():
        counts[int(week)][key] += n
    return [(s, _ordered(c, TREND_KEYS)) for s, c in zip(starts, counts, strict=True)]


def compute_digest(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    network: Network,
    working_time: WorkingClock,
    now: datetime,
    up_to_now: bool = False,
) -> Digest:
    """The digest of ``[start, end)``, compared with the week before it; overdue as of ``now``.

    ``up_to_now`` says the window is the 7 days up to ``now`` rather than a calendar week.
    """
    timezone = network.network.timezone
    last_start = weeks_before(start, 1, timezone)
    this_week, rows, accepts = _week(session, start, end, working_time)
    last_week, _, _ = _week(session, last_start, start, working_time)

    received: dict[str, int] = defaultdict(int)
    accepted: dict[str, int] = defaultdict(int)
    declined: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for kind, provider_id, reason, n in rows:
        if provider_id is None:
            continue
        if kind in _RECEIVED:
            received[provider_id] += n
        elif kind == EventKind.ACCEPTED:
            accepted[provider_id] += n
        elif kind == EventKind.DECLINED:
            declined[provider_id][reason or "other"] += n
    accept_times: dict[str, list[timedelta]] = defaultdict(list)
    for provider_id, taken in accepts:
        if provider_id is not None:
            accept_times[provider_id].append(taken)
    overdue = _overdue(session, network, working_time, now)

    busy = set(received) | set(accepted) | set(declined) | set(overdue)
    reasons = [reason.value for reason in DeclineReason]
    providers = [
        ProviderRow(
            id=p.id,
            name=p.name,
            received=received.get(p.id, 0),
            accepted=accepted.get(p.id, 0),
            declined_by_reason=_ordered(declined.get(p.id, {}), reasons),
            overdue_now=overdue.get(p.id, 0),
            accept_median=median(accept_times.get(p.id, [])),
        )
        for p in session.exec(select(Provider).order_by(Provider.name, Provider.id)).all()
        if p.active or p.id in busy
    ]
    return Digest(
        start=start,
        end=end,
        this_week=this_week,
        last_week=last_week,
        providers=providers,
        gaps=_gaps(session, start, end, network),
        bounced=_bounced(session, start, end),
        trend=_trend(session, start, end, timezone),
        timezone=timezone,
        now=now,
        up_to_now=up_to_now,
        duplicates_caught=duplicates_caught(session, start, end),
    )
