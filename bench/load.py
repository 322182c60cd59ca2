"""Throughput: advisers raising handovers at once, end to end, and nothing lost or doubled."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.client import Sender
from bench.fake import TimedFake
from bench.flows import REF, Flow, FlowError
from bench.network import BenchNetwork
from bench.servers import start_bot
from bench.stats import PeakMemory, cpu_seconds, summary


def measure(
    fake: TimedFake,
    net: BenchNetwork,
    *,
    database_url: str,
    workdir: Path,
    advisers: int,
    handovers: int,
) -> dict:
    with start_bot(fake, database_url=database_url, workdir=workdir) as bot:
        flow = Flow(fake, Sender(bot.port), channels=net.staff_by_channel)
        flow.handover(net.adviser(0))  # warm up
        time.sleep(0.3)  # what the warm-up said after its card
        fake.forget()
        before = _count(database_url)
        idle = bot.rss()
        each = max(1, math.ceil(handovers / advisers))
        done, failed = [], []
        lock = threading.Lock()

        def adviser(i: int) -> None:
            for _ in range(each):
                try:
                    timings = flow.handover(net.adviser(i % net.advisers))
                except (FlowError, OSError) as error:
                    with lock:
                        failed.append(str(error))
                else:
                    with lock:
                        done.append(timings)

        threads = [threading.Thread(target=adviser, args=(i,)) for i in range(advisers)]
        cpu = cpu_seconds(bot.pid)
        with PeakMemory(bot) as peak:
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
        cpu = cpu_seconds(bot.pid) - cpu
        time.sleep(1.0)  # anything said late (an outbox) is still counted, once
        check = _check(fake, database_url, done, before, set(net.staff_by_channel))
    acks = [a for t in done for a in t.acks.values()]
    return {
        "advisers": advisers,
        "attempted": advisers * each,
        "completed": len(done),
        "failed": len(failed),
        "failures": sorted(Counter(failed).items())[:5],
        "seconds": round(wall, 2),
        "per_second": round(len(done) / wall, 1) if wall else None,
        "acks": summary(acks),
        "card": summary([t.card for t in done]),
        "bot_cpu_ms_per_handover": round(cpu * 1000 / len(done), 1) if done else None,
        "memory": {"bot_idle_bytes": idle, "bot_peak_bytes": peak.peak},
        "check": check,
    }


def _count(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        n = connection.execute(text("SELECT count(*) FROM handover")).scalar_one()
    engine.dispose()
    return n


def _check(fake: TimedFake, database_url: str, done: list, before: int, channels: set[str]) -> dict:
    """Counted, not assumed: each handover raised once in the database, one card each."""
    refs = [t.ref for t in done]
    engine = create_engine(database_url)
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
    engine.dispose()
    cards: Counter[str] = Counter()
    for call in fake.timed:
        top_level = not call.args.get("thread_ts")
        if call.method == "chat.postMessage" and call.args.get("channel") in channels and top_level:
            cards.update(set(REF.findall(str(call.args.get("text", "")))))
    lost = [ref for ref in refs if cards[ref] == 0]
    doubled = [ref for ref, n in cards.items() if n > 1]
    ok = stored == len(done) and not keys and not created and not lost and not doubled
    return {
        "ok": ok,
        "stored": stored,
        "distinct_refs": len(set(refs)),
        "duplicate_request_keys": keys,
        "handovers_created_other_than_once": created,
        "cards_lost": len(lost),
        "cards_doubled": len(doubled),
    }
