"""Delivering the outbox (bot/delivery/outbox.py): the worker's side, in rounds.

A round is one transaction: it settles the tries Slack has answered since the last round
(bot/delivery/settle.py) and claims what may go now (bot/delivery/claim.py); then the
senders post it, a few channels at once (bot/delivery/senders.py). What the courier
promises:

- In order per key (one handover in one channel): only the oldest undelivered message of
  a key is claimed, so a thread line never overtakes its card, nor an update its post.
- Each message leased by the claim, so two workers (two replicas) never both send it; a
  lease that runs out (the worker died) lets another take it.
- At Slack's pace: ``chat.postMessage`` at about one a second per channel with short
  bursts (bot/delivery/pacing.py), kept in the database so that replicas share it; and
  not behind it: the worker wakes when a channel's pace next allows a post.
- Retried with exponential backoff on Slack errors and network failures, and after a
  ``429`` exactly when ``Retry-After`` says.
- Never twice: every post carries metadata naming its row, and a try whose result is
  unknown (a timeout, a crash mid-call) is looked for in the channel before posting again.
- A sent message keeps its channel and ts, so later updates and thread lines find it.
- A channel Slack refuses (archived, deleted, the bot removed) holds its messages and tells
  the coordinators once; they go when the channel is fixed (see ``Outbox.release``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlmodel import Session

from bot.clock import Clock
from bot.delivery.claim import (
    CHANNEL_HELD,
    POST,
    UPDATE,
    Claim,
    PaceTaken,
    claim,
    due_now,
    hold_posts_to_held,
    nothing_due,
    parent_of,
    read_paces,
    release_held_due,
    remembered,
)
from bot.delivery.pacing import Pacing
from bot.delivery.senders import Senders, Slack
from bot.delivery.settle import Notice, Outcome, settle
from bot.operations import metrics
from storage.db import SessionFactory
from storage.models import Delivery, OutboxMessage, format_ref

log = logging.getLogger(__name__)

__all__ = ["POST", "UPDATE", "Answering", "Courier", "Notice", "OutboxWorker", "Pacing",
           "parent_of", "remembered"]  # fmt: skip

# Answers in hand are written down at least this often while others are still awaited.
SETTLE_EVERY = 0.1
HELD_CHECK_EVERY = timedelta(minutes=1)
# The longest a round waits for the requests being answered in this process: Slack
# waits 3 s for an answer, and a channel's next post is about a second away anyway.
DEFER_AT_MOST = 0.05


class Answering:
    """The requests from Slack this process is answering. A round of the outbox does not
    start while there are any (for up to ``most`` seconds): on a few cores, under one
    interpreter lock, it would slow the answers down, and the person waiting on one is
    waiting now, while Slack's pace keeps most messages a moment anyway."""

    def __init__(self, most: float = DEFER_AT_MOST):
        self.most = most
        self._count = 0
        self._quiet = threading.Condition()

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        with self._quiet:
            self._count += 1
        try:
            yield
        finally:
            with self._quiet:
                self._count -= 1
                if not self._count:
                    self._quiet.notify_all()

    def wait_quiet(self) -> None:
        with self._quiet:
            self._quiet.wait_for(lambda: not self._count, timeout=self.most)


class Courier(Slack):
    """Takes messages from the outbox table to Slack. ``Outbox`` is the one to use: it adds
    writing to this."""

    def __init__(self, *, sessions: SessionFactory, client: WebClient, clock: Clock,
                 pacing: Pacing | None = None):  # fmt: skip
        self.sessions = sessions
        self.client = client
        self.clock = clock
        self.pacing = pacing or Pacing()
        # Tells the coordinators a message could not go (set by the notifier).
        self.on_refused: Notice | None = None
        self.worker: OutboxWorker | None = None  # the thread delivering, when one runs
        self._rounds = threading.Lock()
        self._held_checked: datetime | None = None
        self._sending: Senders | None = None

    @property
    def senders(self) -> Senders:
        if self._sending is None:
            self._sending = Senders(self.pacing.senders, self._send, on_idle=self._answered)
        return self._sending

    def deliver(self) -> timedelta | None:
        """Send everything that may go now and wait for Slack's answers; how long until more
        may go (None: nothing waits)."""
        while True:
            wait, claimed = self.round()
            if claimed and wait is not None and wait <= timedelta(0):
                continue
            if self.senders.in_flight:
                self.senders.wait(_seconds(wait, SETTLE_EVERY))
                continue
            if self.senders.answered:
                continue
            return wait

    def round(self, *, claiming: bool = True) -> tuple[timedelta | None, int]:
        """Settle what Slack answered, claim and hand out what may go now: how long until
        more may go, and how many were claimed."""
        with self._rounds:
            now = self.clock.now()
            outcomes = self.senders.take()
            limit = max(self.pacing.batch - self.senders.in_flight, 0)
            full = claiming and not limit  # a batch in Slack's hands: claim once some answer
            if full:
                claiming = False
            if not claiming and not outcomes:
                return (timedelta(seconds=SETTLE_EVERY) if full else None), 0
            found, won = Claim(), set()
            for last in (False, False, True):
                try:
                    with self.sessions() as session:
                        won = settle(session, outcomes, self._notice)
                        if claiming and not last:
                            found = self._claim(session, now, limit)
                        session.commit()
                    break
                except PaceTaken:
                    found = Claim()  # another replica took a slot meanwhile: ask again
                except BaseException:
                    self.senders.give_back(outcomes)
                    raise
            self._log(outcomes)
            _count(outcomes, won)
            self.senders.submit([(row, found.targets[row.id]) for row in found.rows])
            crashed = next((o.crash for o in outcomes if o.crash is not None), None)
            if crashed is not None:
                raise crashed
            if full:
                return timedelta(seconds=SETTLE_EVERY), 0
            wait = None if found.wake is None else max(found.wake - now, timedelta(0))
            return wait, len(found.rows)

    def _claim(self, session: Session, now: datetime, limit: int) -> Claim:
        if self._held_checked is None or now - self._held_checked >= HELD_CHECK_EVERY:
            # Once an hour a held channel is tried again, in case it was fixed quietly
            # (asked once a minute: it is a write, and rounds are frequent).
            self._held_checked = now
            release_held_due(session, now)
        paces, held = read_paces(session, now)
        if not due_now(session, now):
            return nothing_due(session, now, self.pacing, paces, held)
        hold_posts_to_held(session, now, self.pacing, held)
        return claim(session, now, self.pacing, limit, paces, held)

    def finish(self, timeout: float) -> None:
        """Wait for the answers of what is in flight (up to ``timeout``) and write them."""
        deadline = time.monotonic() + timeout
        while self.senders.in_flight and time.monotonic() < deadline:
            self.senders.wait(SETTLE_EVERY)
        self.round(claiming=False)

    def _answered(self) -> None:
        """Every post in flight is answered: the worker writes them down now."""
        if self.worker is not None:
            self.worker.wake()

    def _notice(self, session: Session, row: OutboxMessage, error: str, held: bool) -> None:
        if self.on_refused is not None:
            self.on_refused(session, row, error, held)

    def _log(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            row, error = outcome.row, outcome.error or ""
            if outcome.status == Delivery.FAILED:
                about = format_ref(row.handover_id) if row.handover_id else f"message {row.id}"
                # A message gone from Slack is no one's fault; anything else is worth an error.
                log.log(logging.ERROR if outcome.notify else logging.WARNING,
                        "outbox: gave up on %s about %s in %s: %s",
                        row.method, about, row.channel, error)  # fmt: skip
            elif outcome.status == Delivery.HELD and error != CHANNEL_HELD:
                log.error("outbox: %s refused %s (%s); holding its messages until it is fixed",
                          row.channel, row.method, error)  # fmt: skip


def _count(outcomes: list[Outcome], won: set[int]) -> None:
    """The delivered and given-up figures, once each try's result is written down (a try
    whose lease another worker had retaken does not count: that worker's does)."""
    for outcome in outcomes:
        if outcome.row.id not in won or not outcome.tried:
            continue
        if outcome.status == Delivery.SENT:
            metrics.delivered(outcome.row.method)
        elif outcome.status == Delivery.FAILED:
            metrics.given_up(outcome.row.method)


def _seconds(wait: timedelta | None, most: float) -> float:
    if wait is None:
        return most
    return min(max(wait.total_seconds(), 0.001), most)


class OutboxWorker:
    """The thread that keeps delivering: woken by each change, by the moment a channel's
    pace next allows a post, and by Slack's answers; else every ``idle``."""

    def __init__(self, outbox: Courier, *, idle: float = 2.0, answering: Answering | None = None):
        self.outbox = outbox
        self.idle = idle
        self.answering = answering
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._stop.clear()  # started again after a stop: it delivers again
        self.outbox.worker = self
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the messages in hand, then stop; what is left waits in the database."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.outbox.worker = None

    def _run(self) -> None:
        due = 0.0  # when (monotonic) to claim again: a channel's pace, a retry, a lease
        woken = True
        while not self._stop.is_set():
            claiming = woken or time.monotonic() >= due
            if self.answering is not None:
                self.answering.wait_quiet()
            try:
                wait, claimed = self.outbox.round(claiming=claiming)
            except Exception:
                log.exception("outbox: delivery round failed; trying again shortly")
                wait, claimed, claiming = None, 0, True
            if claiming:
                now_again = wait is not None and wait <= timedelta(0)
                if claimed and now_again:
                    continue  # more may go right now
                # Nothing claimable now yet wake is due: another replica's claim holds
                # the rows a moment.
                after = 0.01 if now_again else _seconds(wait, self.idle)
                due = time.monotonic() + after
            timeout = due - time.monotonic()
            if self.outbox.senders.in_flight or self.outbox.senders.answered:
                # Answers are written down in batches, between claims.
                timeout = min(timeout, SETTLE_EVERY)
            woken = self._wake.wait(max(timeout, 0.0))
            self._wake.clear()
        try:
            self.outbox.finish(timeout=5.0)
        except Exception:
            log.exception("outbox: could not write down the last answers")
