"""How close to Slack's pace the outbox delivers: a harness to run and profile by hand.

    python -m tests.delivery.pace_harness [--messages 200] [--channels 40] [--latency 0.1]
                                           [--sqlite] [--profile]

Writes ``messages`` cards spread over ``channels`` channels into a fresh database (the test
PostgreSQL server unless ``--sqlite``), starts the real outbox worker against the fake Slack
(answering each post ``latency`` seconds late, as the real one does) and reports messages a
second, database round trips a message, and how late each card went after its channel's
pace allowed it (Slack's pace: one a second per channel, with short bursts).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from bot.clock import SystemClock
from bot.delivery.outbox import Outbox, OutboxWorker, Pacing
from sandbox.slack import FakeSlack
from server.factory import make_client
from storage.db import make_engine, session_factory, upgrade
from storage.models import Delivery, OutboxMessage
from tests.conftest import POSTGRES_URL
from tests.harness import DATA_KEY


class RoundTrips:
    """Counts what goes to the database server and back: statements, BEGIN, COMMIT."""

    def __init__(self, engine: Engine):
        self.count = 0
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._one)
        event.listen(engine, "begin", self._one)
        event.listen(engine, "commit", self._one)
        event.listen(engine, "rollback", self._one)

    def _one(self, *_args, **_kwargs) -> None:
        self.count += 1

    def stop(self) -> None:
        for name in ("before_cursor_execute", "begin", "commit", "rollback"):
            event.remove(self.engine, name, self._one)


def fresh_database(sqlite: bool) -> tuple[Engine, object]:
    if sqlite:
        path = tempfile.mktemp(suffix=".db")
        engine = make_engine(f"sqlite:///{path}", data_keys=[DATA_KEY])
        upgrade(engine)
        return engine, None
    admin = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"pace_harness_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(False)
    engine = make_engine(url, data_keys=[DATA_KEY])
    upgrade(engine)

    def drop() -> None:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return engine, drop


def write_cards(engine: Engine, channels: list[str], count: int) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session:
        for n in range(count):
            channel = channels[n % len(channels)]
            session.add(
                OutboxMessage(
                    key=f"card{n}:{channel}", method="chat.postMessage", channel=channel,
                    payload=json.dumps({"text": f"Handover HO-{n:04d}: a card"}),
                    status=Delivery.PENDING, next_at=now, created_at=now,
                )
            )  # fmt: skip
        session.commit()


def lateness(posts: list[float], written: float, pace: float, burst: int) -> list[float]:
    """How long after its channel's pace allowed it each post went (the pace as a
    theoretical arrival time: a post may go ``burst - 1`` paces early)."""
    late, due = [], written
    for at in posts:
        allowed = max(written, due - (burst - 1) * pace)
        late.append(max(at - allowed, 0.0))
        due = max(due, at) + pace
    return late


def run(args) -> dict:
    engine, drop = fresh_database(args.sqlite)
    fake = FakeSlack().start()
    try:
        channels = [f"C{n:08d}" for n in range(args.channels)]
        for channel in channels:
            fake.add_channel(channel, name=channel.lower())
        pacing = Pacing(pace=timedelta(seconds=args.pace))
        if args.senders:
            pacing = replace(pacing, senders=args.senders)
        outbox = Outbox(
            sessions=session_factory(engine),
            client=make_client(fake.bot_token, fake.api_url),
            clock=SystemClock(),
            pacing=pacing,
        )
        write_cards(engine, channels, args.messages)
        if args.latency:
            fake.slow_next("chat.postMessage", args.latency, times=args.messages)
        trips = RoundTrips(engine)
        worker = OutboxWorker(outbox, idle=0.2)
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="disabled")
            profiler.start()
        started = time.monotonic()
        if profiler is None:
            worker.start()
            while outbox.pending():
                time.sleep(0.05)
            worker.stop()
        else:  # the worker's loop in this thread, where the profiler looks
            while outbox.pending():
                wait = outbox.deliver()
                time.sleep(min(wait.total_seconds(), 0.2) if wait else 0.01)
        took = time.monotonic() - started
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        burst = getattr(pacing, "burst", 1)
        late: list[float] = []
        for channel in channels:
            posts = [c.at for c in fake.calls_to("chat.postMessage") if c.ok
                     and c.args.get("channel") == channel]  # fmt: skip
            late += lateness(posts, started, args.pace, burst)
        late.sort()
        return {
            "messages": args.messages,
            "channels": args.channels,
            "latency_s": args.latency,
            "senders": getattr(pacing, "senders", 1),
            "seconds": round(took, 2),
            "messages_per_s": round(args.messages / took, 1),
            "round_trips_per_message": round(trips.count / args.messages, 2),
            "late_median_s": round(statistics.median(late), 3),
            "late_p95_s": round(late[int(len(late) * 0.95) - 1], 3),
            "late_max_s": round(late[-1], 3),
        }
    finally:
        fake.stop()
        if drop is not None:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--channels", type=int, default=40)
    parser.add_argument("--pace", type=float, default=1.0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--senders", type=int, default=0, help="default: Pacing's")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--profile", action="store_true")
    print(json.dumps(run(parser.parse_args())))


if __name__ == "__main__":
    main()
