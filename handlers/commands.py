"""``/handover`` and its sub-commands."""

from __future__ import annotations

import re

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.modals import referral_modal
from bot.blocks.replies import help_message, mine_message, providers_message, status_message
from bot.errors import DomainError
from bot.handover.access import Right
from bot.ids import COMMAND
from bot.privacy.audit import USAGE as AUDIT_USAGE
from bot.privacy.audit import WITH_DETAILS
from bot.services import Bot
from bot.text import escape, parse_ref, typed
from handlers.deliveries import open_form
from handlers.errors import DAMAGED, after_ack
from storage.models import Access


def open_referral(bot: Bot, client: WebClient, trigger_id: str, user_id: str) -> None:
    organisation = bot.handovers.last_organisation(user_id)
    open_form(
        client,
        trigger_id,
        referral_modal(bot.network, organisation=organisation, messages=bot.residents.enabled),
    )


def handover(ack: Ack, command: dict, body: dict, respond: Respond, client: WebClient, context):
    bot: Bot = context["bot"]
    words = typed(command.get("text") or "").split()
    verb = words[0].lower() if words else ""
    if verb == "help":
        ack(**help_message().as_kwargs(), response_type="ephemeral")
        return
    if verb not in _VERBS:
        unknown = f"I don't know `{COMMAND} {escape(verb[:30])}`."
        ack(**help_message(unknown).as_kwargs(), response_type="ephemeral")
        return
    ack()
    with after_ack(body, client, respond):
        _VERBS[verb](bot, command, words[1:], respond, client)


def _trigger(command: dict) -> str:
    """What Slack needs to open a modal; every real command has one."""
    if not isinstance(command.get("trigger_id"), str):
        raise DomainError(DAMAGED)
    return command["trigger_id"]


def _open(bot: Bot, command: dict, args: list[str], respond: Respond, client: WebClient) -> None:
    open_referral(bot, client, _trigger(command), command["user_id"])


def _status(bot: Bot, command: dict, args: list[str], respond: Respond, client: WebClient):
    if not args:
        raise DomainError(f"Say which handover: `{COMMAND} status HO-0042`.")
    status = bot.handovers.status(parse_ref(args[0]), user_id=command["user_id"])
    reopenable = bot.handovers.access.may(command["user_id"], Right.REOPEN)
    reply = status_message(status, bot.network, can_reopen=reopenable)
    respond(**reply.as_kwargs(), response_type="ephemeral")
    bot.audit.seen(status.handover.id, viewer_id=command["user_id"], what=Access.STATUS)


def _mine(bot: Bot, command: dict, args: list[str], respond: Respond, client: WebClient) -> None:
    rows = bot.handovers.open_for_adviser(command["user_id"])
    respond(**mine_message(rows, bot.network).as_kwargs(), response_type="ephemeral")


def _providers(bot: Bot, command: dict, args: list[str], respond: Respond, client: WebClient):
    need = args[0].lower() if args else None
    providers = bot.handovers.all_providers()
    capacities = {p.id: bot.directory.capacity(p) for p in providers}
    reply = providers_message(providers, bot.network, need, capacities)
    respond(**reply.as_kwargs(), response_type="ephemeral")


def _reopen(bot: Bot, command: dict, args: list[str], respond: Respond, client: WebClient):
    if not args:
        raise DomainError(f"Say which handover: `{COMMAND} reopen HO-0042 [why]`.")
    change = bot.handovers.reopen(
        parse_ref(args[0]), actor_id=command["user_id"], reason=" ".join(args[1:])
    )
    respond(
        text=f"{change.handover.ref} is re-opened: it is in the coordinators' channel to route.",
        response_type="ephemeral",
    )


def _digest(bot: Bot, command: dict, args: list[str], respond: Respond, client: WebClient):
    bot.handovers.access.require(command["user_id"], Right.DIGEST)
    # One reply, when it is done: Slack cannot replace a command's earlier reply, so a
    # "working on it" note would stay on screen after the digest had arrived.
    bot.weekly.on_demand(bot.clock.now())
    channel = bot.network.coordinators.channel
    respond(
        text=f"The digest of the 7 days up to now is in <#{channel}>.", response_type="ephemeral"
    )


def _erase(bot: Bot, command: dict, args: list[str], respond: Respond, client: WebClient):
    """A coordinator erases a resident's details on request, from all their handovers."""
    # Before anything else: no hints about what exists.
    bot.handovers.access.require(command["user_id"], Right.ERASE)
    if not args:
        raise DomainError(f"Say which handover and why: `{COMMAND} erase HO-0042 <reason>`.")
    erased = bot.privacy.erase_resident(
        parse_ref(args[0]), actor_id=command["user_id"], reason=" ".join(args[1:])
    )
    refs = ", ".join(item.ref for item in erased)
    respond(
        text=f"Erased the resident's details from {refs}. The handovers stay, anonymous.",
        response_type="ephemeral",
    )
    bot.audit.seen(
        [item.handover_id for item in erased], viewer_id=command["user_id"], what=Access.ERASE
    )


def _audit(bot: Bot, command: dict, args: list[str], respond: Respond, client: WebClient):
    """A coordinator's export of who saw and did what (a subject access request)."""
    # Before anything else: no hints about what exists.
    bot.handovers.access.require(command["user_id"], Right.AUDIT)
    if not args:
        raise DomainError(AUDIT_USAGE)
    handover_id = parse_ref(args[0])
    with_details = [word.lower() for word in args[1:]] == [WITH_DETAILS]
    if args[1:] and not with_details:
        raise DomainError(AUDIT_USAGE)
    export = bot.audit.send(handover_id, actor_id=command["user_id"], with_details=with_details)
    said = f"The audit trail of {export.ref} is in your DM with me."
    if with_details:
        said += " It includes the resident's details: share it only with them."
    respond(text=said, response_type="ephemeral")


def _capacity(bot: Bot, command: dict, args: list[str], respond: Respond, client: WebClient):
    from handlers.directory import open_capacity

    open_capacity(bot, client, _trigger(command), command["user_id"])


def _button(bot: Bot, command: dict, args: list[str], respond: Respond, client: WebClient):
    """A coordinator posts a Refer a resident button: here, or in the channel named."""
    bot.handovers.access.require(command["user_id"], Right.REFER_BUTTON)
    channel = channel_of(args[0]) if args else command.get("channel_id")
    if not channel:
        raise DomainError(f"Say where: `{COMMAND} button #channel`, or use it in that channel.")
    bot.notifier.post_refer_button(channel, command["user_id"])
    respond(
        text=f"A *Refer a resident* button is on its way to <#{channel}>. Anyone there can "
        "press it, from any workspace; if the bot is not in that channel, invite it first.",
        response_type="ephemeral",
    )


def channel_of(word: str) -> str:
    """A channel as Slack writes it in a command (``<#C0123|name>``) or its id."""
    match = re.fullmatch(r"<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>|([CG][A-Z0-9]{2,})", word)
    if not match:
        raise DomainError(
            f"Name the channel as Slack does when you type `#` and pick it: `{COMMAND} button "
            "#channel` (or run it in that channel)."
        )
    return match.group(1) or match.group(2)


_VERBS = {
    "": _open,
    "status": _status,
    "mine": _mine,
    "providers": _providers,
    "capacity": _capacity,
    "reopen": _reopen,
    "digest": _digest,
    "button": _button,
    "erase": _erase,
    "audit": _audit,
}


def register(app: App) -> None:
    app.command(COMMAND)(handover)
