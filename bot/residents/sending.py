"""One try at one message to a resident, for the outbox's senders.

The message carries its template and fields; the resident's number or address is read
here, decrypted, at the moment of sending, and nowhere else. A try whose result is unknown
(a timeout, a 5xx, a crash) is looked up by its Notify ``reference`` before the next, so
the resident gets it once. Notify refusing the message itself (a 400: not a mobile, a
missing field) is final and reported; its 5xx and network failures are tried again.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from bot.delivery.claim import METHOD
from bot.delivery.senders import backoff
from bot.delivery.settle import Outcome
from bot.residents.daytime import Daytime
from bot.residents.messages import ACCEPTED, SOMEONE
from storage.db import SessionFactory
from storage.models import Delivery, Handover, OutboxMessage, Resident, State

log = logging.getLogger("bot.residents")

# Still worth saying: who will contact them, until contact is made; the check-in while
# the promised contact has not happened.
STILL_TRUE = {ACCEPTED: (State.ACCEPTED,), "check_in": (State.ACCEPTED,)}
RATE_LIMIT_WAIT = timedelta(seconds=60)  # Notify's limits are per minute
BACKOFF_MAX = timedelta(minutes=30)


class NotifyTries:
    """What every message through GOV.UK Notify's client shares: a try's outcome from what
    Notify answered, and the look-up of a try whose answer was lost."""

    def __init__(self, *, client: NotificationsAPIClient, clock: Clock):
        self.client = client
        self.clock = clock

    def _sent(self, row: OutboxMessage, notify_id: str | None) -> Outcome:
        return Outcome(row, status=Delivery.SENT, sent_at=self.clock.now(),
                       sent_channel=row.channel, external_id=notify_id)  # fmt: skip

    def _refused(self, row: OutboxMessage, error: APIError) -> Outcome:
        status = error.status_code
        said = _said(error)
        if status == 429:
            log.info("notify: rate limited; waiting a minute")
            outcome = Outcome(row, next_at=self.clock.now() + RATE_LIMIT_WAIT, error=said)
            outcome.hold = (METHOD + row.method, self.clock.now() + RATE_LIMIT_WAIT)
            return outcome
        if status >= 500:
            log.warning("notify: message %s: Notify answered %s; trying again", row.id, status)
            return self._again(row, said)
        # 400 (the message itself) or 403 (the key): it will never pass as it is.
        log.error("notify: message %s refused (%s): %s", row.id, status, said)
        return Outcome(row, status=Delivery.FAILED, error=said[:64], notify=True)

    def _again(self, row: OutboxMessage, error: str) -> Outcome:
        wait = backoff(row, BACKOFF_MAX)
        return Outcome(row, next_at=self.clock.now() + wait, error=error[:64], in_doubt=True)

    def _find(self, reference: str) -> str | None:
        """Did an earlier try reach Notify after all? Its reference says."""
        try:
            found = self.client.get_all_notifications(reference=reference)
        except Exception as error:
            log.warning("notify: could not look up an earlier try: %s", type(error).__name__)
            return None
        for notification in found.get("notifications", []):
            if notification.get("reference") == reference:
                return notification.get("id")
        return None

    def _deliver(self, row: OutboxMessage, reference: str, send) -> Outcome:
        """One try: ``send()`` calls the client, once an earlier try in doubt was looked up."""
        if row.in_doubt:
            found = self._find(reference)
            if found is not None:
                return self._sent(row, found)
        try:
            answer = send()
        except APIError as error:
            return self._refused(row, error)
        except Exception as error:  # the network: Notify may or may not have it
            log.warning("notify: message %s failed: %s", row.id, type(error).__name__)
            return self._again(row, "network")
        return self._sent(row, answer.get("id"))


class NotifyLane(NotifyTries):
    """Sends residents' messages through GOV.UK Notify's client."""

    def __init__(
        self,
        *,
        client: NotificationsAPIClient,
        sessions: SessionFactory,
        slack: WebClient,
        clock: Clock,
        daytime: Daytime,
    ):
        super().__init__(client=client, clock=clock)
        self.sessions = sessions
        self.slack = slack
        self.daytime = daytime

    def send(self, row: OutboxMessage) -> Outcome:
        now = self.clock.now()
        if not self.daytime.allows(now):
            return Outcome(row, next_at=self.daytime.next_allowed(now), error="night")
        message = json.loads(row.payload or "{}")
        reference = message.get("reference") or ""
        with self.sessions() as session:
            handover = session.get(Handover, row.handover_id)
            resident = session.get(Resident, row.handover_id)
            if handover is None or resident is None or resident.erased_at is not None:
                return Outcome(row, status=Delivery.CANCELLED, error="erased")
            if handover.state not in STILL_TRUE.get(message.get("kind"), (handover.state,)):
                return Outcome(row, status=Delivery.CANCELLED, error=f"handover_{handover.state}")
            to = resident.phone if row.method.endswith("sms") else resident.email
        if not to:
            return Outcome(row, status=Delivery.FAILED, error="no_address", notify=True)
        fields = dict(message.get("personalisation") or {})
        if "worker" in message:
            fields["worker_name"] = self._first_name(message["worker"])
        template = message["template_id"]
        if row.method.endswith("sms"):
            return self._deliver(row, reference, lambda: self.client.send_sms_notification(
                phone_number=to, template_id=template, personalisation=fields,
                reference=reference))  # fmt: skip
        return self._deliver(row, reference, lambda: self.client.send_email_notification(
            email_address=to, template_id=template, personalisation=fields,
            reference=reference))  # fmt: skip

    def _first_name(self, user_id: str) -> str:
        try:
            user = self.slack.users_info(user=user_id)["user"]
        except SlackApiError:
            return SOMEONE
        profile = user.get("profile") or {}
        name = profile.get("first_name") or (user.get("real_name") or "").split(" ")[0]
        return name or SOMEONE


def _said(error: APIError) -> str:
    """Notify's words, without the values it may echo (no number or address is ever
    in them; only the error's kind and message)."""
    message = error.message
    if isinstance(message, list):
        message = "; ".join(f"{e.get('error')}: {e.get('message')}" for e in message)
    return str(message or f"http_{error.status_code}")
