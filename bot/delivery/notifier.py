"""Telling people: the provider's card and its thread, the adviser's DMs, the coordinators.

Nothing here calls Slack. Each change's messages are written to the outbox in the
change's own transaction (``publish`` is called by the Handovers service before it
commits), and the outbox delivers them: retried, paced, in order, once (bot/delivery/outbox.py).
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.blocks import Message, reminders
from bot.blocks.directory import capacity_notice
from bot.blocks.messages import (
    adviser_receipt,
    adviser_update,
    delivery_problem,
    directory_suggestion,
    provider_card,
    refer_button,
    thread_line,
    unmatched_card,
    worker_details,
)
from bot.byemail import mail
from bot.byemail.writer import ProviderMail
from bot.delivery.outbox import Outbox, Ref
from bot.directory.network import Network
from bot.followup.due import Due
from bot.followup.reminders import Reminder
from bot.handover.access import Right, is_page_actor
from bot.handover.handovers import Change, Handovers
from bot.privacy.erasure import RETENTION, Erased
from bot.text import day
from storage import queries
from storage.models import EventKind, Handover, OutboxMessage, Provider, format_ref

log = logging.getLogger(__name__)

CARD = Ref(slot="card")
RECEIPT = Ref(slot="receipt")
UNMATCHED = Ref(slot="unmatched")


class Notifier:
    def __init__(
        self,
        *,
        outbox: Outbox,
        network: Network,
        handovers: Handovers,
        mail: ProviderMail | None = None,
    ):
        self.outbox = outbox
        self.network = network
        self.handovers = handovers
        # The e-mails of providers without Slack (bot/byemail), where Slack has the card.
        self.mail = mail
        outbox.on_refused = self.refused

    def publish(self, session: Session, change: Change) -> None:
        """Write everything this change means, for everyone who should hear it, into the
        outbox, in the change's transaction."""
        if change.repeated:
            return
        handover = change.handover
        if change.kind != EventKind.CREATED:
            self._update_card(session, handover, change)
        if (
            change.kind == EventKind.ACCEPTED
            and change.actor_id
            and not is_page_actor(change.actor_id)
        ):  # a worker on the handover's page sees the details there
            details = worker_details(handover, change.resident, self.network)
            self.outbox.post(
                session, change.actor_id, details, handover_id=handover.id, slot="details"
            )
        if change.routed in (EventKind.ROUTED, EventKind.ROUTED_BY_HAND):
            self._post_card(session, handover)
        elif change.routed == EventKind.UNMATCHED:
            self._post_unmatched(session, handover)
        if change.kind in (EventKind.ROUTED_BY_HAND, EventKind.WITHDRAWN):
            self._update_unmatched(session, handover, change)
        if change.suggestion is not None and change.previous is not None:
            hint = directory_suggestion(change.suggestion, change.previous, self.network)
            self.outbox.post(session, self.network.coordinators.channel, hint)
        # The adviser last: by then the handover is wherever the DM says it is.
        adviser = handover.adviser_id
        update = adviser_update(change, self.network)
        self.outbox.post(session, adviser, update, handover_id=handover.id)
        if change.kind == EventKind.CREATED:
            receipt = self._receipt(session, handover)
            self.outbox.post(session, adviser, receipt, handover_id=handover.id, slot="receipt")
        elif self.outbox.has(session, handover, "receipt", adviser):
            receipt = self._receipt(session, handover)
            self.outbox.update(session, adviser, receipt, of=RECEIPT, handover_id=handover.id)

    # -- the provider's card ----------------------------------------------------------------

    def _post_card(self, session: Session, handover: Handover) -> None:
        provider = self._provider(session, handover)
        if provider.channel:
            card = provider_card(
                handover, card_provider=provider.id, provider=provider, network=self.network
            )
            self.outbox.post(session, provider.channel, card, handover_id=handover.id, slot="card")
        if self._by_mail(provider):
            self.mail.card(session, handover, provider)

    def _update_card(self, session: Session, handover: Handover, change: Change) -> None:
        """Redraw the card the change happened on and add the event to its thread."""
        card_provider = change.previous if change.previous else self._provider(session, handover)
        if card_provider is None:
            # Unmatched: the only card is an old one whose provider already declined.
            return
        self._mail_if_left(session, handover, card_provider, change)
        channel = card_provider.channel
        if not channel or not self.outbox.has(session, handover, "card", channel):
            return
        card = provider_card(
            handover,
            card_provider=card_provider.id,
            provider=self._provider(session, handover),
            network=self.network,
            left=change.kind,
        )
        self.outbox.update(session, channel, card, of=CARD, handover_id=handover.id)
        line = thread_line(change, self.network)
        self.outbox.post(session, channel, line, handover_id=handover.id, thread=CARD)

    def _mail_if_left(self, session, handover: Handover, provider: Provider, change) -> None:
        """A provider without Slack hears that a handover left it, unless it did the leaving
        itself (a decline from its page): its link no longer works."""
        if not self._by_mail(provider) or not self.mail.has_card(session, handover, provider):
            return
        if is_page_actor(change.actor_id):
            return
        why = {
            EventKind.WITHDRAWN: "the adviser withdrew it",
            EventKind.ROUTED_BY_HAND: "a coordinator moved it to another provider",
            EventKind.REOPENED: "a coordinator re-opened it, to route it again",
        }.get(change.kind)
        if change.kind == EventKind.ROUTED_BY_HAND and handover.provider_id == provider.id:
            return  # routed here, not away
        if why is not None:
            self.mail.write(session, handover, provider, "left", mail.left(handover, provider, why))

    def _by_mail(self, provider: Provider | None) -> bool:
        return self.mail is not None and self.mail.reaches(provider)

    def channels_moved(self, moved: dict[str, tuple[str, str]]) -> None:
        """Providers whose channel the network file changed: waiting messages go to the new
        channel, and each open handover's card is posted there again (the old one may be
        in a channel nobody reads, archived, or gone)."""
        with self.handovers.sessions() as session:
            for provider_id, (old, new) in moved.items():
                self.outbox.retarget(session, old, new)
                session.flush()
                for handover in queries.queue_of(
                    session=session, provider_ids=[provider_id], limit=100_000
                ):
                    if self.outbox.has(session, handover, "card", new):
                        continue  # its card was waiting, and now goes to the new channel
                    if self.outbox.has(session, handover, "card", old):
                        self._post_card(session, handover)
            session.commit()
        self.outbox.kick()

    def post_refer_button(self, channel: str, actor_id: str) -> None:
        """A coordinator puts a Refer a resident button in a channel (a Slack Connect one,
        say, where other workspaces' people cannot use the slash command)."""
        self.handovers.access.require(actor_id, Right.REFER_BUTTON)
        with self.handovers.sessions() as session:
            self.outbox.post(session, channel, refer_button(self.network.network.name))
            session.commit()
        if self.handovers.committed is not None:
            self.handovers.committed()

    # -- the coordinators ---------------------------------------------------------------

    def _post_unmatched(self, session: Session, handover: Handover) -> None:
        card = unmatched_card(
            handover,
            choices=self.handovers.route_choices(handover, session=session),
            network=self.network,
        )
        channel = self.network.coordinators.channel
        self.outbox.post(session, channel, card, handover_id=handover.id, slot="unmatched")

    def _update_unmatched(self, session: Session, handover: Handover, change: Change) -> None:
        channel = self.network.coordinators.channel
        if not self.outbox.has(session, handover, "unmatched", channel):
            return
        who = f"<@{change.actor_id}>" if change.actor_id else "The bot"
        verb = "routed it by hand" if change.kind == EventKind.ROUTED_BY_HAND else "withdrew it"
        card = unmatched_card(
            handover,
            choices=None,
            network=self.network,
            routed_to=change.provider if change.kind == EventKind.ROUTED_BY_HAND else None,
            note=f"{who} {verb}.",
        )
        self.outbox.update(session, channel, card, of=UNMATCHED, handover_id=handover.id)

    def refused(self, session: Session, row: OutboxMessage, error: str, held: bool) -> None:
        """A message could not go: the coordinators hear once, with the handover safe."""
        if row.channel == self.network.coordinators.channel:
            return  # their own channel is the one refused: logged, nowhere to tell them
        ref = format_ref(row.handover_id) if row.handover_id else None
        notice = delivery_problem(channel=row.channel, error=error, ref=ref, held=held)
        self.outbox.post(session, self.network.coordinators.channel, notice)

    def capacity_changed(self, session: Session, provider: Provider, actor_id: str) -> None:
        """The provider's channel hears that its capacity changed, and who changed it."""
        if provider.channel:
            notice = capacity_notice(provider, actor_id, provider.paused_until)
            self.outbox.post(session, provider.channel, notice)

    # -- reminders --------------------------------------------------------------------------

    def remind(self, session: Session, reminder: Reminder) -> None:
        """Write one claimed reminder where it belongs, in the claim's transaction."""
        handover, provider, kind = reminder.handover, reminder.provider, reminder.kind
        tz = self.network.network.timezone
        if provider is None:
            return
        by_page = is_page_actor(handover.worker_id) and self._by_mail(provider)
        link = self.mail.link(handover, provider) if self._by_mail(provider) else ""
        if kind == Due.ACCEPT_REMINDER:
            waited = self.handovers.working_time.between(
                handover.routed_at or handover.created_at, self.handovers.clock.now()
            )
            if self._by_mail(provider) and self.mail.has_card(session, handover, provider):
                words = reminders.working_hours(waited)
                self.mail.write(session, handover, provider, "accept_reminder",
                                mail.accept_reminder(handover, provider, words, link))  # fmt: skip
            if not provider.channel or not self.outbox.has(
                session, handover, "card", provider.channel
            ):
                return
            message = reminders.accept_reminder(handover, provider, waited, self.network)
            self.outbox.post(
                session, provider.channel, message, handover_id=handover.id, thread=CARD
            )
        elif kind in (Due.CONTACT_NUDGE, Due.CONTACT_NUDGE_AGAIN) and by_page:
            again = kind == Due.CONTACT_NUDGE_AGAIN
            self.mail.write(session, handover, provider, "contact_nudge",
                            mail.contact_nudge(handover, again, link))  # fmt: skip
        elif kind in (Due.CONTACT_NUDGE, Due.CONTACT_NUDGE_AGAIN) and handover.worker_id:
            again = kind == Due.CONTACT_NUDGE_AGAIN
            self._dm(session, handover, handover.worker_id,
                     reminders.contact_nudge(handover, provider, again))  # fmt: skip
        elif kind == Due.OUTCOME_ASK and by_page:
            self.mail.write(session, handover, provider, "outcome_ask",
                            mail.outcome_ask(handover, link))  # fmt: skip
        elif kind == Due.OUTCOME_ASK and handover.worker_id:
            self._dm(session, handover, handover.worker_id,
                     reminders.outcome_ask(handover, provider, tz))  # fmt: skip
        elif kind in (Due.ESCALATE, Due.CONTACT_ESCALATE):
            if kind == Due.ESCALATE:
                why = "not accepted in time"
                choices = self.handovers.route_choices(handover, session=session)
            else:
                why = (
                    f"no first contact recorded since {day(handover.promised_contact_by)}, "
                    "after two reminders"
                )
                choices = None
            card = reminders.escalation(
                handover, provider, why=why, choices=choices, network=self.network
            )
            self.outbox.post(
                session, self.network.coordinators.channel, card, handover_id=handover.id
            )
            self._dm(session, handover, handover.adviser_id,
                     reminders.adviser_escalated(handover, provider, why))  # fmt: skip
            if self._by_mail(provider):
                self.mail.write(session, handover, provider, "escalated",
                                mail.escalated(handover, why, link))  # fmt: skip

    # -- erasure ----------------------------------------------------------------------------

    def redact(self, session: Session, erased: Erased) -> None:
        """Replace the worker's DM that showed the details with a note that they are gone,
        and make sure details not yet sent never go."""
        self.outbox.cancel_details(session, [erased.handover_id])
        if not (erased.shown_channel and erased.shown_ts):
            return
        tz = ZoneInfo(self.network.network.timezone)
        when = erased.at.astimezone(tz).strftime("%-d %B %Y")
        why = "retention" if erased.why == RETENTION else "on request"
        text = f"Details for {erased.ref} were erased on {when} ({why})."
        # Blocks replace blocks: a text alone would leave the old blocks showing.
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"_{text}_"}}]
        self.outbox.update(
            session,
            erased.shown_channel,
            Message(text=text, blocks=blocks),
            of=Ref(ts=erased.shown_ts),
            handover_id=erased.handover_id,
        )

    # -- helpers ----------------------------------------------------------------------------

    def _dm(self, session: Session, handover: Handover, user_id: str, message: Message) -> None:
        self.outbox.post(session, user_id, message, handover_id=handover.id)

    def _receipt(self, session: Session, handover: Handover) -> Message:
        provider = self._provider(session, handover)
        return adviser_receipt(handover, provider, self.network)

    def _provider(self, session: Session, handover: Handover):
        if handover.provider_id is None:
            return None
        return queries.get_provider(session=session, provider_id=handover.provider_id)
