"""A channel that refused the bot's messages is fixed: what waited for it goes now."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.handover.access import Right
from bot.ids import Act
from bot.services import Bot
from handlers.errors import acknowledged


@acknowledged
def try_again(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    """A coordinator's "Try again" on a delivery problem notice."""
    user_id = body["user"]["id"]
    bot.handovers.access.require(user_id, Right.RETRY_DELIVERY)
    channel = str(action.get("value") or "")[:32]
    released = bot.outbox.release(channel)
    said = (
        f"Trying again: {released} held message(s) for <#{channel}> are on their way."
        if released
        else "Nothing is waiting for that channel any more."
    )
    client.chat_postEphemeral(channel=body["channel"]["id"], user=user_id, text=said)


def bot_joined(event: dict, context) -> None:
    """The bot was invited (back) into a channel: anything held for it goes."""
    if event.get("user") == context.get("bot_user_id"):
        context["bot"].outbox.release(event.get("channel", ""))


def unarchived(event: dict, context) -> None:
    context["bot"].outbox.release(event.get("channel", ""))


def register(app: App) -> None:
    app.action(Act.RETRY_DELIVERY)(try_again)
    app.event("member_joined_channel")(bot_joined)
    app.event("channel_unarchive")(unarchived)
    app.event("group_unarchive")(unarchived)
