"""A year of a network's handovers, written fast: SQLite ``executemany`` of plain tuples,
PostgreSQL ``COPY``. Rows look like the bot's own (states spread by age, the events each
state implies, due times, residents erased after retention), so queries plan as for real.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.followup.digest.figures import WorkingClock
from storage.models import EventKind, State

# A Wednesday, 11:00 in London (and UTC: winter): inside working hours, mid-week.
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
YEAR = timedelta(days=365)
BUSY_SHARE = 0.05  # the busiest provider gets this share of the network's handovers
NEEDS = (["cv"], ["cv", "interview"], ["esol"], ["digital"], ["youth", "cv"], ["training"])
OUTCOMES = ("started_support", "not_eligible", "could_not_contact", "resident_declined")
DECLINES = ("not_eligible", "out_of_area", "at_capacity", "service_not_offered")

HANDOVER_COLUMNS = (
    "id", "needs", "postcode_district", "age_band", "language", "urgency", "context",
    "adviser_id", "adviser_org", "request_key", "state", "version", "provider_id",
    "match_reason", "routed_by_hand", "worker_id", "promised_contact_by", "outcome",
    "consent_text", "consent_at", "consent_by", "created_at", "updated_at", "accepted_at",
    "contacted_at", "closed_at", "card_channel", "card_ts", "due_at", "due_kind", "routed_at",
    "details_erased",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "handover_id", "at", "actor_id", "kind", "from_state", "to_state", "provider_id",
    "reason", "working_seconds",
)  # fmt: skip
PENDING, ACCEPTED, CONTACTED = State.PENDING, State.ACCEPTED, State.CONTACTED
TABLES = ("handover", "handover_event", "resident", "outbox")
RESIDENT_COLUMNS = ("handover_id", "name", "phone", "email", "access_needs", "erased_at")
# The card each routed handover's provider was sent, long delivered: the outbox keeps every
# sent row, so its due-check must stay flat however many there are.
OUTBOX_COLUMNS = (
    "id", "key", "handover_id", "method", "channel", "slot", "status", "attempts", "in_doubt",
    "next_at", "created_at", "sent_at", "sent_channel", "ts",
)  # fmt: skip


def _state(age: timedelta, roll: float) -> str:
    """Recent handovers are mostly open; a year-old one is almost always finished."""
    if age < timedelta(days=2):
        table = ((0.6, State.PENDING), (0.9, State.ACCEPTED), (0.95, State.UNMATCHED))
    elif age < timedelta(days=14):
        table = (
            (0.05, State.PENDING),
            (0.3, State.ACCEPTED),
            (0.7, State.CONTACTED),
            (0.95, State.CLOSED),
            (0.97, State.UNMATCHED),
        )
    else:
        table = ((0.005, State.ACCEPTED), (0.015, State.CONTACTED), (0.02, State.UNMATCHED))
        table += ((0.92, State.CLOSED),)
    for limit, state in table:
        if roll < limit:
            return state
    return State.WITHDRAWN


class Rows:
    """The handovers, events and residents of ``n`` handovers over the year before NOW."""

    def __init__(
        self,
        n: int,
        providers: list[tuple[str, str]],
        *,
        data_key: str,
        working_time: WorkingClock,
        seed=7,
    ):
        self.n = n
        self.providers = providers  # (id, channel)
        # Accepted and contacted events keep the working time since raised, as the bot's
        # Handovers service writes it: by the network's working hours.
        self.working_time = working_time
        self.random = random.Random(seed)
        self.token = Fernet(data_key.encode()).encrypt(b"Sam Resident").decode()
        self.handovers: list[tuple] = []
        self.events: list[tuple] = []
        self.residents: list[tuple] = []
        self.outbox: list[tuple] = []
        self._event_id = 0

    def _provider(self) -> tuple[str, str]:
        r = self.random
        return self.providers[0] if r.random() < BUSY_SHARE else r.choice(self.providers)

    def _event(
        self, handover_id, at, kind, before, after, provider, reason=None, actor=None, since=None
    ):
        self._event_id += 1
        working = None if since is None else self.working_time.between(since, at).total_seconds()
        self.events.append(
            (self._event_id, handover_id, at, actor, kind, before, after, provider, reason, working)
        )

    def batches(self, size: int = 20_000) -> Iterator[Rows]:
        """Generate in batches: ``self`` holds one batch's rows at a time."""
        step = YEAR / self.n
        start = NOW - YEAR
        for first in range(1, self.n + 1, size):
            self.handovers, self.events, self.residents, self.outbox = [], [], [], []
            for i in range(first, min(first + size, self.n + 1)):
                self._one(i, start + step * (i - 1))
            yield self

    def _one(self, i: int, created: datetime) -> None:
        r = self.random
        created += timedelta(seconds=r.random() * 30)
        age = NOW - created
        state = _state(age, r.random())
        provider, channel = self._provider()
        adviser = f"UADV{r.randrange(2000):05d}"
        soon = min(age * 0.3, timedelta(hours=r.uniform(0.5, 30)))
        e = self._event
        e(i, created, EventKind.CREATED, None, State.PENDING, provider, actor=adviser)
        e(i, created, EventKind.ROUTED, None, State.PENDING, provider)
        if state == State.UNMATCHED:
            e(i, created + soon, EventKind.DECLINED, State.PENDING, State.UNMATCHED, provider,
              r.choice(DECLINES))  # fmt: skip
            e(i, created + soon, EventKind.UNMATCHED, State.PENDING, State.UNMATCHED, None)
            provider = channel = None
        elif r.random() < 0.12 and state != State.PENDING:
            # Declined once, and straight on to the next provider (a re-route).
            first = provider
            provider, channel = self._provider()
            e(i, created + soon / 2, EventKind.DECLINED, State.PENDING, State.PENDING, first,
              r.choice(DECLINES))  # fmt: skip
            e(i, created + soon / 2, EventKind.ROUTED, State.PENDING, State.PENDING, provider)
        accepted = contacted = closed = due = kind = None
        promised = outcome = worker = None
        if state in (State.ACCEPTED, State.CONTACTED, State.CLOSED):
            accepted = created + soon
            worker = f"USTAFF{r.randrange(400):04d}"
            promised = (accepted + timedelta(days=2)).date()
            e(i, accepted, EventKind.ACCEPTED, PENDING, ACCEPTED, provider, actor=worker,
              since=created)  # fmt: skip
        if state in (State.CONTACTED, State.CLOSED):
            contacted = accepted + min((NOW - accepted) * 0.4, timedelta(days=r.uniform(0.5, 3)))
            e(i, contacted, EventKind.CONTACTED, ACCEPTED, CONTACTED, provider, actor=worker,
              since=created)  # fmt: skip
        if state == State.CLOSED:
            closed = contacted + min((NOW - contacted) * 0.5, timedelta(days=r.uniform(1, 20)))
            outcome = r.choice(OUTCOMES)
            e(i, closed, EventKind.CLOSED, State.CONTACTED, State.CLOSED, provider, outcome, worker)
        if state == State.WITHDRAWN:
            closed = created + soon
            e(i, closed, EventKind.WITHDRAWN, PENDING, State.WITHDRAWN, provider, actor=adviser)
        if r.random() < 0.1:
            e(i, created + soon / 3, EventKind.REMINDED, State.PENDING, State.PENDING, provider,
              "accept_reminder")  # fmt: skip
        if state in (State.PENDING, State.ACCEPTED, State.CONTACTED):
            # Every open handover owes a reminder, due later than NOW: a steady state.
            due = NOW + timedelta(hours=r.uniform(1, 72))
            kind = {"pending": "accept_reminder", "accepted": "contact_nudge"}.get(
                state, "outcome_ask"
            )
        updated = closed or contacted or accepted or created
        erased = closed is not None and NOW - closed > timedelta(days=90)
        self.handovers.append(
            (
                i, json.dumps(r.choice(NEEDS)), f"NW{r.randrange(1, 12)}", "25-29", "English",
                "routine", "Looking for work; CV out of date.", adviser, "Job Club",
                f"Vgen{i}", state, 3, provider, "covers every need" if provider else None,
                False, worker, promised, outcome, "The resident agreed.", created, adviser, created,
                updated, accepted, contacted, closed, channel, f"{i}.000100" if channel else None,
                due, kind, created, erased,
            )
        )  # fmt: skip
        if channel:
            self.outbox.append(
                (i, f"{i}:{channel}", i, "chat.postMessage", channel, "card", "sent", 1, False,
                 created, created, created, channel, f"{i}.000100")
            )  # fmt: skip
        if erased:
            self.residents.append((i, None, None, None, None, closed + timedelta(days=90)))
        else:
            self.residents.append((i, self.token, self.token, None, None, None))


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _open_count_migration():
    """The migration that keeps providers' open counts: its triggers and its count."""
    import importlib.util

    from storage.db import MIGRATIONS

    path = MIGRATIONS / "versions" / "0015_provider_open_count.py"
    spec = importlib.util.spec_from_file_location("open_count_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write(engine: Engine, rows: Rows) -> None:
    """Every batch of ``rows`` into the database, after its providers are there."""
    # Loaded without their secondary indexes, which are built once at the end: the usual way
    # to bulk-load, several times faster than keeping them up to date row by row.
    indexes = [i for name in TABLES for i in SQLModel.metadata.tables[name].indexes]
    for index in indexes:
        index.drop(engine)
    counts = _open_count_migration()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # The providers' open counts are kept by triggers as handovers change; a bulk load
        # counts them once at the end instead of updating a provider row per handover.
        if engine.dialect.name == "sqlite":
            for name in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER handover_open_count_{name}")
        else:
            cursor.execute("ALTER TABLE handover DISABLE TRIGGER handover_open_count")
        raw.commit()
        for batch in rows.batches():
            for table, columns, data in (
                ("handover", HANDOVER_COLUMNS, batch.handovers),
                ("handover_event", EVENT_COLUMNS, batch.events),
                ("resident", RESIDENT_COLUMNS, batch.residents),
                ("outbox", OUTBOX_COLUMNS, batch.outbox),
            ):
                names = ", ".join(columns)
                if engine.dialect.name == "sqlite":
                    marks = ", ".join("?" * len(columns))
                    cursor.executemany(
                        f"INSERT INTO {table} ({names}) VALUES ({marks})",
                        [tuple(map(_sqlite_value, row)) for row in data],
                    )
                else:
                    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                        for row in data:
                            copy.write_row(row)
            raw.commit()
        for index in indexes:
            index.create(engine)
        if engine.dialect.name == "sqlite":
            for statement in counts.SQLITE:
                cursor.execute(statement)
        else:
            cursor.execute("ALTER TABLE handover ENABLE TRIGGER handover_open_count")
        cursor.execute(counts.COUNT_NOW)
        raw.commit()
        if engine.dialect.name == "postgresql":
            for table in ("handover", "handover_event", "outbox"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            raw.commit()
            # What autovacuum has done by now on a database in use: statistics for the
            # planner, and the visibility map that lets a query answer from an index alone.
            raw.driver_connection.autocommit = True
            cursor.execute("VACUUM ANALYZE")
    finally:
        raw.close()
