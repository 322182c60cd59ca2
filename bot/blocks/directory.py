"""The directory's surfaces: the capacity modal, capacity lines, the channel's notice, and
the nudge to confirm an entry is still right."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
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

from bot.blocks import Message, packed_sections, render
from bot.directory.network import Network
from bot.directory.providers import Confirmation, ConfirmRef, Overdue, describe_capacity
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


# -- freshness: is the entry still right? ---------------------------------------------------


def local_day(moment: datetime | None, timezone: str) -> str:
    return day(moment.astimezone(ZoneInfo(timezone)).date()) if moment else "—"


def confirmation_words(provider: Provider, timezone: str) -> str:
    """'Details confirmed Tue 3 Nov 2026', or 'Details never confirmed'."""
    if provider.confirmed_at is None:
        return "Details never confirmed"
    return f"Details confirmed {local_day(provider.confirmed_at, timezone)}"


def confirm_button(provider: Provider) -> ButtonElement:
    """One click: "what the directory says about us is right"."""
    return ButtonElement(
        text="Details are right",
        action_id=Act.CONFIRM_DETAILS,
        value=ConfirmRef(p=provider.id, c=provider.confirmed_at).dump(),
    )


def ages_words(provider: Provider) -> str:
    if provider.age_min is None:
        return "any age"
    if provider.age_max is None or provider.age_max >= 150:
        return f"{provider.age_min}+"
    return f"{provider.age_min}-{provider.age_max}"


def directory_facts(provider: Provider, network: Network, capacity: str) -> list[str]:
    """What the directory tells advisers about a provider: the network file and its row."""
    entry = network.provider(provider.id)
    services = ", ".join(network.service_label(s) for s in provider.services)
    facts = [
        f"• *Services*: {escape(services)}",
        f"• *Areas*: {escape(', '.join(provider.areas)) if provider.areas else 'anywhere'}",
        f"• *Ages*: {ages_words(provider)}",
        f"• *Languages*: {escape(', '.join(provider.languages)) if provider.languages else 'any'}",
    ]
    if entry is not None:
        if entry.only_for:
            only = " or ".join(network.circumstance_label(key) for key in entry.only_for)
            facts.append(f"• *Only for residents*: {escape(only)}")
        facts.append(f"• *Eligibility*: {escape(entry.eligibility) or 'no conditions given'}")
        facts.append(f"• *Hours*: {escape(entry.hours) or 'not given'}")
        if entry.responds_within:
            facts.append(f"• *Usually responds within*: {escape(entry.responds_within)}")
    if provider.description:
        facts.append(f"• *About*: {escape(provider.description)}")
    facts.append(f"• *Capacity*: {capacity_words(provider, capacity)}")
    return facts


def _coordinators(network: Network) -> str:
    return f"<#{network.coordinators.channel}>"


def confirm_nudge(provider: Provider, network: Network, capacity: str) -> Message:
    """Asked in the provider's own channel when its entry has not been confirmed lately."""
    name = escape(provider.name)
    intro = (
        f":mag: *Is {name}'s entry in the network's directory still right?* "
        "This is what advisers see when they choose where to refer a resident:"
    )
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=intro)),
        *_facts_sections(provider, network, capacity),
        SectionBlock(text=MarkdownTextObject(text="*Is this still right?*")),
        ActionsBlock(elements=[confirm_button(provider)]),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"If not, tell the coordinators what to change in "
                    f"{_coordinators(network)}."
                )
            ]
        ),
    ]
    text = (
        f"Is {name}'s entry in the network's directory still right? Press Details are right, "
        f"or tell the coordinators what to change in {_coordinators(network)}."
    )
    return Message(text, render(blocks))


def confirmed_nudge(provider: Provider, network: Network, capacity: str) -> Message:
    """The nudge once answered: who confirmed it and when; nothing left to press."""
    name = escape(provider.name)
    when = local_day(provider.confirmed_at, network.network.timezone)
    who = f"<@{provider.confirmed_by}>" if provider.confirmed_by else "someone"
    done = f":white_check_mark: Confirmed by {who} on {when}."
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(text=f":mag: *{name}'s entry in the network's directory*")
        ),
        *_facts_sections(provider, network, capacity),
        SectionBlock(text=MarkdownTextObject(text=done)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"When something changes, tell the coordinators in "
                    f"{_coordinators(network)}."
                )
            ]
        ),
    ]
    text = f"{name}'s entry in the network's directory: confirmed by {who} on {when}."
    return Message(text, render(blocks))


def _facts_sections(provider: Provider, network: Network, capacity: str) -> list[SectionBlock]:
    return packed_sections(directory_facts(provider, network, capacity))


def confirmed_reply(confirmation: Confirmation, timezone: str) -> str:
    """What the person who pressed the button is told, privately."""
    provider = confirmation.provider
    name = escape(provider.name)
    when = local_day(provider.confirmed_at, timezone)
    if confirmation.repeated:
        who = f"<@{provider.confirmed_by}>" if provider.confirmed_by else "someone"
        return f"{name}'s directory entry was already confirmed by {who} on {when}."
    return f":white_check_mark: Thank you: {name}'s directory entry is confirmed as right ({when})."


def overdue_lines(overdue: Sequence[Overdue], timezone: str) -> list[str]:
    """For coordinators: whose entry is overdue for confirmation, since when."""
    lines = []
    for item in overdue:
        provider = item.provider
        last = (
            f"last confirmed {local_day(provider.confirmed_at, timezone)}"
            if provider.confirmed_at
            else "never confirmed"
        )
        nudged = provider.confirm_nudged_at
        # A nudge from before the last confirmation was answered; it says nothing now.
        answered = provider.confirmed_at and nudged and nudged < provider.confirmed_at
        asked = f" · asked {local_day(nudged, timezone)}" if nudged and not answered else ""
        lines.append(
            f"• *{escape(provider.name)}*: due since {local_day(item.since, timezone)} · "
            f"{last}{asked}"
        )
    return lines
