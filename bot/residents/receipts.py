"""Notify's delivery receipts, and messages Notify would not take: the record keeps what
became of each message; one that never reached the resident is told to the adviser by DM
and to the worker on the card's thread."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlmodel import Session, col, select

from bot.blocks.residents import not_delivered, not_sent
from bot.clock import Clock
from bot.delivery.claim import NOTIFY_PREFIX
from bot.delivery.notifier import CARD
from bot.delivery.outbox import Outbox
from storage.db import SessionFactory
from storage.models import Handover, OutboxMessage, Provider, ResidentMessage

log = logging.getLogger("bot.residents")

# Notify's statuses that a receipt may carry; the last three are final failures.
RECEIPT_STATUSES = frozenset(
    {"delivered", "permanent-failure", "temporary-failure", "technical-failure"}
)


class BadReceipt(ValueError):
    """A receipt the bot cannot read: answered 400."""


class Receipts:
    def __init__(self, *, sessions: SessionFactory, outbox: Outbox, clock: Clock):
        self.sessions = sessions
        self.outbox = outbox
        self.clock = clock

    def receive(self, body: bytes) -> bool:
        """Take one receipt; whether it was about a message the bot sent."""
        try:
            receipt = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise BadReceipt("not JSON") from None
        if not isinstance(receipt, dict):
            raise BadReceipt("not a JSON object")
        notify_id, status = receipt.get("id"), receipt.get("status")
        if not isinstance(notify_id, str) or status not in RECEIPT_STATUSES:
            raise BadReceipt("a receipt needs an id and a known status")
        with self.sessions() as session:
            record = session.exec(
                select(ResidentMessage).where(col(ResidentMessage.notify_id) == notify_id)
            ).first()
            if record is None and isinstance(receipt.get("reference"), str):
                record = session.exec(
                    select(ResidentMessage).where(
                        col(ResidentMessage.reference) == receipt["reference"]
                    )
                ).first()
            if record is None:
                log.info("notify: a receipt for a message this bot does not know")
                return False
            before = record.status
            record.status, record.status_at = status, _at(receipt, self.clock)
            record.notify_id = record.notify_id or notify_id
            session.add(record)
            if status == "temporary-failure":
                log.info("notify: %s not delivered yet; Notify tries again", record.reference)
            if status == "permanent-failure" and before != status:
                self._tell(session, record, not_delivered, card=True)
            session.commit()
        self.outbox.kick()
        return True

    def refused(self, session: Session, row: OutboxMessage, error: str) -> None:
        """Notify would not take a message (or it had nowhere to go): the adviser hears."""
        record = session.exec(
            select(ResidentMessage).where(col(ResidentMessage.outbox_id) == row.id)
        ).first()
        if record is not None:
            self._tell(session, record, not_sent, card=False, reason=error)

    def _tell(self, session: Session, record: ResidentMessage, build, *, card: bool, **extra):
        handover = session.get(Handover, record.handover_id)
        if handover is None:
            return
        message = build(ref=handover.ref, channel=record.channel, kind=record.kind, **extra)
        self.outbox.post(session, handover.adviser_id, message, handover_id=handover.id)
        provider = session.get(Provider, handover.provider_id) if handover.provider_id else None
        if card and provider is not None and provider.channel:
            self.outbox.post(
                session, provider.channel, message, handover_id=handover.id, thread=CARD
            )


def refused_or(receipts: Receipts, otherwise):
    """The outbox's notice of a refused message: a resident's goes to its adviser."""

    def notice(session: Session, row: OutboxMessage, error: str, held: bool) -> None:
        if row.method.startswith(NOTIFY_PREFIX):
            receipts.refused(session, row, error)
        else:
            otherwise(session, row, error, held)

    return notice


def _at(receipt: dict, clock: Clock) -> datetime:
    for key in ("completed_at", "sent_at", "created_at"):
        value = receipt.get(key)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if parsed.tzinfo is not None:
                return parsed
    return clock.now()
