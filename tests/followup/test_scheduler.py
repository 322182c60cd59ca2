"""The scheduler: a tick runs every due-check with the clock's now; one job, no thread in tests."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from bot.followup.scheduler import Scheduler
from tests.clock import MovableClock


def test_a_tick_runs_every_due_check_with_the_clocks_now():
    clock = MovableClock()
    scheduler = Scheduler(clock)
    seen: list[tuple[str, datetime]] = []
    scheduler.register("first", lambda now: seen.append(("first", now)))
    scheduler.register("second", lambda now: seen.append(("second", now)))

    scheduler.tick()
    clock.advance(timedelta(hours=1))
    scheduler.tick()
    chosen = datetime(2027, 1, 4, 9, tzinfo=UTC)
    scheduler.tick(chosen)

    start = datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert seen == [
        ("first", start),
        ("second", start),
        ("first", start + timedelta(hours=1)),
        ("second", start + timedelta(hours=1)),
        ("first", chosen),
        ("second", chosen),
    ]
    assert scheduler.checks == ["first", "second"]


def test_a_failing_due_check_is_logged_and_the_others_still_run(caplog):
    scheduler = Scheduler(MovableClock())
    ran = []

    def broken(now):
        raise RuntimeError("database went away")

    scheduler.register("broken", broken)
    scheduler.register("after", ran.append)
    with caplog.at_level(logging.ERROR, logger="bot.followup.scheduler"):
        scheduler.tick()
    assert len(ran) == 1
    [record] = caplog.records
    assert "'broken' failed" in record.getMessage() and record.exc_info


def test_one_interval_job_every_30_seconds_that_never_overlaps_itself():
    threads = threading.active_count()
    scheduler = Scheduler(MovableClock())
    background = scheduler.background()

    [job] = background.get_jobs()
    assert job.func == scheduler.tick
    assert job.trigger.interval == timedelta(seconds=30)
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.misfire_grace_time >= 60  # a late tick still runs: it asks what is due now
    assert scheduler.background() is background  # one job, however often it is asked
    # Configured, not started: no thread, and shutting down what never started is harmless.
    assert not background.running
    scheduler.shutdown()
    assert threading.active_count() == threads
