"""Every metric the bot exports, defined once (docs/metrics.md lists them for dashboards).

The counters, the histogram and the scheduler's gauge live in the process that moves them.
With several workers (``app.py --http --workers N``) each is a process of its own, so they
use prometheus-client's multi-process mode: ``PROMETHEUS_MULTIPROC_DIR`` must be set
before prometheus-client is first imported (app.py sees to it), each process writes its
values to files there, and a scrape that reaches any worker adds up every worker's files.
The figures read from the database at scrape time (bot/operations/figures.py) are the same
whichever process reads them, so they need none of that.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import prometheus_client
from prometheus_client import Counter, Gauge, Histogram

from bot.delivery.claim import NOTIFY_PREFIX

# The `_created` series double what a dashboard has to ignore, and mean nothing here.
prometheus_client.disable_created_metrics()

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
SLACK, NOTIFY = "slack", "notify"
DESTINATIONS = (SLACK, NOTIFY)
# What Slack asked of the bot: what an answer within Slack's 3 seconds is measured for.
REQUEST_KINDS = ("command", "action", "view_submission", "event", "other")

OUTBOX_SENT = Counter(
    "handover_outbox_sent",
    "Outbox messages delivered (Slack took it, or Notify did).",
    ["destination"],
)
OUTBOX_FAILED = Counter(
    "handover_outbox_failed",
    "Outbox messages given up on: they can never go as they are.",
    ["destination"],
)
SLACK_API_ERRORS = Counter(
    "handover_slack_api_errors",
    "Errors Slack's Web API answered the outbox with, by method and Slack's error code.",
    ["method", "error"],
)
REQUEST_SECONDS = Histogram(
    "handover_request_seconds",
    "Seconds from a Slack request arriving to the bot's answer (Slack waits 3).",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
)
# Every worker runs a scheduler, and their due-checks are safe side by side: the newest
# tick of any worker is the bot's.
SCHEDULER_LAST_TICK = Gauge(
    "handover_scheduler_last_tick_timestamp_seconds",
    "When the scheduler last finished asking what is due (Unix time).",
    multiprocess_mode="max",
)

for _destination in DESTINATIONS:
    # A series that exists from the start, at 0, so that rate() sees the first one.
    OUTBOX_SENT.labels(destination=_destination)
    OUTBOX_FAILED.labels(destination=_destination)
for _kind in REQUEST_KINDS:
    REQUEST_SECONDS.labels(kind=_kind)


def multiprocess() -> bool:
    """Whether this process shares its metrics with others through files."""
    return bool(os.environ.get(MULTIPROC_DIR))


def destination(method: str) -> str:
    """Which service an outbox message goes through, from its method."""
    return NOTIFY if method.startswith(NOTIFY_PREFIX) else SLACK


def delivered(method: str) -> None:
    OUTBOX_SENT.labels(destination=destination(method)).inc()


def given_up(method: str) -> None:
    OUTBOX_FAILED.labels(destination=destination(method)).inc()


def slack_refused(method: str, error: str) -> None:
    SLACK_API_ERRORS.labels(method=method, error=error[:64]).inc()


def ticked(at: datetime) -> None:
    SCHEDULER_LAST_TICK.set(at.timestamp())


def request_kind(body: dict) -> str:
    """What kind of request Slack sent, from its parsed body."""
    if not isinstance(body, dict):
        return "other"
    if body.get("command"):
        return "command"
    kind = body.get("type")
    if kind in ("block_actions", "interactive_message"):
        return "action"
    if kind == "view_submission":
        return "view_submission"
    if kind == "event_callback":
        return "event"
    return "other"


@contextmanager
def timing(body: dict) -> Iterator[None]:
    """Time the answer to one request of Slack's."""
    started = time.perf_counter()
    try:
        yield
    finally:
        REQUEST_SECONDS.labels(kind=request_kind(body)).observe(time.perf_counter() - started)
