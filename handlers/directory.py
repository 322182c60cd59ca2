"""The directory from Slack: set a provider's capacity (App Home button, /handover capacity),
and confirm its entry is still right (the nudge in its channel, or its queue in App Home)."""

from __future__ import annotations

from datetime import date

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.directory import capacity_modal, confirmed_reply
from bot.blocks.modals import notice_modal
from bot.directory.providers import ConfirmRef
from bot.errors import DomainError, InvalidInput
from bot.ids import Act, Block, Callback
from bot.services import Bot
from bot.text import escape
from handlers import values
from handlers.errors import acknowledged, after_ack
from handlers.events import publish_home


def open_capacity(bot: Bot, client: WebClient, trigger_id: str, user_id: str, chosen: str = ""):
    providers = bot.directory.settable_by(user_id)
    if not providers:
        raise DomainError(
            "You are not in any provider's handover channel, so there is no capacity for you "
            "to set. Coordinators can set any provider's."
        )
    provider = next((p for p in providers if p.id == chosen), providers[0])
    view = capacity_modal(providers, chosen=provider, capacity=bot.directory.capacity(provider))
    client.views_open(trigger_id=trigger_id, view=view)


@acknowledged
def set_capacity_button(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    open_capacity(bot, client, body["trigger_id"], body["user"]["id"], action.get("value") or "")


@acknowledged
def confirm_details(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    user_id = body["user"]["id"]
    ref = ConfirmRef.load(action.get("value"))
    confirmation = bot.directory.confirm(ref.p, actor_id=user_id, seen=ref.c)
    container = body.get("container") or {}
    clicked = None
    if container.get("type") == "message":
        clicked = (container["channel_id"], container["message_ts"])
    bot.freshness.show_confirmed(confirmation, clicked=clicked)
    if clicked:
        said = confirmed_reply(confirmation, bot.network.network.timezone)
        client.chat_postEphemeral(channel=clicked[0], user=user_id, text=said)
    else:
        publish_home(bot, client, user_id)  # the queue now says when it was confirmed


def submit_capacity(
    ack: Ack, body: dict, view: dict, client: WebClient, respond: Respond, context
) -> None:
    bot: Bot = context["bot"]
    user_id = body["user"]["id"]
    until = values.text(view, Block.PAUSED_UNTIL)
    provider = bot.directory.set_capacity(
        values.text(view, Block.PROVIDER),
        actor_id=user_id,
        capacity=values.text(view, Block.CAPACITY),
        until=_date(until) if until else None,
        reason=values.text(view, Block.CAPACITY_REASON),
    )
    said = f"*{escape(provider.name)}* is now {provider.capacity}. Its channel has been told."
    ack(response_action="update", view=notice_modal("Capacity saved", said))
    with after_ack(body, client, respond):
        publish_home(bot, client, user_id)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput({Block.PAUSED_UNTIL: "Choose a date."}) from None


def register(app: App) -> None:
    app.action(Act.SET_CAPACITY)(set_capacity_button)
    app.action(Act.CONFIRM_DETAILS)(confirm_details)
    app.view(Callback.CAPACITY)(submit_capacity)
