"""One try at one e-mail to a provider without Slack, for the outbox's senders.

The address is the network file's, read when it is sent (a corrected address applies to
e-mails still waiting). An e-mail that is no longer true when its turn comes (a reminder
to accept a handover someone accepted meanwhile, a card for a handover that moved on) is
dropped rather than sent; one whose answer was lost is looked up by its reference first.
"""

from __future__ import annotations

import json

from notifications_python_client.notifications import NotificationsAPIClient

from bot.clock import Clock
from bot.delivery.settle import Outcome
from bot.directory.network import Network
from bot.residents.sending import NotifyTries
from storage.db import SessionFactory
from storage.models import Delivery, Handover, OutboxMessage, State

# Still worth saying when its turn comes: the handover is in one of these states, and still
# with the provider (except the e-mail that says it left).
STILL_TRUE = {
    "card": (State.PENDING,),
    "accept_reminder": (State.PENDING,),
    "contact_nudge": (State.ACCEPTED,),
    "outcome_ask": (State.ACCEPTED, State.CONTACTED),
}
ABOUT_LEAVING = "left"


class MailLane(NotifyTries):
    def __init__(
        self,
        *,
        client: NotificationsAPIClient,
        sessions: SessionFactory,
        network: Network,
        clock: Clock,
    ):
        super().__init__(client=client, clock=clock)
        self.sessions = sessions
        self.network = network

    def send(self, row: OutboxMessage) -> Outcome:
        message = json.loads(row.payload or "{}")
        kind, provider_id = message.get("kind"), message.get("provider")
        with self.sessions() as session:
            handover = session.get(Handover, row.handover_id)
            if handover is None:
                return Outcome(row, status=Delivery.CANCELLED, error="no_handover")
            if kind != ABOUT_LEAVING and handover.provider_id != provider_id:
                return Outcome(row, status=Delivery.CANCELLED, error="moved_on")
            if handover.state not in STILL_TRUE.get(kind, (handover.state,)):
                return Outcome(row, status=Delivery.CANCELLED, error=f"handover_{handover.state}")
        entry = self.network.provider(provider_id)
        to = entry.email if entry is not None else None
        if not to:
            return Outcome(row, status=Delivery.FAILED, error="no_address", notify=True)
        reference = message.get("reference") or ""
        fields = dict(message.get("personalisation") or {})
        return self._deliver(row, reference, lambda: self.client.send_email_notification(
            email_address=to, template_id=message["template_id"], personalisation=fields,
            reference=reference))  # fmt: skip
