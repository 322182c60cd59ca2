"""App Home by role: the adviser's open handovers, the provider's queue, the network view."""

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
from slack_sdk.models.views import View

from bot.blocks import packed_sections
from bot.blocks.directory import capacity_line, confirm_button, confirmation_words, overdue_lines
from bot.blocks.replies import handover_line
from bot.directory.network import Network
from bot.directory.providers import Overdue
from bot.handover.payloads import CardRef
from bot.ids import Act
from bot.text import STATES, clip, day, escape, named_worker
from storage.models import Handover, Provider, State

SECTION_LIMIT = 15  # rows a section shows; the home tab holds 100 blocks in all


def home_view(
    *,
    network: Network,
    mine: Sequence[tuple[Handover, Provider | None]],
    queues: Sequence[tuple[Provider, Sequence[Handover]]],
    coordinator: tuple[dict[str, int], Sequence[Handover]] | None,
    capacities: dict[str, str] | None = None,
    directory: Sequence[Provider] = (),
    overdue: Sequence[Overdue] = (),
) -> dict:
    """Your referrals, then the network (coordinators), then each queue while room remains."""
    blocks: list = [
        HeaderBlock(text=clip(f"Warm handovers · {network.network.name}", 150)),
        ActionsBlock(
            elements=[ButtonElement(text="New handover", action_id=Act.OPEN_NEW, style="primary")]
        ),
        DividerBlock(),
        HeaderBlock(text="Your referrals"),
    ]
    if not mine:
        blocks.append(_note("No open handovers. Use *New handover* or `/handover`."))
    for handover, provider in mine[:SECTION_LIMIT]:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=handover_line(handover, provider, network)),
                accessory=_withdraw_button(handover),
            )
        )
    if len(mine) > SECTION_LIMIT:
        blocks.append(_note(f"…and {len(mine) - SECTION_LIMIT} more: `/handover mine` lists all."))
    capacities = capacities or {}
    if coordinator is not None:
        blocks += _network_section(network, *coordinator)
        blocks += _directory_section(network, directory, capacities, overdue)
    for shown, (provider, queue) in enumerate(queues):
        section = _queue_section(network, provider, queue, capacities.get(provider.id, "open"))
        # Slack's home tab holds 100 blocks; keep one for saying what did not fit.
        if len(blocks) + len(section) > BLOCK_LIMIT - 1:
            left = len(queues) - shown
            blocks.append(_note(f"{left} more queues did not fit here: see each channel."))
            break
        blocks += section
    return View(type="home", blocks=blocks).to_dict()


BLOCK_LIMIT = 100


def _withdraw_button(handover: Handover) -> ButtonElement:
    return ButtonElement(
        text="Withdraw",
        action_id=Act.WITHDRAW,
        value=CardRef(h=handover.id).dump(),
        style="danger",
        confirm=ConfirmObject(
            title="Withdraw this handover?",
            text=f"{handover.ref}: the provider is told and stops work on it.",
            confirm="Withdraw",
            deny="Keep it",
        ),
    )


def _network_section(network: Network, counts: dict[str, int], unmatched) -> list:
    blocks: list = [DividerBlock(), HeaderBlock(text="Network")]
    # For partners in other workspaces (Slack Connect), who cannot use the slash command.
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Post a Refer a resident button", action_id=Act.POST_REFER_BUTTON
                )
            ]
        )
    )
    summary = " · ".join(
        f"{STATES[state]}: *{counts.get(state, 0)}*"
        for state in (State.PENDING, State.ACCEPTED, State.CONTACTED, State.UNMATCHED)
    )
    blocks.append(SectionBlock(text=MarkdownTextObject(text=summary)))
    if unmatched:
        lines = [_queue_line(h, network) for h in unmatched[:SECTION_LIMIT]]
        if len(unmatched) > SECTION_LIMIT:
            lines.append(f"…and {len(unmatched) - SECTION_LIMIT} more")
        blocks += packed_sections(lines, title="*Needs routing by hand*")
    return blocks


def _directory_section(
    network: Network,
    directory: Sequence[Provider],
    capacities: dict[str, str],
    overdue: Sequence[Overdue],
) -> list:
    """Every provider's capacity at a glance, whose entry is overdue for confirmation, and
    the way to change any provider's capacity."""
    if not directory:
        return []
    lines = [capacity_line(p, capacities.get(p.id, "open")) for p in directory]
    stale = []
    if overdue:
        every = network.directory.confirm_every
        title = f"*Overdue for confirmation* (entries are confirmed every {every})"
        stale = packed_sections(overdue_lines(overdue, network.network.timezone), title=title)
    return [
        DividerBlock(),
        HeaderBlock(text="Directory"),
        *packed_sections(lines),
        *stale,
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Set a provider's capacity", action_id=Act.SET_CAPACITY, value=""
                )
            ]
        ),
    ]


def _queue_section(
    network: Network, provider: Provider, queue: Sequence[Handover], capacity: str
) -> list:
    confirmed = confirmation_words(provider, network.network.timezone)
    blocks: list = [
        DividerBlock(),
        HeaderBlock(text=clip(f"Queue · {provider.name}", 150)),
        SectionBlock(
            text=MarkdownTextObject(text=f"{capacity_line(provider, capacity)}\n{confirmed}")
        ),
        ActionsBlock(
            elements=[
                ButtonElement(text="Set capacity", action_id=Act.SET_CAPACITY, value=provider.id),
                confirm_button(provider),
            ]
        ),
    ]
    if not queue:
        blocks.append(_note("Nothing waiting."))
    for state, title in (
        (State.PENDING, "Waiting to be accepted"),
        (State.ACCEPTED, "Accepted, first contact due"),
        (State.CONTACTED, "Awaiting outcome"),
    ):
        rows = [h for h in queue if h.state == state]
        if rows:
            lines = [_queue_line(h, network) for h in rows[:SECTION_LIMIT]]
            if len(rows) > SECTION_LIMIT:
                lines.append(f"…and {len(rows) - SECTION_LIMIT} more")
            blocks += packed_sections(lines, title=f"*{title}*")
    return blocks


def _queue_line(handover: Handover, network: Network) -> str:
    needs = ", ".join(network.service_label(n) for n in handover.needs)
    extra = ""
    if handover.worker_id:
        extra = f" · {named_worker(handover)}"
    if handover.state == State.ACCEPTED:
        extra += f" · contact by {day(handover.promised_contact_by)}"
    area = f" · {handover.postcode_district}" if handover.postcode_district else ""
    return f"• *{handover.ref}* · {escape(needs)}{area}{extra}"


def _note(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])
