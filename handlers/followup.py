"""Follow-up from Slack: snooze a first-contact nudge, chase a provider (coordinators)."""

from __future__ import annotations

import re

from slack_bolt import App
from slack_sdk import WebClient

from bot.blocks.reminders import snoozed
from bot.handover.payloads import CardRef
from bot.ids import Act
from bot.services import Bot
from bot.text import escape
from handlers.errors import acknowledged


@acknowledged
def snooze(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    ref = CardRef.load(action.get("value"))
    asked = ref.p or "1"
    days = int(asked) if asked.isascii() and asked.isdigit() else 0  # refused: 1 or 3 only
    handover = bot.chaser.snooze(ref.h, actor_id=body["user"]["id"], days=days)
    text = snoozed(handover, handover.due_at, bot.network.network.timezone)
    client.chat_postMessage(channel=body["user"]["id"], text=f":zzz: {text}")


@acknowledged
def chase(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    reminder = bot.chaser.chase(CardRef.load(action.get("value")).h, actor_id=body["user"]["id"])
    who = escape(reminder.provider.name) if reminder.provider else "the provider"
    client.chat_postMessage(
        channel=body["user"]["id"], text=f"Chased {who} about {reminder.handover.ref}."
    )


def register(app: App) -> None:
    app.action(re.compile(rf"^{re.escape(Act.SNOOZE)}\.\d$"))(snooze)
    app.action(Act.CHASE)(chase)
