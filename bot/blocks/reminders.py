"""What each reminder says, and where: the card's thread, the worker's DM, the coordinators."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks import Message, render
from bot.blocks.messages import route_select
from bot.directory.network import Network
from bot.handover.payloads import CardRef
from bot.handover.routing import RouteChoices
from bot.ids import Act, Block
from bot.text import clip, day, escape, when
from storage.models import Handover, Provider


def working_hours(span) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.0f} working hour{'s' if round(hours) != 1 else ''}"


def _needs(handover: Handover, network: Network) -> str:
    return ", ".join(network.service_label(n) for n in handover.needs)


def accept_reminder(handover: Handover, provider: Provider, waited, network: Network) -> Message:
    """In the card's thread, to the whole channel, with the card's buttons at hand."""
    value = CardRef(h=handover.id, p=provider.id).dump()
    text = (
        f"<!channel> {handover.ref} ({escape(_needs(handover, network))}) has waited "
        f"{working_hours(waited)} for someone here to accept it. Can someone take it, or "
        "decline it so it can go elsewhere?"
    )
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f":alarm_clock: {text}")),
        ActionsBlock(
            block_id=Block.CARD_ACTIONS,
            elements=[
                ButtonElement(text="Accept", action_id=Act.ACCEPT, value=value, style="primary"),
                ButtonElement(text="Decline", action_id=Act.DECLINE, value=value),
            ],
        ),
    ]
    return Message(text, render(blocks))


def contact_nudge(handover: Handover, provider: Provider, again: bool) -> Message:
    """To the named worker: the promised first contact has not been recorded."""
    value = CardRef(h=handover.id, p=provider.id).dump()
    first = "" if not again else "Second reminder: "
    text = (
        f"{first}{handover.ref}: you promised first contact by "
        f"{day(handover.promised_contact_by)}. Has it happened?"
    )
    snooze = [
        ButtonElement(
            text=f"Snooze {n} day{'s' if n > 1 else ''}",
            action_id=f"{Act.SNOOZE}.{n}",
            value=CardRef(h=handover.id, p=str(n)).dump(),
        )
        for n in (1, 3)
    ]
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f":telephone_receiver: {text}")),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Made contact", action_id=Act.CONTACT, value=value, style="primary"
                ),
                *snooze,
            ]
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="If nothing is recorded after two reminders, the coordinators are told."
                )
            ]
        ),
    ]
    return Message(text, render(blocks))


def outcome_ask(handover: Handover, provider: Provider, timezone: str) -> Message:
    value = CardRef(h=handover.id, p=provider.id).dump()
    text = (
        f"{handover.ref}: first contact was on {when(handover.contacted_at, timezone)}. "
        "What happened? Recording the outcome closes the handover."
    )
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f":checkered_flag: {text}")),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Record outcome", action_id=Act.OUTCOME, value=value, style="primary"
                )
            ]
        ),
    ]
    return Message(text, render(blocks))


def escalation(
    handover: Handover,
    provider: Provider | None,
    *,
    why: str,
    choices: RouteChoices | None,
    network: Network,
) -> Message:
    """To the coordinators: route it elsewhere, or chase the provider."""
    where = escape(provider.name) if provider else "no provider"
    text = f"{handover.ref} ({escape(_needs(handover, network))}) at {where}: {why}"
    section = SectionBlock(text=MarkdownTextObject(text=f":rotating_light: {text}"))
    if choices is not None:
        section = SectionBlock(
            block_id=Block.CARD_ACTIONS,
            text=MarkdownTextObject(text=f":rotating_light: {text}"),
            accessory=route_select(handover, choices),
        )
    blocks = [
        section,
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=clip(f"Chase {provider.name}", 75) if provider else "Chase",
                    action_id=Act.CHASE,
                    value=CardRef(h=handover.id).dump(),
                )
            ]
        ),
    ]
    return Message(text, render(blocks))


def adviser_escalated(handover: Handover, provider: Provider | None, why: str) -> Message:
    where = escape(provider.name) if provider else "the provider"
    text = (
        f":rotating_light: {handover.ref}: {why} at {where}, so the coordinators are on it now. "
        "You don't need to do anything."
    )
    return Message(text, render([SectionBlock(text=MarkdownTextObject(text=text))]))


def snoozed(handover: Handover, until: datetime, timezone: str) -> str:
    return f"{handover.ref}: the next reminder comes {when(until, timezone)}."
