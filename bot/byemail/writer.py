"""Writing a provider's e-mails to the outbox, in the transaction of the change that causes
them, as the notifier writes Slack messages: each is sent once, by ``sending``."""

from __future__ import annotations

import logging
import secrets

from sqlmodel import Session

from bot.byemail import mail
from bot.byemail.links import PageLinks
from bot.clock import Clock
from bot.delivery.claim import PROVIDER_MAIL
from bot.delivery.outbox import Outbox
from bot.directory.network import Network, parse_duration
from storage.models import Handover, Provider

log = logging.getLogger(__name__)

MAIL_LANE = "mail:"
CARD = "card"  # the e-mail in place of the card: other e-mails follow it, never precede it


def mail_lane(provider_id: str) -> str:
    """The outbox's lane for one provider's e-mails (not a Slack channel)."""
    return f"{MAIL_LANE}{provider_id}"


def working_words(text: str) -> str:
    """``1d`` -> "1 working day", ``4h`` -> "4 working hours" (the reminders' own time)."""
    span = parse_duration(text)
    if span.days:
        count, unit = span.days, "day"
    elif span.seconds >= 3600:
        count, unit = span.seconds // 3600, "hour"
    else:
        count, unit = max(1, span.seconds // 60), "minute"
    return f"{count} working {unit}{'s' if count != 1 else ''}"


class ProviderMail:
    """A provider's e-mails; ``enabled`` only with GOV.UK Notify set up."""

    def __init__(
        self, *, outbox: Outbox, network: Network, links: PageLinks, clock: Clock, enabled: bool
    ):
        self.outbox = outbox
        self.network = network
        self.links = links
        self.clock = clock
        self.enabled = enabled

    def reaches(self, provider: Provider | None) -> bool:
        """Whether this provider gets its handovers by e-mail."""
        return provider is not None and bool(provider.email)

    def has_card(self, session: Session, handover: Handover, provider: Provider) -> bool:
        return self.outbox.has(session, handover, CARD, mail_lane(provider.id))

    def link(self, handover: Handover, provider: Provider) -> str:
        return self.links.url(handover, provider.id)

    def card(self, session: Session, handover: Handover, provider: Provider) -> None:
        within = working_words(self.network.reminders_for(provider.id).accept_within)
        message = mail.new_handover(
            handover, provider, self.network, self.link(handover, provider), within
        )
        self.write(session, handover, provider, CARD, message)

    def write(
        self, session: Session, handover: Handover, provider: Provider, kind: str, message
    ) -> None:
        """One e-mail of ``kind`` to the provider, through the outbox."""
        template = self.network.notify.templates.provider_email
        if not self.enabled or template is None:
            log.warning(
                "%s: %s has no Slack channel and GOV.UK Notify is not set up to e-mail it "
                "(NOTIFY_API_KEY and notify.templates.provider_email)",
                handover.ref,
                provider.id,
            )
            return
        payload = {
            "kind": kind,
            "provider": provider.id,
            "template_id": template,
            # What Notify knows it by, to look a try in doubt up: one per e-mail.
            "reference": f"{handover.ref}-{kind}-{secrets.token_hex(4)}",
            "personalisation": message.fields(),
        }
        self.outbox.enqueue(
            session,
            PROVIDER_MAIL,
            mail_lane(provider.id),
            handover.id,
            payload,
            slot=kind,
            at=self.clock.now(),
        )
