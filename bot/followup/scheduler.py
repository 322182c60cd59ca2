"""The scheduler: one job that asks every due-check "what is due now?".

Every due time is a column in the database, so nothing lives in memory: a restart loses
nothing, and each due-check claims what it acts on with a compare-and-set, so a tick that
overlaps another, or runs in two copies of the bot at once, acts once. Tests call
``tick()`` after moving their clock; only ``start()`` starts a thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.clock import Clock

log = logging.getLogger(__name__)

DueCheck = Callable[[datetime], object]

TICK_EVERY = timedelta(seconds=30)
# A tick that could not run on time (a busy or suspended process) still runs late: it asks
# what is due *now*, so late is never wrong. Missed ticks coalesce into one.
MISFIRE_GRACE = timedelta(minutes=10)
JOB_ID = "tick"


class Scheduler:
    def __init__(self, clock: Clock):
        self.clock = clock
        self._checks: list[tuple[str, DueCheck]] = []
        self._background: BackgroundScheduler | None = None
        self._workers: list = []  # threads started and stopped with the scheduler

    def add_worker(self, worker) -> None:
        """A thread with ``start()`` and ``stop()`` that runs while the scheduler does (the
        outbox worker): tests leave it alone and deliver by hand."""
        self._workers.append(worker)

    def register(self, name: str, check: DueCheck) -> None:
        """Add a due-check: called with the clock's now on every tick."""
        self._checks.append((name, check))

    @property
    def checks(self) -> list[str]:
        return [name for name, _ in self._checks]

    def tick(self, now: datetime | None = None) -> None:
        """Run every due-check once. One failing does not stop the others."""
        now = now or self.clock.now()
        for name, check in self._checks:
            try:
                check(now)
            except Exception:
                # The background thread has no one else to report to; the next tick retries
                # whatever the check had not yet claimed.
                log.exception("due-check %r failed at %s", name, now.isoformat())

    def background(self) -> BackgroundScheduler:
        """The APScheduler that calls ``tick``: configured here, started by ``start()``."""
        if self._background is None:
            scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
            scheduler.add_job(
                self.tick,
                "interval",
                seconds=int(TICK_EVERY.total_seconds()),
                id=JOB_ID,
                name="what is due now?",
                coalesce=True,
                max_instances=1,
                misfire_grace_time=int(MISFIRE_GRACE.total_seconds()),
            )
            self._background = scheduler
        return self._background

    def start(self) -> None:
        for worker in self._workers:
            worker.start()
        self.background().start()
        log.info("scheduler: every %ss, checking %s", TICK_EVERY.seconds, ", ".join(self.checks))

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop ticking; with ``wait``, let a tick in progress finish first."""
        if self._background is not None and self._background.running:
            self._background.shutdown(wait=wait)
        for worker in self._workers:
            worker.stop()
