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
from bot.operations import metrics

log = logging.getLogger(__name__)

DueCheck = Callable[[datetime], object]

TICK_EVERY = timedelta(seconds=30)
# A tick that could not run on time (a busy or suspended process) still runs late: it asks
# what is due *now*, so late is never wrong. Missed ticks coalesce into one.
MISFIRE_GRACE = timedelta(minutes=10)
JOB_ID = "tick"
# A scheduler whose last tick ended longer ago than this has stalled (a tick stuck on a
# lock, a thread that died): readiness says so, and so does the alert on the metric.
STALLED_AFTER = max(timedelta(minutes=2), 4 * TICK_EVERY)
RUNNING, STOPPED, STALLED = "up", "stopped", "stalled"


class Scheduler:
    def __init__(self, clock: Clock):
        self.clock = clock
        self._checks: list[tuple[str, DueCheck]] = []
        self._background: BackgroundScheduler | None = None
        self._workers: list = []  # threads started and stopped with the scheduler
        self.started_at: datetime | None = None
        self.last_tick: datetime | None = None  # when the last tick finished, by the clock

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
        self.last_tick = now
        metrics.ticked(now)

    def health(self, now: datetime | None = None) -> str:
        """``up``, ``stopped`` (not started, or shut down) or ``stalled`` (no tick has
        finished for ``STALLED_AFTER``, counting from the start)."""
        if self._background is None or not self._background.running:
            return STOPPED
        now = now or self.clock.now()
        since = [t for t in (self.started_at, self.last_tick) if t is not None]
        return STALLED if since and now - max(since) > STALLED_AFTER else RUNNING

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
        self.started_at = self.clock.now()
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
