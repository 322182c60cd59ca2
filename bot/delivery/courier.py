"""Delivering the outbox (bot/delivery/outbox.py): the worker's side.

- In order per key (one handover in one channel): only the oldest undelivered message of
  a key is tried, so a thread line never overtakes its card, nor an update its post.
- Each message leased by a compare-and-set, so two workers (two replicas) never both send
  it; a lease that runs out (the worker died) lets another take it.
- Paced: ``chat.postMessage`` at most once per ``pace`` per channel (Slack allows about one
  a second), kept in the database so that replicas share it.
- Retried with exponential backoff on Slack errors and network failures, and after a
  ``429`` exactly when ``Retry-After`` says.
- Never twice: every post carries metadata naming its row, and a try whose result is
  unknown (a timeout, a crash mid-call) is looked for in the channel before posting again.
- A sent message keeps its channel and ts, so later updates and thread lines find it.
- A channel Slack refuses (archived, deleted, the bot removed) holds its messages and tells
  the coordinators once; they go when the channel is fixed (see ``Outbox.release``).
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import and_, exists, literal, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.clock import Clock
from storage import queries
from storage.db import SessionFactory
from storage.models import (
    Delivery,
    Handover,
    OutboxMessage,
    OutboxPace,
    Resident,
    format_ref,
)

log = logging.getLogger(__name__)

POST = "chat.postMessage"
UPDATE = "chat.update"
METADATA_TYPE = "handover_outbox"

# Slack refuses the channel itself: hold its messages until the channel is fixed.
CHANNEL_REFUSED = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
# The person cannot be written to any more.
PERSON_GONE = frozenset(
    {"account_inactive", "user_not_found", "user_disabled", "cannot_dm_bot", "is_inactive"}
)
# The message an update or a thread line belongs to is gone or frozen.
MESSAGE_GONE = frozenset(
    {
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "thread_not_found",
        "cannot_reply_to_message",
    }
)
# Slack will never take this message as it is: a bug to fix, not a thing to retry.
UNSENDABLE = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "markdown_text_conflict",
    }
)
# Errors after which Slack may or may not have done it.
UNKNOWN_RESULT = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
RATE_LIMITED = frozenset({"ratelimited", "rate_limited"})


@dataclass(frozen=True)
class Pacing:
    pace: timedelta = timedelta(seconds=1)  # between posts to one channel
    lease: timedelta = timedelta(seconds=60)  # how long one try may hold a message
    backoff_max: timedelta = timedelta(minutes=15)
    held_retry: timedelta = timedelta(hours=1)  # a refused channel is tried again after
    batch: int = 50


# (session, message, Slack's error, whether it is held until its channel is fixed)
Notice = Callable[[Session, OutboxMessage, str, bool], None]


class Courier:
    """Takes messages from the outbox table to Slack. ``Outbox`` is the one to use: it adds
    writing to this, and holds what delivering needs (sessions, client, clock, pacing)."""

    sessions: SessionFactory
    client: WebClient
    clock: Clock
    pacing: Pacing
    on_refused: Notice | None
    _held_checked: datetime | None
    worker: OutboxWorker | None  # the thread delivering, when one runs

    def deliver(self) -> timedelta | None:
        """Send everything that may go now; how long until more may (None: nothing waits)."""
        while True:
            now = self.clock.now()
            self._release_held_due(now)
            progressed = False
            posted_to: set[str] = set()  # one post per channel per round: the pace
            for row in self._heads(now):
                if row.method == POST and row.channel in posted_to:
                    continue
                if self._try(row, now):
                    progressed = True
                    if row.method == POST:
                        posted_to.add(row.channel)
            if not progressed:
                return self._next_wait(self.clock.now())

    def _heads(self, now: datetime) -> list[OutboxMessage]:
        """The oldest waiting message of each key, if it may go now."""
        earlier = aliased(OutboxMessage)
        blocked = exists().where(
            earlier.key == OutboxMessage.key,
            earlier.id < OutboxMessage.id,
            earlier.status.in_([Delivery.PENDING, Delivery.HELD]),
        )
        # A channel posted to a moment ago waits its turn; asking for its messages now
        # would only crowd out channels that may go.
        paced = exists().where(
            col(OutboxPace.key) == literal("channel:").concat(OutboxMessage.channel),
            col(OutboxPace.next_at) > now,
        )
        with self.sessions() as session:
            rows = session.exec(
                select(OutboxMessage)
                .where(
                    col(OutboxMessage.status) == Delivery.PENDING,
                    col(OutboxMessage.next_at) <= now,
                    or_(
                        col(OutboxMessage.leased_until).is_(None),
                        col(OutboxMessage.leased_until) < now,
                    ),
                    ~blocked,
                    ~and_(col(OutboxMessage.method) == POST, paced),
                )
                .order_by(OutboxMessage.id)
                .limit(self.pacing.batch)
            ).all()
            return list(rows)

    def _next_wait(self, now: datetime) -> timedelta | None:
        with self.sessions() as session:
            soonest = session.exec(
                select(OutboxMessage.next_at, OutboxMessage.leased_until)
                .where(col(OutboxMessage.status) == Delivery.PENDING)
                .order_by(OutboxMessage.next_at)
                .limit(1)
            ).first()
            paced = session.exec(
                select(OutboxPace.next_at)
                .where(col(OutboxPace.next_at) > now)
                .order_by(OutboxPace.next_at)
                .limit(1)
            ).first()
        if soonest is None:
            return None
        at = max(t for t in (soonest[0], soonest[1]) if t is not None)
        if paced is not None and at <= now:
            at = paced
        return max(at - now, timedelta(0))

    def _release_held_due(self, now: datetime) -> None:
        """Once an hour a held channel is tried again, in case it was fixed quietly.
        (Asked at most once a minute: it is a write, and the worker loops often.)"""
        if self._held_checked is not None and now - self._held_checked < timedelta(minutes=1):
            return
        self._held_checked = now
        with self.sessions() as session:
            session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.status) == Delivery.HELD,
                    col(OutboxMessage.next_at) <= now,
                )
                .values(status=Delivery.PENDING)
                .execution_options(synchronize_session=False)
            )
            session.commit()

    def _try(self, row: OutboxMessage, now: datetime) -> bool:
        """One try at one message; True when it settled one way or another."""
        lease = self._claim(row, now)
        if lease is None:
            return False
        if row.method == POST and self._channel_held(row.channel):
            # The channel refused an earlier message: this one waits with it, untried.
            self._settle_held(row, "channel_held", lease)
            return True
        try:
            target = self._target(row)
        except _Unresolved as unresolved:
            self._settle_failed(row, unresolved.error, lease)
            return True
        if target is None:
            return self._retry_later(row, lease, timedelta(seconds=5), "waiting_for_parent")
        channel, ts = target
        kwargs = {**json.loads(row.payload or "{}"), "channel": channel}
        if row.method == POST:
            if ts:
                kwargs["thread_ts"] = ts
            if row.in_doubt or lease.was_in_doubt:
                found = self._find_posted(row, channel, ts)
                if found is not None:
                    self._settle_sent(row, found[0], found[1], lease)
                    return True
            kwargs["metadata"] = {"event_type": METADATA_TYPE, "event_payload": {"id": row.id}}
        else:
            kwargs["ts"] = ts
        try:
            response = self.client.api_call(row.method, json=kwargs)
        except SlackApiError as exc:
            return self._on_refusal(row, exc, lease)
        except Exception as exc:  # the network: the call may or may not have happened
            log.warning("outbox: %s for message %s failed: %r", row.method, row.id, exc)
            return self._retry_later(row, lease, self._backoff(row), "network", in_doubt=True)
        self._settle_sent(row, response.get("channel") or channel, response.get("ts"), lease)
        return True

    # -- claiming ------------------------------------------------------------------------

    def _claim(self, row: OutboxMessage, now: datetime) -> _Lease | None:
        """Take the message (compare-and-set) and, for a post, its channel's next slot."""
        until = now + self.pacing.lease
        with self.sessions() as session:
            holds = [f"method:{row.method}"]
            if row.method == POST:
                holds.append(f"channel:{row.channel}")
            waiting = session.exec(
                select(OutboxPace.key).where(
                    col(OutboxPace.key).in_(holds), col(OutboxPace.next_at) > now
                )
            ).first()
            if waiting is not None:
                return None
            won = session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == row.id,
                    col(OutboxMessage.status) == Delivery.PENDING,
                    or_(
                        col(OutboxMessage.leased_until).is_(None),
                        col(OutboxMessage.leased_until) < now,
                    ),
                )
                .values(
                    leased_until=until,
                    attempts=OutboxMessage.attempts + 1,
                    # Leased before and never settled: that try died mid-call.
                    in_doubt=or_(
                        col(OutboxMessage.in_doubt), col(OutboxMessage.leased_until).is_not(None)
                    ),
                )
                .execution_options(synchronize_session=False)
            )
            if won.rowcount != 1:
                session.rollback()
                return None
            paced = row.method == POST and self.pacing.pace > timedelta(0)
            if paced and not self._take_slot(session, f"channel:{row.channel}", now):
                session.rollback()
                return None
            try:
                session.commit()
            except IntegrityError:  # another worker created the channel's slot first
                session.rollback()
                return None
        return _Lease(row.attempts + 1, row.leased_until is not None)

    def _take_slot(self, session: Session, key: str, now: datetime) -> bool:
        after = now + self.pacing.pace
        taken = session.execute(
            update(OutboxPace)
            .where(col(OutboxPace.key) == key, col(OutboxPace.next_at) <= now)
            .values(next_at=after)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:
            return True
        if session.get(OutboxPace, key) is not None:
            return False  # taken by another worker just now
        session.add(OutboxPace(key=key, next_at=after))
        return True

    def _hold(self, key: str, until: datetime) -> None:
        """Slack said wait (429): nothing more to this channel or method until then."""
        with self.sessions() as session:
            pace = session.get(OutboxPace, key)
            if pace is None:
                session.add(OutboxPace(key=key, next_at=until))
            elif pace.next_at < until:
                pace.next_at = until
                session.add(pace)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()

    # -- where it goes ---------------------------------------------------------------------

    def _target(self, row: OutboxMessage) -> tuple[str, str | None] | None:
        """The channel and (for thread lines and updates) the ts; None: not yet known."""
        if row.ref_ts:
            return row.channel, row.ref_ts
        if not row.ref_slot:
            return row.channel, None
        with self.sessions() as session:
            earlier = parent_of(session, row)
            if earlier is not None:
                if earlier.status == Delivery.SENT:
                    return earlier.sent_channel or row.channel, earlier.ts
                if earlier.status in (Delivery.PENDING, Delivery.HELD):
                    return None
                raise _Unresolved("parent_not_sent")
            # Sent before the outbox existed: the handover remembers where.
            handover = session.get(Handover, row.handover_id) if row.handover_id else None
            found = remembered(handover, row.ref_slot, row.channel)
        if found is None:
            raise _Unresolved("parent_not_found")
        return found

    def _find_posted(
        self, row: OutboxMessage, channel: str, thread_ts: str | None
    ) -> tuple[str, str] | None:
        """Did an earlier try post it after all? Look for its metadata in the channel."""
        try:
            if channel.startswith(("U", "W")):
                channel = self.client.conversations_open(users=channel)["channel"]["id"]
            if thread_ts:
                response = self.client.conversations_replies(
                    channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
                )
            else:
                response = self.client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=200
                )
        except SlackApiError as exc:
            # Cannot look: posting again risks a duplicate, not posting risks a loss.
            log.warning("outbox: could not check %s for message %s: %s", channel, row.id, exc)
            return None
        for message in response.get("messages", []):
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == METADATA_TYPE
                and (metadata.get("event_payload") or {}).get("id") == row.id
            ):
                return channel, message["ts"]
        return None

    # -- settling ---------------------------------------------------------------------------

    def _settle_sent(self, row: OutboxMessage, channel: str, ts: str | None, lease) -> None:
        with self.sessions() as session:
            written = _record_try(
                session, row, lease,
                status=Delivery.SENT, in_doubt=False, sent_at=self.clock.now(),
                sent_channel=channel, ts=ts, error=None,
                payload=None,  # sent: nothing personal kept here
            )  # fmt: skip
            if written and row.slot and ts:
                _remember(session, row, channel, ts)
            session.commit()

    def _settle_failed(self, row: OutboxMessage, error: str, lease, *, notify=True) -> None:
        with self.sessions() as session:
            written = _record_try(
                session, row, lease, status=Delivery.FAILED, payload=None, error=error[:64]
            )
            if written and notify:
                self._notice(session, row, error, held=False)
            session.commit()
        about = format_ref(row.handover_id) if row.handover_id else f"message {row.id}"
        # A message gone from Slack is no one's fault; anything else is worth an error.
        log.log(logging.ERROR if notify else logging.WARNING,
                "outbox: gave up on %s about %s in %s: %s",
                row.method, about, row.channel, error)  # fmt: skip

    def _retry_later(
        self, row, lease, wait: timedelta, error: str, *, in_doubt: bool = False
    ) -> bool:
        values = {"next_at": self.clock.now() + wait, "error": error[:64]}
        if in_doubt and row.method == POST:
            values["in_doubt"] = True
        with self.sessions() as session:
            _record_try(session, row, lease, **values)
            session.commit()
        return True

    def _on_refusal(self, row: OutboxMessage, exc: SlackApiError, lease: _Lease) -> bool:
        error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
        status = exc.response.status_code
        if status == 429 or error in RATE_LIMITED:
            wait = timedelta(seconds=_retry_after(exc))
            key = f"channel:{row.channel}" if row.method == POST else f"method:{row.method}"
            self._hold(key, self.clock.now() + wait)
            log.info("outbox: Slack asked to wait %ss for %s", wait.seconds, key)
            return self._retry_later(row, lease, wait, error)
        is_dm = row.channel.startswith(("U", "W", "D"))
        if error in CHANNEL_REFUSED and not is_dm:
            self._settle_held(row, error, lease)
            return True
        if error in PERSON_GONE or (is_dm and error in CHANNEL_REFUSED):
            self._settle_failed(row, error, lease)
            return True
        if error in MESSAGE_GONE:
            self._settle_failed(row, error, lease, notify=False)
            return True
        if error in UNSENDABLE:
            self._settle_failed(row, error, lease)
            return True
        unknown = error in UNKNOWN_RESULT or status >= 500
        log.warning("outbox: %s for message %s refused (%s); retrying", row.method, row.id, error)
        return self._retry_later(row, lease, self._backoff(row), error, in_doubt=unknown)

    def _settle_held(self, row: OutboxMessage, error: str, lease: _Lease) -> None:
        with self.sessions() as session:
            first = (
                row.error not in CHANNEL_REFUSED
                and session.exec(
                    select(OutboxMessage.id).where(
                        col(OutboxMessage.status) == Delivery.HELD,
                        col(OutboxMessage.channel) == row.channel,
                        col(OutboxMessage.id) != row.id,
                    )
                ).first()
                is None
            )
            written = _record_try(
                session, row, lease, status=Delivery.HELD, error=error,
                next_at=self.clock.now() + self.pacing.held_retry,
            )  # fmt: skip
            if written and first:
                self._notice(session, row, error, held=True)
            session.commit()
        if error != "channel_held":
            log.error("outbox: %s refused %s (%s); holding its messages until it is fixed",
                      row.channel, row.method, error)  # fmt: skip

    def _channel_held(self, channel: str) -> bool:
        with self.sessions() as session:
            return (
                session.exec(
                    select(OutboxMessage.id).where(
                        col(OutboxMessage.status) == Delivery.HELD,
                        col(OutboxMessage.channel) == channel,
                    )
                ).first()
                is not None
            )

    def _notice(self, session: Session, row: OutboxMessage, error: str, *, held: bool) -> None:
        if self.on_refused is not None:
            self.on_refused(session, row, error, held)

    def _backoff(self, row: OutboxMessage) -> timedelta:
        seconds = min(2 ** max(row.attempts, 0), self.pacing.backoff_max.total_seconds())
        return timedelta(seconds=seconds * random.uniform(1.0, 1.25))


@dataclass(frozen=True)
class _Lease:
    """One try's hold on a message: which attempt it is (settling checks it is still
    ours), and whether an earlier try died mid-call (then look before posting again)."""

    attempt: int
    was_in_doubt: bool


class _Unresolved(Exception):
    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


def parent_of(session: Session, row: OutboxMessage) -> OutboxMessage | None:
    """The message a thread line or an update belongs to: the latest of its slot written
    before it, for the same handover in the same channel."""
    return session.exec(
        select(OutboxMessage)
        .where(
            col(OutboxMessage.handover_id) == row.handover_id,
            col(OutboxMessage.slot) == row.ref_slot,
            col(OutboxMessage.channel) == row.channel,
            col(OutboxMessage.id) < row.id,
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
    ).first()


def _record_try(session: Session, row: OutboxMessage, lease: _Lease, **values) -> bool:
    """Write one try's result and end its lease; False if the lease had run out and another
    worker has taken the message since (its result is the one that counts)."""
    done = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == row.id, col(OutboxMessage.attempts) == lease.attempt)
        .values(leased_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def _retry_after(exc: SlackApiError) -> int:
    headers = exc.response.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after") or "1"
    try:
        return max(1, int(float(value if isinstance(value, str) else value[0])))
    except (TypeError, ValueError):
        return 1


def remembered(handover: Handover | None, slot: str, channel: str) -> tuple[str, str] | None:
    """Where a message sent before the outbox existed is: the handover's own columns."""
    if handover is None:
        return None
    if slot == "card" and handover.card_channel == channel and handover.card_ts:
        return handover.card_channel, handover.card_ts
    if slot == "receipt" and handover.adviser_dm_ts:
        return handover.adviser_dm_channel, handover.adviser_dm_ts
    if slot == "unmatched" and handover.coordinator_ts:
        return channel, handover.coordinator_ts
    return None


def _remember(session: Session, row: OutboxMessage, channel: str, ts: str) -> None:
    """Where the handover's card, receipt or details now are, unless a newer one is coming;
    or where a provider's directory nudge is."""
    if row.slot and row.slot.startswith("nudge:"):
        provider_id = row.slot.removeprefix("nudge:")
        queries.set_confirm_nudge(session=session, provider_id=provider_id, ts=ts)
        return
    newer = session.exec(
        select(OutboxMessage.id).where(
            col(OutboxMessage.handover_id) == row.handover_id,
            col(OutboxMessage.slot) == row.slot,
            col(OutboxMessage.id) > row.id,
        )
    ).first()
    if newer is not None or row.handover_id is None:
        return
    if row.slot == "details":
        session.execute(
            update(Resident)
            .where(col(Resident.handover_id) == row.handover_id)
            .values(shown_channel=channel, shown_ts=ts)
            .execution_options(synchronize_session=False)
        )
        return
    where = {
        "card": {"card_channel": channel, "card_ts": ts},
        "receipt": {"adviser_dm_channel": channel, "adviser_dm_ts": ts},
        "unmatched": {"coordinator_ts": ts},
    }.get(row.slot)
    if where:
        queries.set_message_location(session=session, handover_id=row.handover_id, **where)


class OutboxWorker:
    """The thread that keeps delivering: woken by each change, else every ``idle``."""

    def __init__(self, outbox: Courier, *, idle: float = 2.0):
        self.outbox = outbox
        self.idle = idle
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self.outbox.worker = self
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the message in hand, then stop; what is left waits in the database."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.outbox.worker = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.outbox.deliver()
            except Exception:
                log.exception("outbox: delivery round failed; trying again shortly")
                wait = None
            timeout = self.idle if wait is None else min(wait.total_seconds(), self.idle)
            self._wake.wait(max(timeout, 0.01))
            self._wake.clear()
