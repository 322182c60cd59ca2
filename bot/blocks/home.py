"""App Home by role: the adviser's open handovers, the provider's queue, the network view."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks.replies import handover_line
from bot.ids import Act
from bot.network import Network
from bot.payloads import CardRef
from bot.text import STATES, day, escape
from storage.models import Handover, Provider, State

SECTION_LIMIT = 15  # rows a section shows; the home tab holds 100 blocks in all


def home_view(
    *,
    network: Network,
    mine: Sequence[tuple[Handover, Provider | None]],
    queues: Sequence[tuple[Provider, Sequence[Handover]]],
    coordinator: tuple[dict[str, int], Sequence[Handover]] | None,
) -> dict:
    blocks: list = [
        HeaderBlock(text=f"Warm handovers · {network.network.name}"[:150]),
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
                accessory=ButtonElement(
                    text="Withdraw",
                    action_id=Act.WITHDRAW,
                    value=CardRef(h=handover.id).dump(),
                    style="danger",
                ),
            )
        )
    for provider, queue in queues:
        blocks += [DividerBlock(), HeaderBlock(text=f"Queue · {provider.name}"[:150])]
        if not queue:
            blocks.append(_note("Nothing waiting."))
        for state, title in (
            (State.PENDING, "Waiting to be accepted"),
            (State.ACCEPTED, "Accepted, first contact due"),
            (State.CONTACTED, "Awaiting outcome"),
        ):
            rows = [h for h in queue if h.state == state]
            if rows:
                lines = "\n".join(_queue_line(h, network) for h in rows[:SECTION_LIMIT])
                blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{title}*\n{lines}")))
    if coordinator is not None:
        counts, unmatched = coordinator
        blocks += [DividerBlock(), HeaderBlock(text="Network")]
        summary = " · ".join(
            f"{STATES[state]}: *{counts.get(state, 0)}*"
            for state in (State.PENDING, State.ACCEPTED, State.CONTACTED, State.UNMATCHED)
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=summary)))
        if unmatched:
            lines = "\n".join(_queue_line(h, network) for h in unmatched[:SECTION_LIMIT])
            blocks.append(
                SectionBlock(text=MarkdownTextObject(text=f"*Needs routing by hand*\n{lines}"))
            )
    return View(type="home", blocks=blocks[:100]).to_dict()


def _queue_line(handover: Handover, network: Network) -> str:
    needs = ", ".join(network.service_label(n) for n in handover.needs)
    extra = ""
    if handover.worker_id:
        extra = f" · <@{handover.worker_id}>"
    if handover.state == State.ACCEPTED:
        extra += f" · contact by {day(handover.promised_contact_by)}"
    area = f" · {handover.postcode_district}" if handover.postcode_district else ""
    return f"• *{handover.ref}* · {escape(needs)}{area}{extra}"


def _note(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])
