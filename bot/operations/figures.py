"""The figures a scrape reads from the database, at the moment it asks.

A custom collector (prometheus-client calls ``collect()`` on every scrape) asks three
cheap questions on one connection: handovers by state (one ``GROUP BY`` over the index on
``handover.state``), what waits in the outbox by destination, and which lanes are held
(a channel Slack refused, waiting for someone to fix it). The database not answering is a
figure too: ``handover_database_up`` is 0 and the others are left out, since a gauge at 0
would say "nothing waits", which nobody knows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import case, func, literal
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.clock import Clock
from bot.delivery.claim import NOTIFY_PREFIX
from bot.operations.metrics import DESTINATIONS, NOTIFY, SLACK
from storage.models import Delivery, Handover, OutboxMessage, State

log = logging.getLogger(__name__)


def _destination():
    return case(
        (col(OutboxMessage.method).startswith(NOTIFY_PREFIX), literal(NOTIFY)),
        else_=literal(SLACK),
    )


class Figures(Collector):
    """The database's figures for one scrape."""

    def __init__(self, engine: Engine, clock: Clock):
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "handover_database_up", "1 when the database answered this scrape, else 0."
        )
        try:
            states, outbox, held = self._read(self.clock.now())
        except Exception as exc:
            log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        handovers = GaugeMetricFamily(
            "handover_handovers", "Handovers in each state, now.", labels=["state"]
        )
        for state in State:
            handovers.add_metric([state.value], states.get(state.value, 0))
        yield handovers
        pending = GaugeMetricFamily(
            "handover_outbox_pending",
            "Outbox messages waiting to go (due now or later; held ones not counted).",
            labels=["destination"],
        )
        oldest = GaugeMetricFamily(
            "handover_outbox_oldest_age_seconds",
            "How long the most overdue waiting message has been due (0: none is).",
            labels=["destination"],
        )
        lanes = GaugeMetricFamily(
            "handover_outbox_held_lanes",
            "Channels whose messages are held because Slack refused them, until fixed.",
            labels=["destination"],
        )
        for where in DESTINATIONS:
            count, age = outbox.get(where, (0, 0.0))
            pending.add_metric([where], count)
            oldest.add_metric([where], age)
            lanes.add_metric([where], held.get(where, 0))
        yield pending
        yield oldest
        yield lanes

    def _read(self, now: datetime):
        where = _destination().label("destination")
        with self.engine.connect() as connection:
            states = dict(
                connection.execute(
                    select(Handover.state, func.count()).group_by(Handover.state)
                ).all()
            )
            overdue = case((col(OutboxMessage.next_at) <= now, OutboxMessage.next_at))
            outbox = {
                name: (count, _age(now, due))
                for name, count, due in connection.execute(
                    select(where, func.count(), func.min(overdue))
                    .where(col(OutboxMessage.status) == Delivery.PENDING)
                    .group_by(where)
                ).all()
            }
            held = dict(
                connection.execute(
                    select(where, func.count(func.distinct(OutboxMessage.channel)))
                    .where(col(OutboxMessage.status) == Delivery.HELD)
                    .group_by(where)
                ).all()
            )
        return states, outbox, held


def _age(now: datetime, due) -> float:
    if due is None:
        return 0.0
    if isinstance(due, str):  # SQLite may answer an aggregate's time as text
        due = datetime.fromisoformat(due)
    if due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    return max((now - due).total_seconds(), 0.0)
