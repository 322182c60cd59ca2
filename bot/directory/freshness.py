"""Telling providers about their directory entry: the nudge to confirm it, and the nudge
updated in place once someone has.

The confirmation is already committed when these run, so a Slack failure loses no
confirmation; it is logged with the provider's id.
"""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.directory import confirm_nudge, confirmed_nudge
from bot.delivery.outbox import Outbox, nudge_slot
from bot.directory.network import Network
from bot.directory.providers import Confirmation, Directory

log = logging.getLogger(__name__)


class FreshnessNotifier:
    def __init__(
        self, *, client: WebClient, network: Network, directory: Directory, outbox: Outbox
    ):
        self.client = client
        self.network = network
        self.directory = directory
        self.outbox = outbox

    def nudge_due(self, now: datetime) -> int:
        """The scheduler's due-check: one nudge in its own channel for each provider due."""
        nudged = 0
        for provider in self.directory.nudges_due(now):
            if not provider.channel:
                continue  # a provider without Slack: the coordinators keep its entry fresh
            message = confirm_nudge(provider, self.network, self.directory.capacity(provider))

            def say(session, provider=provider, message=message) -> None:
                self.outbox.post(session, provider.channel, message, slot=nudge_slot(provider))

            # False: another tick, or another copy of the bot, has it.
            nudged += self.directory.claim_nudge(provider, now, say)
        if nudged:
            self.outbox.kick()
        return nudged

    def show_confirmed(
        self, confirmation: Confirmation, *, clicked: tuple[str, str] | None = None
    ) -> None:
        """Update the nudge it answered (and the message clicked, if another) in place."""
        provider = confirmation.provider
        places = set()
        if confirmation.nudge_ts:
            places.add((provider.channel, confirmation.nudge_ts))
        if clicked:
            places.add(clicked)
        if not places:
            return
        message = confirmed_nudge(provider, self.network, self.directory.capacity(provider))
        for channel, ts in sorted(places):
            try:
                self.client.chat_update(channel=channel, ts=ts, **message.as_kwargs())
            except SlackApiError as exc:
                # Deleted, or too old to edit: the confirmation itself stands.
                log.warning(
                    "could not update the directory nudge for %s in %s: %s",
                    provider.id,
                    channel,
                    exc.response.get("error"),
                )
