"""The outbox: every message the bot must send, written with the change that causes it.

A change and the messages it causes are written in one transaction (``Outbox.post`` and
``Outbox.update`` take the change's session), so a crash loses neither. A thread line or
an update names the message it belongs to by slot (``Ref(slot="card")``): it can be
written before that message has even been posted. The delivering (in order, leased,
paced, retried, never twice) is in bot/delivery/courier.py and the modules it names; the
worker thread there runs it.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from bot.blocks import Message
from bot.clock import Clock
from bot.delivery.claim import NOTIFY_PREFIX, RESIDENT
from bot.delivery.courier import (
    POST,
    UPDATE,
    Answering,
    Courier,
    OutboxWorker,
    Pacing,
    parent_of,
    remembered,
)
from storage.db import SessionFactory
from storage.models import Delivery, Handover, OutboxMessage, ResidentMessage

log = logging.getLogger(__name__)

__all__ = [
    "NOTIFY_PREFIX",
    "POST",
    "UPDATE",
    "Answering",
    "Outbox",
    "OutboxWorker",
    "Pacing",
    "Ref",
    "nudge_slot",
    "resident_channel",
]


@dataclass(frozen=True)
class Ref:
    """The message a thread line or an update belongs to: an earlier outbox message of
    the same handover (by slot, found in the same channel), or a known ts."""

    slot: str | None = None
    ts: str | None = None


class Outbox(Courier):
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        client: WebClient,
        clock: Clock,
        pacing: Pacing | None = None,
    ):
        super().__init__(sessions=sessions, client=client, clock=clock, pacing=pacing)
        self._inline = threading.Lock()

    # -- writing (inside the caller's transaction) ---------------------------------------

    def post(
        self,
        session: Session,
        channel: str,
        message: Message,
        *,
        handover_id: int | None = None,
        slot: str | None = None,
        thread: Ref | None = None,
    ) -> None:
        self._add(session, POST, channel, message, handover_id, slot, thread)

    def update(
        self,
        session: Session,
        channel: str,
        message: Message,
        *,
        of: Ref,
        handover_id: int | None = None,
    ) -> None:
        self._add(session, UPDATE, channel, message, handover_id, None, of)

    def has(self, session: Session, handover: Handover, slot: str, channel: str) -> bool:
        """Whether a message of this slot went, or is going, to this channel (including one
        sent before the outbox existed, which the handover remembers)."""
        if remembered(handover, slot, channel) is not None:
            return True
        found = session.exec(
            select(OutboxMessage.id).where(
                col(OutboxMessage.handover_id) == handover.id,
                col(OutboxMessage.slot) == slot,
                col(OutboxMessage.channel) == channel,
                col(OutboxMessage.status).in_([Delivery.PENDING, Delivery.HELD, Delivery.SENT]),
            )
        ).first()
        return found is not None

    def _add(self, session, method, channel, message, handover_id, slot, ref) -> None:
        now = self.clock.now()
        key = f"{handover_id}:{channel}" if handover_id is not None else channel
        session.add(
            OutboxMessage(
                key=key,
                handover_id=handover_id,
                method=method,
                channel=channel,
                slot=slot,
                ref_slot=ref.slot if ref else None,
                ref_ts=ref.ts if ref else None,
                payload=json.dumps(message.as_kwargs()),
                status=Delivery.PENDING,
                next_at=now,
                created_at=now,
            )
        )

    def to_resident(
        self,
        session: Session,
        method: str,
        handover_id: int,
        payload: dict,
        *,
        slot: str,
        at: datetime,
    ) -> OutboxMessage:
        """A message to a resident (GOV.UK Notify), due ``at``: its payload names the
        template and its fields, never the resident's number or address."""
        channel = resident_channel(handover_id)
        return self.enqueue(session, method, channel, handover_id, payload, slot=slot, at=at)

    def enqueue(
        self,
        session: Session,
        method: str,
        channel: str,
        handover_id: int,
        payload: dict,
        *,
        slot: str,
        at: datetime,
    ) -> OutboxMessage:
        """A message that is not Slack's (GOV.UK Notify's), in the lane ``channel``."""
        row = OutboxMessage(
            key=f"{handover_id}:{channel}",
            handover_id=handover_id,
            method=method,
            channel=channel,
            slot=slot,
            payload=json.dumps(payload),
            status=Delivery.PENDING,
            next_at=at,
            created_at=self.clock.now(),
        )
        session.add(row)
        session.flush()
        return row

    def cancel_details(self, session: Session, handover_ids: list[int]) -> None:
        """Erasure: private details not yet sent never go, nor messages to the resident,
        and their text is dropped."""
        session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.handover_id).in_(handover_ids),
                or_(
                    col(OutboxMessage.slot) == "details",
                    col(OutboxMessage.method).startswith(NOTIFY_PREFIX),
                ),
                col(OutboxMessage.status).in_([Delivery.PENDING, Delivery.HELD]),
            )
            .values(status=Delivery.CANCELLED, payload=None)
            .execution_options(synchronize_session=False)
        )
        # Their record says so (the audit trail keeps that a message was due, not what).
        session.execute(
            update(ResidentMessage)
            .where(
                col(ResidentMessage.handover_id).in_(handover_ids),
                col(ResidentMessage.status) == "waiting",
            )
            .values(status="dropped", error="erased", status_at=self.clock.now())
            .execution_options(synchronize_session=False)
        )

    def retarget(self, session: Session, old: str, new: str) -> None:
        """A channel was replaced (the network file names another): what waits for the old
        one goes to the new one, except thread lines and updates of messages that are
        already in the old channel, which cannot follow them (the card is posted again)."""
        waiting = session.exec(
            select(OutboxMessage)
            .where(
                col(OutboxMessage.channel) == old,
                col(OutboxMessage.status).in_([Delivery.PENDING, Delivery.HELD]),
            )
            .order_by(OutboxMessage.id)
        ).all()
        now = self.clock.now()
        for row in waiting:
            if row.ref_ts or (row.ref_slot and self._parent_sent(session, row)):
                row.status, row.payload, row.error = Delivery.CANCELLED, None, "channel_moved"
            else:
                row.channel = new
                row.key = f"{row.handover_id}:{new}" if row.handover_id is not None else new
                row.status, row.next_at, row.leased_until = Delivery.PENDING, now, None
            session.add(row)

    def _parent_sent(self, session: Session, row: OutboxMessage) -> bool:
        parent = parent_of(session, row)
        return parent is None or parent.status == Delivery.SENT

    # -- waking the worker ---------------------------------------------------------------

    def kick(self) -> None:
        """Something was written: deliver it now (the worker's thread if running, else here)."""
        if self.worker is not None and self.worker.running:
            self.worker.wake()
            return
        with self._inline:
            self.deliver()

    def release(self, channel: str) -> int:
        """The channel is fixed: its held messages go now, in their order."""
        with self.sessions() as session:
            done = session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.status) == Delivery.HELD,
                    col(OutboxMessage.channel) == channel,
                )
                .values(status=Delivery.PENDING, next_at=self.clock.now())
                .execution_options(synchronize_session=False)
            )
            session.commit()
        if done.rowcount:
            log.info("outbox: %d held message(s) for %s released", done.rowcount, channel)
            self.kick()
        return done.rowcount

    # -- delivering ----------------------------------------------------------------------

    def pending(self) -> int:
        """How many messages wait to be delivered (held ones not counted)."""
        with self.sessions() as session:
            return session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(col(OutboxMessage.status) == Delivery.PENDING)
            ).one()


def resident_channel(handover_id: int) -> str:
    """The outbox's lane for one resident's messages (not a Slack channel)."""
    return f"{RESIDENT}{handover_id}"


def nudge_slot(provider) -> str:
    """The slot of a provider's directory nudge: its ts is remembered on the provider."""
    return f"nudge:{provider.id}"
