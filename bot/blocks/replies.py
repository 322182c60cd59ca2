"""Private replies to /handover: help, status, mine, providers."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks import Message, packed_sections, render
from bot.blocks.directory import capacity_words
from bot.directory.network import Network
from bot.handover.payloads import CardRef
from bot.handover.reading import Status
from bot.ids import COMMAND, Act
from bot.text import (
    DECLINE_REASONS,
    OUTCOMES,
    STATES,
    aside,
    clip,
    day,
    escape,
    label,
    named_worker,
    person,
    when,
)
from storage.models import EventKind, Handover, HandoverEvent, Provider

HELP = (
    f"*{COMMAND}* refers a resident to the provider that fits them.\n"
    f"• `{COMMAND}`: open the referral form\n"
    f"• `{COMMAND} status HO-0042`: where a handover is, and its history\n"
    f"• `{COMMAND} mine`: your open handovers\n"
    f"• `{COMMAND} providers [need]`: who offers what\n"
    f"• `{COMMAND} capacity`: say whether your organisation is taking handovers\n"
    f"• `{COMMAND} reopen HO-0042 [why]`: coordinators re-open a finished handover\n"
    f"• `{COMMAND} digest`: coordinators get the digest of the 7 days up to now in their channel\n"
    f"• `{COMMAND} button [#channel]`: coordinators post a Refer a resident button, for "
    "people from other workspaces in a shared channel\n"
    f"• `{COMMAND} erase HO-0042 <why>`: coordinators erase a resident's details on request\n"
    f"• `{COMMAND} audit HO-0042`: coordinators get who saw and did what, as a file\n"
    f"• `{COMMAND} help`: this message"
)

_EVENT_WORDS = {
    EventKind.CREATED: "raised",
    EventKind.ROUTED: "sent to {provider}",
    EventKind.UNMATCHED: "no provider matched: passed to the coordinators",
    EventKind.ACCEPTED: "accepted at {provider}",
    EventKind.DECLINED: "declined by {provider}",
    EventKind.ROUTED_BY_HAND: "routed by hand to {provider}",
    EventKind.CONTACTED: "first contact made",
    EventKind.CLOSED: "closed",
    EventKind.WITHDRAWN: "withdrawn",
    EventKind.REOPENED: "re-opened, back with the coordinators",
    EventKind.ERASED: "the resident's details erased",
    EventKind.DUPLICATE: "sent anyway: the resident already had an open handover",
}

HISTORY_LIMIT = 30
MINE_LIMIT = 50  # what storage.queries.open_for_adviser returns at most
HISTORY_ROOM = 2900  # of a section's 3,000 characters, after the title


def help_message(prefix: str = "") -> Message:
    text = f"{prefix}\n\n{HELP}" if prefix else HELP
    return Message(text, render([SectionBlock(text=MarkdownTextObject(text=text))]))


def event_line(event: HandoverEvent, providers: dict[str, Provider], timezone: str) -> str:
    provider = providers.get(event.provider_id or "")
    name = escape(provider.name) if provider else "a provider"
    words = _EVENT_WORDS.get(event.kind, event.kind).format(provider=name)
    if event.kind == EventKind.DECLINED and event.reason:
        words += f": {label(DECLINE_REASONS, event.reason).lower()}"
    if event.kind == EventKind.CLOSED and event.reason:
        words += f": {label(OUTCOMES, event.reason).lower()}"
    if event.kind == EventKind.ERASED:
        words += " (on request)" if event.reason == "on_request" else " (retention period over)"
    if event.note and event.kind in (EventKind.DECLINED, EventKind.CLOSED):
        words += aside(escape(event.note))
    who = (
        f" by {person(event.actor_id)}"
        if event.actor_id and event.kind != EventKind.DECLINED
        else ""
    )
    return f"• {when(event.at, timezone)}: {words}{who}"


def status_message(status: Status, network: Network, *, can_reopen: bool = False) -> Message:
    handover = status.handover
    tz = network.network.timezone
    needs = ", ".join(network.service_label(n) for n in handover.needs)
    where = escape(status.provider.name) if status.provider else "—"
    fields = [
        MarkdownTextObject(text=f"*State*\n{label(STATES, handover.state)}"),
        MarkdownTextObject(text=f"*Provider*\n{where}"),
        MarkdownTextObject(text=f"*Needs*\n{escape(needs)}"),
        MarkdownTextObject(text=f"*Adviser*\n<@{handover.adviser_id}>"),
    ]
    if handover.worker_id:
        fields.append(MarkdownTextObject(text=f"*Named worker*\n{named_worker(handover)}"))
        fields.append(
            MarkdownTextObject(text=f"*First contact by*\n{day(handover.promised_contact_by)}")
        )
    if handover.outcome:
        fields.append(MarkdownTextObject(text=f"*Outcome*\n{label(OUTCOMES, handover.outcome)}"))
    # The newest events matter most: keep them, and say how many older ones are left out.
    lines = [event_line(e, status.providers, tz) for e in status.events]
    kept: list[str] = []
    room = HISTORY_ROOM
    for line in reversed(lines):
        if len(kept) >= HISTORY_LIMIT or len(line) + 1 > room:
            break
        kept.insert(0, line)
        room -= len(line) + 1
    if len(kept) < len(lines):
        kept.insert(0, f"_…{len(lines) - len(kept)} earlier events_")
    blocks = [
        HeaderBlock(text=clip(f"{handover.ref} · {needs}", 150)),
        SectionBlock(fields=fields),
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text="*History*\n" + "\n".join(kept))),
    ]
    if can_reopen and not handover.is_open:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Re-open",
                        action_id=Act.REOPEN,
                        value=CardRef(h=handover.id).dump(),
                        confirm=ConfirmObject(
                            title=f"Re-open {handover.ref}?",
                            text="It comes back to the coordinators' channel to route by hand.",
                            confirm="Re-open",
                            deny="Cancel",
                        ),
                    )
                ]
            )
        )
    text = f"{handover.ref}: {label(STATES, handover.state)} ({where})."
    return Message(text, render(blocks))


def handover_line(handover: Handover, provider: Provider | None, network: Network) -> str:
    needs = ", ".join(network.service_label(n) for n in handover.needs)
    where = f" at {escape(provider.name)}" if provider else ""
    return f"*{handover.ref}* · {escape(needs)} · {label(STATES, handover.state)}{where}"


def mine_message(rows: Sequence[tuple[Handover, Provider | None]], network: Network) -> Message:
    if not rows:
        text = f"You have no open handovers. `{COMMAND}` raises one."
        return Message(text, render([SectionBlock(text=MarkdownTextObject(text=text))]))
    lines = [handover_line(h, p, network) for h, p in rows]
    blocks = packed_sections(lines, title=f"Your open handovers ({len(rows)}):")
    if len(rows) >= MINE_LIMIT:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f"Showing the {MINE_LIMIT} most recent.")]
            )
        )
    refs = ", ".join(h.ref for h, _ in rows)
    return Message(clip(f"Your open handovers ({len(rows)}): {refs}", 3000), render(blocks))


def providers_message(
    providers: Sequence[Provider],
    network: Network,
    need: str | None,
    capacities: dict[str, str] | None = None,
) -> Message:
    """Who offers what, where, for whom, and whether they are taking handovers today."""
    capacities = capacities or {}
    if need and need not in network.services:
        keys = ", ".join(f"`{key}`" for key in network.services)
        text = f"There is no need called `{escape(need)}`. Needs are: {keys}."
        return Message(text, render([SectionBlock(text=MarkdownTextObject(text=text))]))
    chosen = [p for p in providers if need is None or need in p.services]
    title = f"Providers offering {network.service_label(need)}" if need else "Providers"
    if not chosen:
        text = f"{escape(title)}: none. Tell the coordinators: this is a gap in provision."
        return Message(text, render([SectionBlock(text=MarkdownTextObject(text=text))]))
    lines = []
    for provider in chosen:
        services = ", ".join(network.service_label(s) for s in provider.services)
        areas = ", ".join(provider.areas) if provider.areas else "any area"
        ages = ""
        if provider.age_min is not None:
            high = provider.age_max
            ages = (
                f" · ages {provider.age_min}+"
                if high >= 150
                else f" · ages {provider.age_min}-{high}"
            )
        line = f"*{escape(provider.name)}*: {escape(services)} · {areas}{ages}"
        if provider.languages:
            line += f" · in {escape(', '.join(provider.languages))}"
        capacity = capacities.get(provider.id)
        if capacity and capacity != "open":
            line += f" · _{capacity_words(provider, capacity)}_"
        entry = network.provider(provider.id)
        details = []
        if entry is not None and entry.eligibility:
            details.append(f"Eligibility: {escape(entry.eligibility)}")
        if entry is not None and entry.hours:
            details.append(f"Hours: {escape(entry.hours)}")
        if entry is not None and entry.responds_within:
            details.append(f"usually responds within {escape(entry.responds_within)}")
        if details:
            line += "\n      " + " · ".join(details)
        lines.append(line)
    blocks = [HeaderBlock(text=clip(title, 150)), *packed_sections(lines)]
    return Message(f"{escape(title)}: {len(chosen)}.", render(blocks[:50]))
