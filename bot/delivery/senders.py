"""Posting what was claimed: a few threads, one lane per channel.

A channel's claimed messages go one after another in the order they were written (a
thread line after its card); different channels go at the same time, so a slow answer in
one channel never holds up another channel's card, and a card never waits behind a
round's direct messages (a channel's lane is taken before a person's). Nothing here
touches the database: each try ends as an ``Outcome`` that the next round settles.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import random
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from bot.delivery.claim import (
    CHANNEL,
    CHANNEL_HELD,
    MAIL_PREFIX,
    METHOD,
    NOTIFY_PREFIX,
    POST,
    Target,
    is_dm,
)
from bot.delivery.pacing import Pacing
from bot.delivery.settle import CHANNEL_REFUSED, Outcome
from bot.operations import metrics
from bot.workspaces import NOT_INSTALLED, NotInstalled, Workspaces
from storage.models import Delivery, OutboxMessage

log = logging.getLogger("bot.delivery.courier")

METADATA_TYPE = "handover_outbox"

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
WAITING_FOR_PARENT = timedelta(seconds=5)


@dataclass
class Lane:
    """One channel's claimed messages, and what Slack said of the channel meanwhile."""

    channel: str
    waiting: deque
    refused: str | None = None  # a post was refused: the lane's later posts are held
    held_until: datetime | None = None  # a 429: the lane's later posts wait until then


class Slack:
    """One try at one message; what Slack answered, as an outcome to settle."""

    client: WebClient
    clock: Clock
    pacing: Pacing
    # Sends a message to a resident (bot/residents/sending.py); None: Notify is not set up.
    resident_lane: Callable[[OutboxMessage], Outcome] | None = None
    # Sends an e-mail to a provider without Slack (bot/byemail/sending.py).
    mail_lane: Callable[[OutboxMessage], Outcome] | None = None
    # A channel in a partner's workspace goes with that workspace's token; None: one token.
    workspaces: Workspaces | None = None

    def _send(self, row: OutboxMessage, target: Target, lane: Lane) -> Outcome:
        now = self.clock.now()
        if row.leased_until is not None and now >= row.leased_until:
            return Outcome(row, tried=False)  # waited too long: another worker may have it
        if row.method.startswith(NOTIFY_PREFIX):
            if self.resident_lane is None:
                # Notify was set up when it was written, and is not now: it waits.
                return Outcome(row, next_at=now + self.pacing.held_retry, error="notify_off")
            return self.resident_lane(row)
        if row.method.startswith(MAIL_PREFIX):
            if self.mail_lane is None:
                return Outcome(row, next_at=now + self.pacing.held_retry, error="notify_off")
            return self.mail_lane(row)
        if row.method == POST and lane.refused:
            return Outcome(row, status=Delivery.HELD, error=CHANNEL_HELD,
                           next_at=now + self.pacing.held_retry)  # fmt: skip
        if row.method == POST and lane.held_until and now < lane.held_until:
            return Outcome(row, next_at=lane.held_until, error="ratelimited")
        if target.error:
            return self._failed(row, target.error)
        if target.waiting:
            return Outcome(row, next_at=now + WAITING_FOR_PARENT, error="waiting_for_parent")
        channel, ts = target.channel, target.ts
        try:
            client = self._client_for(channel)
        except NotInstalled:
            lane.refused = NOT_INSTALLED
            return Outcome(row, status=Delivery.HELD, error=NOT_INSTALLED,
                           next_at=now + self.pacing.held_retry)  # fmt: skip
        except Exception as exc:  # the installation store, or refreshing its token
            log.warning("outbox: no token for %s (message %s): %r", channel, row.id, exc)
            return self._retry(row, self._backoff(row), "token")
        kwargs = {**json.loads(row.payload or "{}"), "channel": channel}
        if row.method == POST:
            if ts:
                kwargs["thread_ts"] = ts
            if row.in_doubt:
                found = self._find_posted(client, row, channel, ts)
                if found is not None:
                    return self._settle_sent(row, found[0], found[1], row.attempts)
            kwargs["metadata"] = {"event_type": METADATA_TYPE, "event_payload": {"id": row.id}}
        else:
            kwargs["ts"] = ts
        try:
            response = client.api_call(row.method, json=kwargs)
        except SlackApiError as exc:
            return self._on_refusal(row, exc, lane)
        except Exception as exc:  # the network: the call may or may not have happened
            log.warning("outbox: %s for message %s failed: %r", row.method, row.id, exc)
            return self._retry(row, self._backoff(row), "network", in_doubt=True)
        sent_channel = response.get("channel") or channel
        return self._settle_sent(row, sent_channel, response.get("ts"), row.attempts)

    def _client_for(self, channel: str) -> WebClient:
        if self.workspaces is None:
            return self.client
        return self.workspaces.client_for_channel(channel, home=self.client)

    def _settle_sent(self, row: OutboxMessage, channel: str, ts: str | None, attempt) -> Outcome:
        """Slack has it: the round writes it down with where it is."""
        return Outcome(row, status=Delivery.SENT, sent_at=self.clock.now(),
                       sent_channel=channel, ts=ts)  # fmt: skip

    def _failed(self, row: OutboxMessage, error: str, *, notify: bool = True) -> Outcome:
        return Outcome(row, status=Delivery.FAILED, error=error[:64], notify=notify)

    def _retry(self, row, wait: timedelta, error: str, *, in_doubt: bool = False) -> Outcome:
        return Outcome(row, next_at=self.clock.now() + wait, error=error[:64],
                       in_doubt=in_doubt and row.method == POST)  # fmt: skip

    def _on_refusal(self, row: OutboxMessage, exc: SlackApiError, lane: Lane) -> Outcome:
        error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
        status = exc.response.status_code
        metrics.slack_refused(row.method, error)
        if status == 429 or error in RATE_LIMITED:
            wait = timedelta(seconds=_retry_after(exc))
            until = self.clock.now() + wait
            if row.method == POST:
                key, due = CHANNEL + row.channel, self.pacing.held_until(until)
                lane.held_until = until
            else:
                key, due = METHOD + row.method, until
            log.info("outbox: Slack asked to wait %ss for %s", wait.seconds, key)
            outcome = self._retry(row, wait, error)
            outcome.hold = (key, due)
            return outcome
        dm = is_dm(row.channel)
        if error in CHANNEL_REFUSED and not dm:
            lane.refused = error
            return Outcome(row, status=Delivery.HELD, error=error,
                           next_at=self.clock.now() + self.pacing.held_retry)  # fmt: skip
        if error in PERSON_GONE or (dm and error in CHANNEL_REFUSED) or error in UNSENDABLE:
            return self._failed(row, error)
        if error in MESSAGE_GONE:
            return self._failed(row, error, notify=False)
        unknown = error in UNKNOWN_RESULT or status >= 500
        log.warning("outbox: %s for message %s refused (%s); retrying", row.method, row.id, error)
        return self._retry(row, self._backoff(row), error, in_doubt=unknown)

    def _find_posted(
        self, client: WebClient, row: OutboxMessage, channel: str, thread_ts: str | None
    ) -> tuple[str, str] | None:
        """Did an earlier try post it after all? Look for its metadata in the channel."""
        try:
            if channel.startswith(("U", "W")):
                channel = client.conversations_open(users=channel)["channel"]["id"]
            if thread_ts:
                response = client.conversations_replies(
                    channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
                )
            else:
                response = client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=200
                )
        except SlackApiError as exc:
            method = str(getattr(exc.response, "api_url", "") or "").rsplit("/", 1)[-1]
            metrics.slack_refused(method or "lookup", str(exc.response.get("error") or "unknown"))
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

    def _backoff(self, row: OutboxMessage) -> timedelta:
        return backoff(row, self.pacing.backoff_max)


def backoff(row: OutboxMessage, most: timedelta) -> timedelta:
    """How long a message waits after a failed try: doubling, jittered, at most ``most``."""
    # ``attempts`` already counts this try.
    seconds = min(2 ** max(row.attempts - 1, 0), most.total_seconds())
    return timedelta(seconds=seconds * random.uniform(1.0, 1.25))


def _retry_after(exc: SlackApiError) -> int:
    headers = exc.response.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after") or "1"
    try:
        return max(1, int(float(value if isinstance(value, str) else value[0])))
    except (TypeError, ValueError):
        return 1


Send = Callable[[OutboxMessage, Target, Lane], Outcome]


class Senders:
    """A few threads taking lanes in turn (channels before people, oldest first). Threads
    start when there is work and end after a quiet while, so an idle bot holds none."""

    QUIET = 5.0  # seconds a thread waits for work before it ends

    def __init__(self, count: int, send: Send, on_idle: Callable[[], None] | None = None):
        self.count = max(count, 1)
        self.send = send
        self.on_idle = on_idle
        self._lock = threading.Condition()
        self._lanes: dict[str, Lane] = {}
        self._ready: list[tuple[int, int, int, str]] = []
        self._order = itertools.count()
        self._threads = 0
        self._idle_threads = 0
        self._in_flight = 0
        self._outcomes: list[Outcome] = []

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def submit(self, rows: list[tuple[OutboxMessage, Target]]) -> None:
        if not rows:
            return
        with self._lock:
            for row, target in rows:
                lane = self._lanes.get(row.channel)
                if lane is None:
                    lane = self._lanes[row.channel] = Lane(row.channel, deque())
                    heapq.heappush(
                        self._ready,
                        (int(is_dm(row.channel)), row.id or 0, next(self._order), row.channel),
                    )
                lane.waiting.append((row, target))
                self._in_flight += 1
            while self._threads < self.count and self._idle_threads < len(self._ready):
                self._threads += 1
                self._idle_threads += 1
                threading.Thread(target=self._run, name="outbox-sender", daemon=True).start()
            self._lock.notify_all()

    @property
    def answered(self) -> int:
        """Outcomes waiting to be settled."""
        with self._lock:
            return len(self._outcomes)

    def take(self) -> list[Outcome]:
        """The outcomes ready to settle (each once)."""
        with self._lock:
            done, self._outcomes = self._outcomes, []
            return done

    def give_back(self, outcomes: list[Outcome]) -> None:
        """A round could not write these down: the next one will."""
        with self._lock:
            self._outcomes[:0] = outcomes

    def wait(self, timeout: float) -> None:
        """Until nothing is in flight, or ``timeout``."""
        with self._lock:
            self._lock.wait_for(lambda: not self._in_flight, timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._ready and not self._lock.wait_for(lambda: self._ready, self.QUIET):
                    self._threads -= 1
                    self._idle_threads -= 1
                    return
                self._idle_threads -= 1
                lane = self._lanes[heapq.heappop(self._ready)[-1]]
            self._drive(lane)
            with self._lock:
                self._idle_threads += 1

    def _drive(self, lane: Lane) -> None:
        while True:
            with self._lock:
                if not lane.waiting:
                    del self._lanes[lane.channel]
                    return
                row, target = lane.waiting.popleft()
            try:
                outcome = self.send(row, target, lane)
            except BaseException as exc:  # a bug or a kill: the round re-raises it
                outcome = Outcome(row, crash=exc)
            with self._lock:
                self._outcomes.append(outcome)
                self._in_flight -= 1
                idle = not self._in_flight
                self._lock.notify_all()
            if idle and self.on_idle is not None:
                self.on_idle()
