"""Modal submissions: the referral, accept, decline, record outcome."""

from __future__ import annotations

from datetime import date

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.app import Bot
from bot.blocks.modals import accepted_modal, notice_modal
from bot.errors import InvalidInput
from bot.ids import Block, Callback
from bot.payloads import ModalMeta
from bot.referral import ReferralForm, check_referral
from bot.text import escape
from handlers import values
from handlers.errors import after_ack


def submit_referral(
    ack: Ack, body: dict, view: dict, client: WebClient, respond: Respond, context
) -> None:
    bot: Bot = context["bot"]
    form = ReferralForm(
        needs=values.choices(view, Block.NEEDS),
        name=values.text(view, Block.NAME),
        phone=values.text(view, Block.PHONE),
        email=values.text(view, Block.EMAIL),
        district=values.text(view, Block.DISTRICT),
        age_band=values.text(view, Block.AGE_BAND),
        language=values.text(view, Block.LANGUAGE),
        access_needs=values.text(view, Block.ACCESS_NEEDS),
        urgency=values.text(view, Block.URGENCY),
        context=values.text(view, Block.CONTEXT),
        organisation=values.text(view, Block.ORGANISATION),
        consent="yes" in values.choices(view, Block.CONSENT),
    )
    referral = check_referral(form, bot.network)
    change = bot.handovers.raise_handover(
        referral, adviser_id=body["user"]["id"], request_key=view.get("id")
    )
    handover = change.handover
    if change.provider:
        said = (
            f"*{handover.ref}* is on its way to *{escape(change.provider.name)}*. "
            "You'll get a DM at each step."
        )
    else:
        said = (
            f"*{handover.ref}* is raised. No provider matched, so the coordinators will route "
            "it by hand. You'll get a DM at each step."
        )
    ack(response_action="update", view=notice_modal(f"{handover.ref} sent", said))
    with after_ack(body, client, respond):
        bot.notifier.publish(change)


def submit_accept(
    ack: Ack, body: dict, view: dict, client: WebClient, respond: Respond, context
) -> None:
    bot: Bot = context["bot"]
    meta = ModalMeta.load(view.get("private_metadata"))
    contact_by = _date(values.text(view, Block.CONTACT_BY))
    change = bot.handovers.accept(
        meta.h, card_provider=meta.p, actor_id=body["user"]["id"], contact_by=contact_by
    )
    modal = accepted_modal(change.handover, change.resident, bot.network.network.timezone)
    ack(response_action="update", view=modal)
    with after_ack(body, client, respond):
        bot.notifier.publish(change)


def submit_decline(
    ack: Ack, body: dict, view: dict, client: WebClient, respond: Respond, context
) -> None:
    bot: Bot = context["bot"]
    meta = ModalMeta.load(view.get("private_metadata"))
    change = bot.handovers.decline(
        meta.h,
        card_provider=meta.p,
        actor_id=body["user"]["id"],
        reason=values.text(view, Block.REASON),
        note=values.text(view, Block.REASON_NOTE),
    )
    ack()
    with after_ack(body, client, respond):
        bot.notifier.publish(change)


def submit_outcome(
    ack: Ack, body: dict, view: dict, client: WebClient, respond: Respond, context
) -> None:
    bot: Bot = context["bot"]
    meta = ModalMeta.load(view.get("private_metadata"))
    change = bot.handovers.record_outcome(
        meta.h,
        card_provider=meta.p,
        actor_id=body["user"]["id"],
        outcome=values.text(view, Block.OUTCOME),
        note=values.text(view, Block.OUTCOME_NOTE),
    )
    ack()
    with after_ack(body, client, respond):
        bot.notifier.publish(change)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput({Block.CONTACT_BY: "Choose a date."}) from None


def register(app: App) -> None:
    app.view(Callback.NEW_HANDOVER)(submit_referral)
    app.view(Callback.ACCEPT)(submit_accept)
    app.view(Callback.DECLINE)(submit_decline)
    app.view(Callback.OUTCOME)(submit_outcome)
