"""The directory's surfaces: the capacity modal, capacity lines, the channel's notice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks import Message, render
from bot.directory import describe_capacity
from bot.ids import Act, Block, Callback
from bot.text import clip, day, escape
from storage.models import Provider

CAPACITY_LABELS = {
    "open": "Open: taking new handovers",
    "limited": "Limited: taking some (others are tried first)",
    "paused": "Paused: no new handovers",
}
CAPACITY_ICONS = {
    "open": ":large_green_circle:",
    "limited": ":large_orange_circle:",
    "paused": ":red_circle:",
}


def capacity_words(provider: Provider, capacity: str) -> str:
    """'open', 'limited', or 'paused until Mon 7 Dec 2026: two advisers on leave'."""
    if capacity != "paused":
        return capacity
    until = f" until {day(provider.paused_until)}" if provider.paused_until else " until resumed"
    reason = f": {escape(provider.capacity_reason)}" if provider.capacity_reason else ""
    return f"paused{until}{reason}"


def capacity_line(provider: Provider, capacity: str) -> str:
    """'🟢 *Name*: open', with a pause's end and reason."""
    icon = CAPACITY_ICONS.get(capacity, "")
    return f"{icon} *{escape(provider.name)}*: {capacity_words(provider, capacity)}"


def capacity_modal(
    providers: Sequence[Provider], *, chosen: Provider | None, capacity: str
) -> dict[str, Any]:
    options = [Option(value=p.id, text=clip(p.name, 75)) for p in providers][:100]
    initial = next((o for o in options if chosen and o.value == chosen.id), options[0])
    states = [Option(value=key, text=label) for key, label in CAPACITY_LABELS.items()]
    current = next(o for o in states if o.value == capacity)
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text="Paused providers get no new handovers; limited ones are offered them after "
                "open ones. A pause with an end date lifts by itself on that date."
            )
        ),
        InputBlock(
            block_id=Block.PROVIDER,
            label=PlainTextObject(text="Provider"),
            element=StaticSelectElement(
                action_id=Act.INPUT, options=options, initial_option=initial
            ),
        ),
        InputBlock(
            block_id=Block.CAPACITY,
            label=PlainTextObject(text="Capacity"),
            element=RadioButtonsElement(
                action_id=Act.INPUT, options=states, initial_option=current
            ),
        ),
        InputBlock(
            block_id=Block.PAUSED_UNTIL,
            label=PlainTextObject(text="Paused until"),
            element=DatePickerElement(action_id=Act.INPUT),
            optional=True,
            hint=PlainTextObject(text="Only for a pause. Leave empty to pause until resumed."),
        ),
        InputBlock(
            block_id=Block.CAPACITY_REASON,
            label=PlainTextObject(text="Reason"),
            element=PlainTextInputElement(action_id=Act.INPUT, max_length=300),
            optional=True,
            hint=PlainTextObject(text="Needed for a pause, e.g. 'two advisers on leave'."),
        ),
    ]
    view = View(
        type="modal",
        callback_id=Callback.CAPACITY,
        title=PlainTextObject(text="Capacity"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )
    return view.to_dict()


def capacity_notice(provider: Provider, actor_id: str, until: date | None) -> Message:
    """What the provider's channel is told when its capacity changes."""
    words = describe_capacity(provider.capacity, until, None)
    reason = f" Reason: {escape(provider.capacity_reason)}." if provider.capacity_reason else ""
    text = (
        f":traffic_light: <@{actor_id}> set {escape(provider.name)}'s capacity to {words}.{reason}"
    )
    return Message(text, render([SectionBlock(text=MarkdownTextObject(text=text))]))
