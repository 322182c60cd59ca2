"""Throughput: advisers raising handovers at once, end to end, and nothing lost or doubled.

Closed loop (each adviser raises one handover after another, waiting for its card) shows
what the whole system carries; open loop (referrals arriving at a set rate, whatever the
bot's answers) shows whether the server keeps up with a given load. Either way, once the
run ends the bench waits for the outbox to drain, then counts every card and every DM."""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from bench.client import Sender
from bench.databases import POSTGRES_URL
from bench.fake import TimedFake
from bench.flows import REF, Flow, FlowError
from bench.network import BenchNetwork
from bench.servers import start_bot
from bench.stats import PeakMemory, cpu_seconds, postgres_pids, summary

DRAIN_TIMEOUT = 120.0  # seconds the outbox may take to deliver what a run left


class _RoundRobin:
    """Replicas behind one address: each adviser's requests go to the next replica."""

    def __init__(self, flows: list[Flow]):
        self.flows = flows
        self._next = 0
        self._lock = threading.Lock()

    def pick(self) -> Flow:
        with self._lock:
            self._next += 1
            return self.flows[self._next % len(self.flows)]


def measure(
    fake: TimedFake,
    net: BenchNetwork,
    *,
    database_url: str,
    workdir: Path,
    advisers: int,
    handovers: int,
    workers: int = 1,
    replicas: int = 1,
    rate: float | None = None,
    count_transactions: bool = False,
) -> dict:
    key = Fernet.generate_key().decode()
    with contextlib.ExitStack() as stack:
        bots = [
            stack.enter_context(
                start_bot(
                    fake, database_url=database_url, workdir=workdir, workers=workers, data_key=key
                )
            )
            for _ in range(replicas)
        ]
        flows = _RoundRobin(
            [Flow(fake, Sender(bot.port), channels=net.staff_by_channel) for bot in bots]
        )
        for flow in flows.flows:
            # One network of residents: none is referred twice, whichever replica gets it.
            flow.residents = flows.flows[0].residents
            flow.handover(net.adviser(0))  # warm up
        _drain(database_url)
        fake.forget()
        before = _count(database_url)
        idle = sum(bot.rss() for bot in bots)
        done, failed = [], []
        lock = threading.Lock()

        def one(i: int) -> None:
            flow = flows.pick()
            try:
                timings = flow.handover(net.adviser(i % net.advisers))
            except (FlowError, OSError) as error:
                with lock:
                    failed.append(str(error))
            else:
                with lock:
                    done.append(timings)

        pids = [pid for bot in bots for pid in bot.pids()]
        pg = postgres_pids() if database_url.startswith("postgresql") else []
        counting = database_url.startswith("postgresql") and count_transactions
        transactions = Transactions(database_url) if counting else None
        xacts = idle_xacts = None
        if transactions:
            quiet = transactions.read()
            quiet_from = time.perf_counter()
            xacts = transactions.read()
            marked = time.perf_counter()
            idle_per_second = (xacts - quiet) / (marked - quiet_from)
        cpu, pg_cpu = cpu_seconds(*pids), cpu_seconds(*pg)
        with PeakMemory(_All(bots)) as peak:
            started = time.perf_counter()
            if rate is None:
                each = max(1, math.ceil(handovers / advisers))
                attempted = advisers * each
                _closed_loop(one, advisers, each)
            else:
                attempted = handovers
                _open_loop(one, rate, handovers, advisers)
            wall = time.perf_counter() - started
            drained = _drain(database_url, transactions.engine if transactions else None)
        cpu = cpu_seconds(*pids) - cpu
        pg_cpu = cpu_seconds(*pg) - pg_cpu
        if transactions is not None:
            # The drain's questions were ours too: they go through the same engine.
            xacts = transactions.read() - xacts
            idle_xacts = idle_per_second * (time.perf_counter() - marked)
            xacts -= idle_xacts
            transactions.close()
        check = _check(fake, database_url, done, before, set(net.staff_by_channel))
        check["outbox_drained_seconds"] = drained
    acks = [a for t in done for a in t.acks.values()]
    n = len(done)
    return {
        "mode": "closed" if rate is None else "open",
        "rate": rate,
        "advisers": advisers,
        "workers": workers,
        "replicas": replicas,
        "attempted": attempted,
        "completed": n,
        "failed": len(failed),
        "failures": sorted(Counter(failed).items())[:5],
        "seconds": round(wall, 2),
        "per_second": round(n / wall, 1) if wall else None,
        # Answered: Slack had the "sent" answer of each, whenever its card reached Slack
        # (which Slack's pace in each channel decides, not the server).
        "answered_per_second": _answered_rate(done, started),
        "acks": summary(acks),
        "acks_by_step": {
            step: summary([t.acks[step] for t in done if step in t.acks])
            for step in ("command", "next", "send")
        },
        "card": summary([t.card for t in done]),
        "bot_cpu_ms_per_handover": round(cpu * 1000 / n, 1) if n else None,
        "postgres_cpu_ms_per_handover": round(pg_cpu * 1000 / n, 1) if n and pg else None,
        "transactions_per_handover": round(xacts / n, 1) if n and xacts is not None else None,
        "transactions_idle_taken_off": round(idle_xacts) if idle_xacts is not None else None,
        "memory": {"bot_idle_bytes": idle, "bot_peak_bytes": peak.peak},
        "check": check,
    }


def _answered_rate(done: list, started: float) -> float | None:
    last = max((t.answered_at for t in done if t.answered_at is not None), default=None)
    if last is None or last <= started:
        return None
    return round(len(done) / (last - started), 1)


class _All:
    """The replicas' memory together, as PeakMemory samples it."""

    def __init__(self, bots):
        self.bots = bots

    def rss(self) -> int:
        return sum(bot.rss() for bot in self.bots)


def _closed_loop(one, advisers: int, each: int) -> None:
    def adviser(i: int) -> None:
        for _ in range(each):
            one(i)

    threads = [threading.Thread(target=adviser, args=(i,)) for i in range(advisers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _open_loop(one, rate: float, handovers: int, advisers: int) -> None:
    """Referrals arrive every 1/rate seconds, each run by a client thread of its own, so a
    slow answer never slows the arrivals (up to ``advisers`` * 4 referrals in flight)."""
    gap = 1.0 / rate
    with ThreadPoolExecutor(max_workers=max(8, advisers * 4)) as pool:
        start = time.perf_counter()
        for i in range(handovers):
            wait = start + i * gap - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            pool.submit(one, i)


def _engine(database_url: str):
    return create_engine(database_url, isolation_level="AUTOCOMMIT")


def _count(database_url: str) -> int:
    engine = _engine(database_url)
    with engine.connect() as connection:
        n = connection.execute(text("SELECT count(*) FROM handover")).scalar_one()
    engine.dispose()
    return n


def _drain(database_url: str, engine=None) -> float | None:
    """Seconds until the outbox has nothing left to deliver (None: not within the limit)."""
    own = engine is not None
    engine = engine or _engine(database_url)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < DRAIN_TIMEOUT:
            with engine.connect() as connection:
                waiting = connection.execute(
                    text(
                        "SELECT count(*) FROM outbox "
                        "WHERE status = 'pending' OR leased_until IS NOT NULL"
                    )
                ).scalar_one()
            if not waiting:
                return round(time.perf_counter() - started, 2)
            time.sleep(0.05)
        return None
    finally:
        if not own:
            engine.dispose()


class Transactions:
    """PostgreSQL's own count of the bench database's transactions (pg_stat_database), less
    the bench's own questions to it. Read from another database, so that reading adds
    nothing; a backend reports its figures within a second while busy and within ten once
    idle, so each reading waits that long. What the bot does while idle (its outbox
    worker's and scheduler's rounds) is measured over a quiet window of the same length
    and taken off."""

    SETTLE = 10.5

    def __init__(self, database_url: str):
        self.name = make_url(database_url).database
        self.admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        self.engine = _engine(database_url)  # the bench's questions to the bench database
        self.own = 0
        event.listen(self.engine, "before_cursor_execute", self._asked)

    def _asked(self, *_args) -> None:
        self.own += 1  # each is a transaction of its own (autocommit)

    def read(self) -> int:
        """The count once what was done before now has been reported."""
        self.engine.dispose()  # a backend that ends reports what it did at once
        time.sleep(self.SETTLE)
        with self.admin.connect() as connection:
            connection.execute(text("SELECT pg_stat_clear_snapshot()"))
            now = connection.execute(
                text(
                    "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :name"
                ),
                {"name": self.name},
            ).scalar_one()
        return int(now) - self.own

    def close(self) -> None:
        self.engine.dispose()
        self.admin.dispose()


def _check(fake: TimedFake, database_url: str, done: list, before: int, channels: set[str]) -> dict:
    """Counted, not assumed: each handover raised once in the database; every message the
    outbox sent at Slack exactly once (by the outbox row each post names), one card per
    handover, nothing left undelivered."""
    refs = [t.ref for t in done]
    engine = _engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM handover")).scalar_one() - before
        keys = connection.execute(
            text("SELECT count(*) - count(DISTINCT request_key) FROM handover")
        ).scalar_one()
        created = connection.execute(
            text(
                "SELECT count(*) FROM (SELECT handover_id FROM handover_event "
                "WHERE kind = 'created' GROUP BY handover_id HAVING count(*) <> 1) AS odd"
            )
        ).scalar_one()
        outbox = dict(
            connection.execute(text("SELECT status, count(*) FROM outbox GROUP BY status")).all()
        )
        sent_ids = set(
            connection.execute(
                text("SELECT id FROM outbox WHERE status = 'sent' AND method = 'chat.postMessage'")
            ).scalars()
        )
    engine.dispose()
    cards: Counter[str] = Counter()
    posted: Counter[int] = Counter()
    dms = 0
    for call in fake.timed:
        if call.method != "chat.postMessage":
            continue
        metadata = call.args.get("metadata") or {}
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        row = (metadata.get("event_payload") or {}).get("id")
        if row is not None:
            posted[row] += 1
        channel = call.args.get("channel") or ""
        if channel.startswith(("U", "W", "D")):
            dms += 1
        top_level = not call.args.get("thread_ts")
        if channel in channels and top_level:
            cards.update(set(REF.findall(str(call.args.get("text", "")))))
    lost = [ref for ref in refs if cards[ref] == 0]
    doubled = [ref for ref, n in cards.items() if n > 1]
    # Posts sent in this run: every one the outbox marked sent reached Slack, once.
    run_posts = set(posted)
    unposted = [i for i in sent_ids if i >= min(run_posts, default=0) and i not in posted]
    twice = [i for i, n in posted.items() if n > 1]
    undelivered = outbox.get("pending", 0) + outbox.get("failed", 0) + outbox.get("held", 0)
    ok = (
        stored == len(done)
        and not keys
        and not created
        and not lost
        and not doubled
        and not unposted
        and not twice
        and not undelivered
    )
    return {
        "ok": ok,
        "stored": stored,
        "distinct_refs": len(set(refs)),
        "duplicate_request_keys": keys,
        "handovers_created_other_than_once": created,
        "cards_lost": len(lost),
        "cards_doubled": len(doubled),
        "posts": len(posted),
        "dms": dms,
        "posts_lost": len(unposted),
        "posts_doubled": len(twice),
        "outbox_undelivered": undelivered,
    }
