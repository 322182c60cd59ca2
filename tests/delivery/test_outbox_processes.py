"""The outbox across real processes: killed mid-burst and restarted, or two at once.

Each bot is a separate Python process (tests/delivery/outbox_process.py) with its own outbox
worker thread, against the fake Slack and the test database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import Session, select

from bot.delivery.outbox import Pacing
from storage.models import Delivery, OutboxMessage
from tests.network import CV_CHANNEL

ROOT = Path(__file__).resolve().parents[2]
PACE = 0.02  # seconds between posts to one channel (Slack's is about 1 s; tests are quick)
# Where the pace itself is measured: a little slower, so a CI run's jitter is small beside it.
MEASURED_PACE = 0.05


def bot(
    db, fake, mode: str, count: int = 0, timeout: float = 10.0, pace: float = PACE
) -> subprocess.Popen:
    url = db.url.render_as_string(hide_password=False)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.delivery.outbox_process", url, fake.api_url, mode, str(count),
         str(pace), str(timeout)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def wait_for_line(process: subprocess.Popen, line: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = process.stdout.readline()
        if got.strip() == line:
            return
        if not got and process.poll() is not None:
            raise AssertionError(f"the bot ended early: {process.stderr.read()[-2000:]}")
    raise AssertionError(f"no {line!r} within {timeout}s")


def card_posts(fake) -> list:
    return [
        call for call in fake.calls_to("chat.postMessage")
        if call.ok and call.args.get("channel") == CV_CHANNEL and not call.args.get("thread_ts")
    ]  # fmt: skip


def card_refs(fake) -> list[str]:
    return [m["text"].split()[1].rstrip(":") for m in fake.messages(CV_CHANNEL)]


def outbox_rows(db) -> list[OutboxMessage]:
    with Session(db) as session:
        return list(session.exec(select(OutboxMessage)).all())


def finish(process: subprocess.Popen, timeout: float = 120) -> None:
    try:
        _out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
        raise AssertionError(f"the bot did not finish: {err[-2000:]}") from None
    assert process.returncode == 0, err[-2000:]


def test_killed_mid_burst_and_restarted_every_card_arrives_once_in_order(db, fake):
    # Slack misbehaves along the way, too: a 429, errors, and an answer that comes too late.
    fake.fail_next("chat.postMessage", error="ratelimited", status=429, retry_after=1)
    fake.fail_next("chat.postMessage", error="internal_error", status=500, times=2)
    fake.slow_next("chat.postMessage", 1.5)
    first = bot(db, fake, "raise", 200, timeout=0.5)
    try:
        wait_for_line(first, "raised")
        deadline = time.monotonic() + 60
        while len(card_posts(fake)) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    arrived = len(card_refs(fake))
    assert 0 < arrived < 200, "the kill should land mid-burst"
    finish(bot(db, fake, "deliver", timeout=0.5))
    refs = card_refs(fake)
    assert sorted(refs) == [f"HO-{n:04d}" for n in range(1, 201)]  # complete, each once
    # In order where it matters, per handover (see test_outbox.py); across handovers only
    # the ones Slack made wait came later.
    assert len(refs) == len(set(refs))
    assert {row.status for row in outbox_rows(db)} == {Delivery.SENT}


def test_two_bots_delivering_at_once_send_each_message_once_at_one_pace(db, fake):
    writer = bot(db, fake, "raise", 100, pace=MEASURED_PACE)
    wait_for_line(writer, "raised")
    second = bot(db, fake, "deliver", pace=MEASURED_PACE)
    finish(writer)
    finish(second)
    assert sorted(card_refs(fake)) == [f"HO-{n:04d}" for n in range(1, 101)]
    times = sorted(call.at for call in card_posts(fake))
    # The pace is shared through the database: two bots do not post twice as fast. Over
    # any 25 paces one channel takes 25 posts and its burst allowance, plus what 300 ms of
    # jitter can bunch up: posts are paced when claimed and counted here when they reach
    # Slack, and two bots and the fake share two cores with the rest of a CI run (a busy
    # run once bunched eight at this pace). Twice the pace would be 50, still refused.
    window = 25 * MEASURED_PACE
    busiest = max(sum(1 for t in times if start <= t < start + window) for start in times)
    assert busiest <= 25 + (Pacing().burst - 1) + round(0.3 / MEASURED_PACE)
