"""Modal submissions: the referral, accept, decline, record outcome."""

from __future__ import annotations

from datetime import date

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.duplicates import STOP, acknowledged
from bot.blocks.modals import accepted_modal, choice_modal, notice_modal
from bot.errors import DomainError, InvalidInput, Refused
from bot.handover.duplicates import acknowledged_ids, unacknowledged
from bot.handover.payloads import ModalMeta, load_referral
from bot.handover.referral import NO_CONSENT, Referral, ReferralForm, check_referral
from bot.ids import Block, Callback
from bot.services import Bot
from bot.text import escape, typed
from handlers import values
from storage.models import Access


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
        circumstances=values.choices(view, Block.CIRCUMSTANCES),
        contact_by=values.text(view, Block.HEAR_BY),
    )
    referral = check_referral(form, bot.network, messages=bot.residents.enabled)
    suggestions = bot.handovers.suggest(referral)
    earlier = bot.handovers.earlier_handovers(referral, user_id=body["user"]["id"])
    view = choice_modal(referral, suggestions, bot.network, earlier=earlier)
    ack(response_action="update", view=view)


def submit_choice(
    ack: Ack, body: dict, view: dict, client: WebClient, respond: Respond, context
) -> None:
    """Step two: send it where the adviser chose, or where the network decides, or split."""
    bot: Bot = context["bot"]
    referral = recheck(load_referral(view.get("private_metadata")), bot)
    adviser_id, key = body["user"]["id"], view.get("id") or ""
    answer = values.text(view, Block.DUPLICATE)
    if answer == STOP:
        ack(response_action="clear")  # the adviser stopped: nothing is stored or sent
        return
    # Again at Send: another adviser may have referred the same resident since Next.
    earlier = bot.handovers.earlier_handovers(referral, user_id=adviser_id, request_key=key)
    seen = acknowledged(answer)
    if earlier and (seen is None or unacknowledged(earlier, seen)):
        warned = Block.DUPLICATE in ((view.get("state") or {}).get("values") or {})
        again = choice_modal(
            referral,
            bot.handovers.suggest(referral),
            bot.network,
            earlier=earlier,
            again=seen is not None or not warned,
        )
        ack(response_action="update", view=again)
        return
    duplicate_of = acknowledged_ids(earlier)
    # From another organisation's workspace (a Slack Connect channel's Refer button).
    team = body["user"].get("team_id") or (body.get("team") or {}).get("id")
    home = getattr(context.get("authorize_result"), "team_id", None)  # the bot's workspace
    adviser_team = team if team and home and team != home else None
    choice = values.text(view, Block.DESTINATION)
    plan = bot.handovers.suggest(referral).split if choice == "split" else None
    if plan is not None:
        changes = bot.handovers.raise_split(
            referral,
            adviser_id=adviser_id,
            request_key=key,
            plan=plan,
            duplicate_of=duplicate_of,
            adviser_team=adviser_team,
        )
    else:
        prefer = choice.removeprefix("provider:") if choice.startswith("provider:") else None
        changes = [
            bot.handovers.raise_handover(
                referral,
                adviser_id=adviser_id,
                request_key=key,
                prefer=prefer,
                duplicate_of=duplicate_of,
                adviser_team=adviser_team,
            )
        ]
    ack(response_action="update", view=sent_modal(changes))


def recheck(referral: Referral, bot: Bot) -> Referral:
    """What came back through Slack is checked again before anything is stored."""
    form = ReferralForm(
        needs=list(referral.needs),
        name=typed(referral.name),
        phone=typed(referral.phone or ""),
        email=typed(referral.email or ""),
        district=typed(referral.district or ""),
        age_band=typed(referral.age_band or ""),
        language=typed(referral.language or ""),
        access_needs=typed(referral.access_needs or ""),
        urgency=referral.urgency,
        context=typed(referral.context),
        organisation=typed(referral.organisation),
        consent=referral.consent,
        circumstances=[typed(key) for key in referral.circumstances],
        contact_by=typed(referral.contact_by or ("" if not bot.residents.enabled else "none")),
    )
    if not referral.consent:
        # The form itself asks for consent; only a damaged or forged submission lacks it.
        raise Refused(NO_CONSENT)
    try:
        return check_referral(form, bot.network, messages=bot.residents.enabled)
    except InvalidInput:
        # The form's own checks passed in step one: this came back altered.
        raise DomainError(
            "That form is out of date or damaged: start again with /handover."
        ) from None


def sent_modal(changes) -> dict:
    lines = []
    for change in changes:
        handover = change.handover
        where = escape(change.provider.name) if change.provider else "the coordinators"
        lines.append(f"*{handover.ref}* is on its way to *{where}*.")
    said = "\n".join(lines) + "\nYou'll get a DM at each step."
    refs = ", ".join(change.handover.ref for change in changes)
    return notice_modal(f"{refs} sent", said)


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
    # The details were in the modal just acknowledged and in the DM on its way.
    bot.audit.seen(change.handover.id, viewer_id=body["user"]["id"], what=Access.DETAILS)


def submit_decline(
    ack: Ack, body: dict, view: dict, client: WebClient, respond: Respond, context
) -> None:
    bot: Bot = context["bot"]
    meta = ModalMeta.load(view.get("private_metadata"))
    bot.handovers.decline(
        meta.h,
        card_provider=meta.p,
        actor_id=body["user"]["id"],
        reason=values.text(view, Block.REASON),
        note=values.text(view, Block.REASON_NOTE),
    )
    ack()


def submit_outcome(
    ack: Ack, body: dict, view: dict, client: WebClient, respond: Respond, context
) -> None:
    bot: Bot = context["bot"]
    meta = ModalMeta.load(view.get("private_metadata"))
    bot.handovers.record_outcome(
        meta.h,
        card_provider=meta.p,
        actor_id=body["user"]["id"],
        outcome=values.text(view, Block.OUTCOME),
        note=values.text(view, Block.OUTCOME_NOTE),
    )
    ack()


def submit_refer_button(
    ack: Ack, body: dict, view: dict, client: WebClient, respond: Respond, context
) -> None:
    bot: Bot = context["bot"]
    channel = values.text(view, Block.REFER_CHANNEL)
    if not channel:
        raise InvalidInput({Block.REFER_CHANNEL: "Choose the channel."})
    bot.notifier.post_refer_button(channel, body["user"]["id"])
    said = (
        f"A *Refer a resident* button is on its way to <#{channel}>. If the bot is not in "
        "that channel, invite it: the coordinators' channel will say it could not be sent."
    )
    ack(response_action="update", view=notice_modal("Button posted", said))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput({Block.CONTACT_BY: "Choose a date."}) from None


def register(app: App) -> None:
    app.view(Callback.NEW_HANDOVER)(submit_referral)
    app.view(Callback.CHOOSE)(submit_choice)
    app.view(Callback.ACCEPT)(submit_accept)
    app.view(Callback.DECLINE)(submit_decline)
    app.view(Callback.OUTCOME)(submit_outcome)
    app.view(Callback.REFER_BUTTON)(submit_refer_button)
