"""What a resident is told, and when: written to the outbox with the change that causes it.

Each message names a GOV.UK Notify template (the network file's ``notify.templates``) and
the template's fields (docs/notify-templates.md); the resident's number or address is not
in it, and is read only when the message is sent. Its record (``resident_message``) keeps
which message and what became of it for the audit trail, never its content.
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from bot.clock import Clock
from bot.delivery.claim import NOTIFY_PREFIX
from bot.delivery.outbox import Outbox
from bot.directory.network import Network
from bot.followup.due import Due
from bot.ids import PAGE_ACTOR
from bot.residents.daytime import Daytime
from bot.text import day
from storage.models import EventKind, Handover, Provider, Resident, ResidentMessage

ACCEPTED = "accepted"
CHECK_IN = "check_in"
CHANNELS = ("sms", "email")
SOMEONE = "a worker"  # when the worker's first name cannot be said
# Said when the adviser gave no organisation: whom the resident asks if nobody calls.
YOUR_ADVISER = "the adviser who referred you"


class ResidentMessages:
    """The network's messages to residents; ``enabled`` only with a Notify API key."""

    def __init__(self, *, network: Network, outbox: Outbox, clock: Clock, enabled: bool):
        self.network = network
        self.outbox = outbox
        self.clock = clock
        self.enabled = enabled
        self.daytime = Daytime.of(network)

    def on_change(self, session: Session, change) -> None:
        """A handover changed (bot.handover.handovers.Change): accepted, they hear."""
        if change.kind == EventKind.ACCEPTED and not change.repeated:
            self.accepted(session, change.handover, change.provider, change.resident)

    def on_reminder(self, session: Session, reminder) -> None:
        """The worker is nudged about first contact for the first time: the resident gets
        their check-in at the same moment (bot.followup.reminders.Reminder)."""
        if reminder.kind == Due.CONTACT_NUDGE:
            self.check_in(session, reminder.handover, reminder.provider)

    def accepted(
        self,
        session: Session,
        handover: Handover,
        provider: Provider | None,
        resident: Resident | None,
    ) -> None:
        """Who will contact them (the worker's first name is looked up when it is sent),
        and by when."""
        if provider is None or handover.promised_contact_by is None:
            return
        fields = {
            "organisation": provider.name,
            "contact_by_date": day(handover.promised_contact_by),
            "reference": handover.ref,
            "adviser_organisation": handover.adviser_org or YOUR_ADVISER,
        }
        worker = handover.worker_id
        if worker and worker.startswith(PAGE_ACTOR):  # named on the page: no Slack profile
            fields["worker_name"] = (handover.worker_name or "").split(" ")[0] or SOMEONE
            worker = None
        self._write(session, handover, resident, ACCEPTED, fields, worker=worker)

    def check_in(self, session: Session, handover: Handover, provider: Provider | None) -> None:
        """The promised date passed with no contact: once, whom to ask."""
        if provider is None:
            return
        resident = session.get(Resident, handover.id)
        fields = {
            "organisation": provider.name,
            "reference": handover.ref,
            "adviser_organisation": handover.adviser_org or YOUR_ADVISER,
        }
        self._write(session, handover, resident, CHECK_IN, fields, once=True)

    def _write(self, session, handover, resident, kind, fields, *, worker=None, once=False) -> None:
        """Write one message of ``kind`` (``once``: unless one was written before)."""
        if not self.enabled or resident is None or resident.erased_at is not None:
            return
        channel = resident.contact_by
        template = self.network.notify.templates.get(kind, channel) if channel else None
        if channel not in CHANNELS or template is None:
            return  # not at all, or the network has no template for it
        earlier = self._count(session, handover, kind)
        if once and earlier:
            return
        now = self.clock.now()
        reference = f"{handover.ref}-{kind}" + (f"-{earlier + 1}" if earlier else "")
        record = ResidentMessage(
            handover_id=handover.id,
            kind=kind,
            channel=channel,
            template_id=template,
            reference=reference,
            created_at=now,
        )
        session.add(record)
        session.flush()
        payload = {
            "message": record.id,
            "kind": kind,
            "template_id": template,
            "reference": reference,
            "personalisation": fields,
        }
        if worker:
            payload["worker"] = worker
        row = self.outbox.to_resident(
            session,
            NOTIFY_PREFIX + channel,
            handover.id,
            payload,
            slot=kind,
            at=self.daytime.next_allowed(now),
        )
        record.outbox_id = row.id
        session.add(record)

    def _count(self, session: Session, handover: Handover, kind: str) -> int:
        return session.exec(
            select(func.count())
            .select_from(ResidentMessage)
            .where(
                col(ResidentMessage.handover_id) == handover.id,
                col(ResidentMessage.kind) == kind,
            )
        ).one()
