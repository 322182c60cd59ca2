"""What a handover's page may do, for a provider without Slack: the Slack card's lifecycle
(accept, decline, first contact, outcome) through the same operations of
``bot.handover.handovers``, as the provider itself (``bot.handover.access.page_actor``).

The link decides who may: it must be one this bot signed (``links``) and the handover must
still be where it was made for. A link that is not, or is no longer, gets ``BadLink`` and
changes nothing. Every view is in the audit trail (``access_log``): the page itself, and
the resident's details, shown once after Accept and again only with a one-time code.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date

from notifications_python_client.notifications import NotificationsAPIClient

from bot.byemail import mail
from bot.byemail.codes import LIFETIME, Codes, TooMany
from bot.byemail.links import PageLinks
from bot.directory.network import Network
from bot.errors import DomainError, InvalidInput
from bot.handover.access import page_actor
from bot.handover.handovers import Handovers
from bot.ids import Block
from bot.privacy.audit import Audit
from storage import queries
from storage.models import Access, Handover, HandoverEvent, Provider, Resident, State

log = logging.getLogger(__name__)

WORKER_NAME = "worker_name"  # the accept form's field for the worker's name
CODE = "code"


class BadLink(Exception):
    """Not a link this bot made, or one whose handover has left the provider since."""

    def __init__(self, gone: bool):
        super().__init__("gone" if gone else "unknown")
        self.gone = gone  # True: it was valid once (410); False: never (404)


@dataclass
class Page:
    """What the page shows now."""

    token: str
    handover: Handover
    provider: Provider
    events: list[HandoverEvent] = field(default_factory=list)
    resident: Resident | None = None  # only right after Accept, or with a one-time code
    said: str | None = None  # what just happened, or why it could not
    errors: dict[str, str] = field(default_factory=dict)  # field -> message
    code_sent: bool = False
    refused: bool = False  # ``said`` says why what was asked was not done


def plain(message: str) -> str:
    """A domain sentence (written for Slack) as plain words for the page."""
    text = re.sub(r"<@[^>]+>", "a colleague", message)
    text = text.replace("*", "").replace("_", " ").strip()
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class ProviderPages:
    def __init__(
        self,
        *,
        handovers: Handovers,
        links: PageLinks,
        codes: Codes,
        audit: Audit,
        network: Network,
        notify: NotificationsAPIClient | None,
    ):
        self.handovers = handovers
        self.links = links
        self.codes = codes
        self.audit = audit
        self.network = network
        self.notify = notify

    # -- reading -------------------------------------------------------------------------

    def open(self, token: str) -> Page:
        page = self._page(token)
        self._seen(page, Access.PAGE)
        return page

    def check(self, token: str) -> None:
        """``BadLink`` unless the link opens its handover's page now."""
        self._page(token)

    def today(self) -> date:
        return self.handovers.clock.now().astimezone(self.handovers.followup.zone).date()

    def default_contact_by(self) -> date:
        return self.handovers.default_contact_by()

    # -- the card's actions ---------------------------------------------------------------

    def accept(self, token: str, *, contact_by: date | None, worker_name: str) -> Page:
        page = self._page(token)
        name = " ".join(worker_name.split())[:64]
        errors = {}
        if not name:
            errors[WORKER_NAME] = "Enter your name, so the resident and the adviser know who."
        if contact_by is None:
            errors[Block.CONTACT_BY] = "Enter the date of first contact, like 14 12 2026."
        if errors:
            return self._refused(page, InvalidInput(errors))
        try:
            change = self.handovers.accept(
                page.handover.id,
                card_provider=page.provider.id,
                actor_id=self._actor(page),
                contact_by=contact_by,
                worker_name=name,
            )
        except DomainError as error:
            return self._refused(page, error)
        page = self._page(token)
        page.resident = change.resident
        page.said = (
            f"You accepted {page.handover.ref}. Here is who the resident is and how to "
            "contact them: note what you need now, as this page shows it only once."
        )
        self._seen(page, Access.DETAILS)
        return page

    def decline(self, token: str, *, reason: str, note: str) -> Page:
        page = self._page(token)
        try:
            self.handovers.decline(
                page.handover.id,
                card_provider=page.provider.id,
                actor_id=self._actor(page),
                reason=reason,
                note=note,
            )
        except DomainError as error:
            return self._refused(page, error)
        page.handover = self.handovers.handover(page.handover.id)
        page.said = f"You declined {page.handover.ref}. It has gone on; nothing more to do."
        return page

    def contact(self, token: str) -> Page:
        page = self._page(token)
        try:
            self.handovers.make_contact(
                page.handover.id, card_provider=page.provider.id, actor_id=self._actor(page)
            )
        except DomainError as error:
            return self._refused(page, error)
        page = self._page(token)
        page.said = "First contact recorded. Record the outcome when you know it."
        return page

    def outcome(self, token: str, *, outcome: str, note: str) -> Page:
        page = self._page(token)
        try:
            self.handovers.record_outcome(
                page.handover.id,
                card_provider=page.provider.id,
                actor_id=self._actor(page),
                outcome=outcome,
                note=note,
            )
        except DomainError as error:
            return self._refused(page, error)
        page = self._page(token)
        page.said = f"Outcome recorded: {page.handover.ref} is closed. Thank you."
        return page

    # -- the details again, with a one-time code --------------------------------------------

    def send_code(self, token: str) -> Page:
        page = self._page(token)
        if not self._worker_may_see(page):
            return self._refused(page, DomainError("There are no details to show here now."))
        entry = self.network.provider(page.provider.id)
        template = self.network.notify.templates.provider_email
        if self.notify is None or template is None or entry is None or not entry.email:
            return self._refused(page, DomainError("Codes cannot be sent now: ask the network."))
        with self.handovers.sessions() as session:
            try:
                code = self.codes.issue(session, page.handover.id, page.provider.id)
            except TooMany:
                return self._refused(
                    page, DomainError("Too many codes were asked for: try again in an hour.")
                )
            minutes = int(LIFETIME.total_seconds() // 60)
            message = mail.one_time_code(
                page.handover, code, minutes, self.links.url(page.handover, page.provider.id)
            )
            try:
                self.notify.send_email_notification(
                    email_address=entry.email,
                    template_id=template,
                    personalisation=message.fields(),
                )
            except Exception as error:
                log.warning("page: the code for %s did not go: %s", page.handover.ref, error)
                session.rollback()
                return self._refused(
                    page, DomainError("The code could not be sent just now: try again.")
                )
            session.commit()
        page.code_sent = True
        page.said = f"A code is on its way to {page.provider.name}'s e-mail address."
        return page

    def with_code(self, token: str, code: str) -> Page:
        page = self._page(token)
        if not self._worker_may_see(page):
            return self._refused(page, DomainError("There are no details to show here now."))
        with self.handovers.sessions() as session:
            right = self.codes.redeem(session, page.handover.id, page.provider.id, code)
            session.commit()
            resident = queries.get_resident(session=session, handover_id=page.handover.id)
        if not right:
            page.code_sent = True
            return self._refused(
                page,
                InvalidInput({CODE: "That code is wrong or has expired: check it, or ask again."}),
            )
        page.resident = resident
        page.said = "Here are the resident's details again."
        self._seen(page, Access.DETAILS)
        return page

    # -- shared -------------------------------------------------------------------------

    def _page(self, token: str) -> Page:
        claim = self.links.read(token)
        if claim is None:
            raise BadLink(gone=False)
        with self.handovers.sessions() as session:
            handover = queries.get_handover(session=session, handover_id=claim.handover_id)
            if handover is None:
                raise BadLink(gone=False)
            if not claim.holds_for(handover) or handover.state == State.WITHDRAWN:
                raise BadLink(gone=True)
            provider = queries.get_provider(session=session, provider_id=claim.provider_id)
            if provider is None:
                raise BadLink(gone=True)
            events = list(queries.events_of(session=session, handover_id=handover.id))
            return Page(token, handover, provider, events)

    def _actor(self, page: Page) -> str:
        return page_actor(page.provider.id)

    def _worker_may_see(self, page: Page) -> bool:
        handover = page.handover
        return (
            handover.state in (State.ACCEPTED, State.CONTACTED)
            and handover.worker_id == self._actor(page)
            and not handover.details_erased
        )

    def _refused(self, page: Page, error: DomainError) -> Page:
        fresh = self._page(page.token)
        fresh.code_sent = page.code_sent
        fresh.errors = {key: plain(text) for key, text in getattr(error, "errors", {}).items()}
        fresh.said = None if fresh.errors else plain(error.message)
        fresh.refused = True
        return fresh

    def _seen(self, page: Page, what: Access) -> None:
        self.audit.seen(page.handover.id, viewer_id=self._actor(page), what=what)
