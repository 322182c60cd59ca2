"""Telling people: the provider's card and its thread, the adviser's DMs, the coordinators.

The handover is already committed when these run, so a Slack failure loses no
handover; it is logged with the handover's reference. (A durable outbox that
retries is issue 6.)
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import Message, reminders
from bot.blocks.messages import (
    adviser_receipt,
    adviser_update,
    directory_suggestion,
    provider_card,
    thread_line,
    unmatched_card,
    worker_details,
)
from bot.followup import Due
from bot.handovers import Change, Handovers
from bot.network import Network
from bot.privacy import RETENTION, Erased, Privacy
from bot.reminders import Reminder
from bot.text import day
from storage.models import EventKind, Handover

log = logging.getLogger(__name__)


class Notifier:
    def __init__(
        self,
        *,
        client: WebClient,
        network: Network,
        handovers: Handovers,
        privacy: Privacy | None = None,
    ):
        self.client = client
        self.network = network
        self.handovers = handovers
        self.privacy = privacy

    def publish(self, change: Change) -> None:
        """Say everything this change means, to everyone who should hear it."""
        if change.repeated:
            return
        # Cards show the current state: render from a fresh read, not the change's snapshot,
        # so two changes told out of order still leave the card right.
        handover = self.handovers.handover(change.handover.id)
        if change.kind != EventKind.CREATED:
            self._update_card(handover, change)
        if change.kind == EventKind.ACCEPTED and change.actor_id:
            details = worker_details(handover, change.resident, self.network)
            shown = self._dm(change.actor_id, details)
            if shown and self.privacy is not None:
                # Remembered so that erasing the details can redact this message too.
                self.privacy.remember_shown(handover.id, channel=shown["channel"], ts=shown["ts"])
        if change.routed in (EventKind.ROUTED, EventKind.ROUTED_BY_HAND):
            self._post_card(handover)
        elif change.routed == EventKind.UNMATCHED:
            self._post_unmatched(handover)
        if change.kind == EventKind.ROUTED_BY_HAND or (
            change.kind == EventKind.WITHDRAWN and handover.coordinator_ts
        ):
            self._update_unmatched(handover, change)
        if change.suggestion is not None and change.previous is not None:
            hint = directory_suggestion(change.suggestion, change.previous, self.network)
            self._send(
                "chat_postMessage", handover, channel=self.network.coordinators.channel,
                **hint.as_kwargs(),
            )  # fmt: skip
        # The adviser last: by now the handover is wherever the DM says it is.
        if change.kind == EventKind.CREATED:
            self._receipt(handover, change)
        else:
            self._dm(handover.adviser_id, adviser_update(change, self.network))
            self._refresh_receipt(handover)

    # -- the provider's card ----------------------------------------------------------------

    def _post_card(self, handover: Handover) -> None:
        provider = self.handovers.provider(handover.provider_id)
        card = provider_card(
            handover, card_provider=provider.id, provider=provider, network=self.network
        )
        posted = self._send(
            "chat_postMessage", handover, channel=provider.channel, **card.as_kwargs()
        )
        if posted:
            self.handovers.remember_message(
                handover.id, card_channel=posted["channel"], card_ts=posted["ts"]
            )

    def _update_card(self, handover: Handover, change: Change) -> None:
        """Redraw the card the change happened on and add the event to its thread."""
        if not (change.handover.card_channel and change.handover.card_ts):
            return
        card_provider = change.previous.id if change.previous else handover.provider_id
        if card_provider is None:
            # Unmatched: the only card is an old one whose provider already declined.
            return
        current = self.handovers.provider(handover.provider_id)
        card = provider_card(
            handover,
            card_provider=card_provider,
            provider=current,
            network=self.network,
            left=change.kind,
        )
        channel, ts = change.handover.card_channel, change.handover.card_ts
        self._send("chat_update", handover, channel=channel, ts=ts, **card.as_kwargs())
        line = thread_line(change, self.network)
        self._send("chat_postMessage", handover, channel=channel, thread_ts=ts, **line.as_kwargs())

    # -- the adviser --------------------------------------------------------------------

    def _receipt(self, handover: Handover, change: Change) -> None:
        self._dm(handover.adviser_id, adviser_update(change, self.network))
        provider = self.handovers.provider(handover.provider_id)
        receipt = adviser_receipt(handover, provider, self.network)
        posted = self._dm(handover.adviser_id, receipt)
        if posted:
            self.handovers.remember_message(
                handover.id, adviser_dm_channel=posted["channel"], adviser_dm_ts=posted["ts"]
            )

    def _refresh_receipt(self, handover: Handover) -> None:
        if not (handover.adviser_dm_channel and handover.adviser_dm_ts):
            return
        provider = self.handovers.provider(handover.provider_id)
        receipt = adviser_receipt(handover, provider, self.network)
        self._send(
            "chat_update",
            handover,
            channel=handover.adviser_dm_channel,
            ts=handover.adviser_dm_ts,
            **receipt.as_kwargs(),
        )

    # -- the coordinators ---------------------------------------------------------------

    def _post_unmatched(self, handover: Handover) -> None:
        card = unmatched_card(
            handover, choices=self.handovers.route_choices(handover), network=self.network
        )
        channel = self.network.coordinators.channel
        posted = self._send("chat_postMessage", handover, channel=channel, **card.as_kwargs())
        if posted:
            self.handovers.remember_message(handover.id, coordinator_ts=posted["ts"])

    def _update_unmatched(self, handover: Handover, change: Change) -> None:
        ts = change.handover.coordinator_ts or handover.coordinator_ts
        if not ts:
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
        channel = self.network.coordinators.channel
        self._send("chat_update", handover, channel=channel, ts=ts, **card.as_kwargs())

    # -- reminders --------------------------------------------------------------------------

    def remind(self, reminder: Reminder) -> None:
        """Say one claimed reminder where it belongs."""
        handover, provider, kind = reminder.handover, reminder.provider, reminder.kind
        tz = self.network.network.timezone
        if provider is None:
            return
        if kind == Due.ACCEPT_REMINDER and handover.card_channel and handover.card_ts:
            waited = self.handovers.working_time.between(
                handover.routed_at or handover.created_at, self.handovers.clock.now()
            )
            message = reminders.accept_reminder(handover, provider, waited, self.network)
            self._send(
                "chat_postMessage", handover, channel=handover.card_channel,
                thread_ts=handover.card_ts, **message.as_kwargs(),
            )  # fmt: skip
        elif kind in (Due.CONTACT_NUDGE, Due.CONTACT_NUDGE_AGAIN) and handover.worker_id:
            again = kind == Due.CONTACT_NUDGE_AGAIN
            self._dm(handover.worker_id, reminders.contact_nudge(handover, provider, again))
        elif kind == Due.OUTCOME_ASK and handover.worker_id:
            self._dm(handover.worker_id, reminders.outcome_ask(handover, provider, tz))
        elif kind in (Due.ESCALATE, Due.CONTACT_ESCALATE):
            if kind == Due.ESCALATE:
                why = "not accepted in time"
                choices = self.handovers.route_choices(handover)
            else:
                why = (
                    f"no first contact recorded since {day(handover.promised_contact_by)}, "
                    "after two reminders"
                )
                choices = None
            card = reminders.escalation(
                handover, provider, why=why, choices=choices, network=self.network
            )
            self._send(
                "chat_postMessage", handover, channel=self.network.coordinators.channel,
                **card.as_kwargs(),
            )  # fmt: skip
            self._dm(handover.adviser_id, reminders.adviser_escalated(handover, provider, why))

    # -- erasure ----------------------------------------------------------------------------

    def redact(self, erased: Erased) -> None:
        """Replace the worker's DM that showed the details with a note that they are gone.

        The details are already erased; a message Slack will not update (deleted, the
        channel gone) is logged and left, never a reason to fail the erasure.
        """
        if not (erased.shown_channel and erased.shown_ts):
            return
        tz = ZoneInfo(self.network.network.timezone)
        when = erased.at.astimezone(tz).strftime("%-d %B %Y")
        why = "retention" if erased.why == RETENTION else "on request"
        text = f"Details for {erased.ref} were erased on {when} ({why})."
        try:
            # Blocks replace blocks: a text alone would leave the old blocks showing.
            blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"_{text}_"}}]
            self.client.chat_update(
                channel=erased.shown_channel, ts=erased.shown_ts, text=text, blocks=blocks
            )
        except SlackApiError as exc:
            log.warning(
                "Could not redact the details message for %s in %s: %s",
                erased.ref,
                erased.shown_channel,
                exc.response.get("error"),
            )

    # -- sending --------------------------------------------------------------------------

    def _dm(self, user_id: str, message: Message):
        return self._send("chat_postMessage", None, channel=user_id, **message.as_kwargs())

    def _send(self, method: str, handover: Handover | None, **kwargs):
        try:
            return getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            ref = handover.ref if handover else "-"
            log.error(
                "Slack refused %s for %s in %s: %s",
                method,
                ref,
                kwargs.get("channel"),
                exc.response.get("error"),
            )
            return None
