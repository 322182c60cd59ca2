"""Buttons and selects: on provider cards, in DMs, in App Home, in the coordinators' channel.

Each acknowledges at once (``acknowledged``), then does its work.
"""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.blocks.modals import (
    accept_modal,
    decline_modal,
    outcome_modal,
    refer_button_modal,
    referral_modal,
)
from bot.handover.access import Right
from bot.handover.lifecycle import Action
from bot.handover.payloads import CardRef, load_referral
from bot.ids import Act
from bot.services import Bot
from handlers.commands import open_referral
from handlers.deliveries import open_form
from handlers.errors import acknowledged
from handlers.events import publish_home


def _ref(action: dict) -> CardRef:
    option = action.get("selected_option")
    raw = action.get("value") or (option.get("value") if isinstance(option, dict) else None)
    return CardRef.load(raw)


def _open_from_card(
    bot: Bot, body: dict, action: dict, client: WebClient, what: Action, modal, **extra
) -> None:
    """Check the change could apply before asking anything; then open its modal."""
    ref = _ref(action)
    handover = bot.handovers.precheck(what, ref.h, card_provider=ref.p, actor_id=body["user"]["id"])
    view = modal(handover, provider_id=ref.p, **extra)
    open_form(client, body["trigger_id"], view)


@acknowledged
def accept(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    default = bot.handovers.default_contact_by()
    _open_from_card(bot, body, action, client, Action.ACCEPT, accept_modal, default_date=default)


@acknowledged
def decline(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    _open_from_card(bot, body, action, client, Action.DECLINE, decline_modal)


@acknowledged
def record_outcome(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    _open_from_card(bot, body, action, client, Action.CLOSE, outcome_modal)


@acknowledged
def made_contact(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    ref = _ref(action)
    bot.handovers.make_contact(ref.h, card_provider=ref.p, actor_id=body["user"]["id"])


@acknowledged
def withdraw(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    user_id = body["user"]["id"]
    bot.handovers.withdraw(_ref(action).h, actor_id=user_id)
    if (body.get("view") or {}).get("type") == "home":
        publish_home(bot, client, user_id)


@acknowledged
def route_by_hand(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    ref = _ref(action)
    bot.handovers.route_by_hand(ref.h, provider_id=ref.p or "", actor_id=body["user"]["id"])


@acknowledged
def edit_referral(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    """Back from 'where it goes' to the form, filled in as the adviser left it."""
    view = body.get("view") or {}
    draft = load_referral(view.get("private_metadata"))
    client.views_update(
        view_id=view.get("id"),
        hash=view.get("hash"),
        view=referral_modal(bot.network, draft=draft, messages=bot.residents.enabled),
    )


@acknowledged
def reopen(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    bot.handovers.reopen(_ref(action).h, actor_id=body["user"]["id"])


@acknowledged
def post_refer_button(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    """A coordinator, from App Home: choose where the Refer a resident button goes."""
    bot.handovers.access.require(body["user"]["id"], Right.REFER_BUTTON)
    open_form(client, body["trigger_id"], refer_button_modal())


@acknowledged
def new_from_home(bot: Bot, body: dict, action: dict, client: WebClient) -> None:
    open_referral(bot, client, body["trigger_id"], body["user"]["id"])


def register(app: App) -> None:
    app.action(Act.ACCEPT)(accept)
    app.action(Act.DECLINE)(decline)
    app.action(Act.OUTCOME)(record_outcome)
    app.action(Act.CONTACT)(made_contact)
    app.action(Act.WITHDRAW)(withdraw)
    app.action(Act.ROUTE)(route_by_hand)
    app.action(Act.OPEN_NEW)(new_from_home)
    app.action(Act.POST_REFER_BUTTON)(post_refer_button)
    app.action(Act.EDIT_REFERRAL)(edit_referral)
    app.action(Act.REOPEN)(reopen)
