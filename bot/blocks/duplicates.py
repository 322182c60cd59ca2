"""The warning on the referral's 'where it goes' step: this resident is already referred."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
)

from bot.directory.network import Network
from bot.handover import access
from bot.handover.access import Right
from bot.handover.duplicates import Earlier, acknowledged_ids
from bot.ids import Act, Block
from bot.text import clip, escape
from storage.models import Handover, State

SEND_ANYWAY = "anyway"
STOP = "stop"


def _day(value: datetime | None, timezone: str) -> str:
    return value.astimezone(ZoneInfo(timezone)).strftime("%-d %b") if value else "—"


def _where(handover: Handover, timezone: str) -> str:
    """How far it got, and since when: "accepted 3 Dec"."""
    match handover.state:
        case State.ACCEPTED:
            return f"accepted {_day(handover.accepted_at, timezone)}"
        case State.CONTACTED:
            return f"in contact since {_day(handover.contacted_at, timezone)}"
        case State.UNMATCHED:
            return f"waiting to be routed since {_day(handover.updated_at, timezone)}"
        case _:
            sent = handover.routed_at or handover.created_at
            return f"waiting to be accepted since {_day(sent, timezone)}"


def already_referred(item: Earlier, timezone: str) -> str:
    """ "Already referred: HO-0042 to Northside CV Clinic, accepted 3 Dec" (for those who may
    see the earlier handover)."""
    to = escape(item.provider.name) if item.provider else "the coordinators"
    return f"Already referred: {item.handover.ref} to {to}, {_where(item.handover, timezone)}"


def already_helped(network: Network) -> str:
    """For an adviser who may not see the earlier handover: only that, and whom to ask."""
    people = " ".join(f"<@{user}>" for user in network.coordinators.users)
    whom = f"<#{network.coordinators.channel}>" + (f" ({people})" if people else "")
    return f"{access.refusal(Right.EARLIER_HANDOVER)} The coordinators: {whom}."


def acknowledgement(earlier: Sequence[Earlier]) -> str:
    """The 'send anyway' choice's value: the handovers the adviser was warned of."""
    return f"{SEND_ANYWAY}:" + ".".join(str(i) for i in acknowledged_ids(earlier))


def acknowledged(choice: str) -> tuple[int, ...] | None:
    """The handovers a 'send anyway' choice acknowledged; None if it was not that choice."""
    kind, _, ids = choice.partition(":")
    if kind != SEND_ANYWAY:
        return None
    return tuple(int(i) for i in ids.split(".") if i.isdigit() and len(i) < 10)


def duplicate_blocks(earlier: Sequence[Earlier], network: Network, *, again: bool) -> list:
    """The warning and the choice (send anyway, for another need, or stop), before Send."""
    timezone = network.network.timezone
    lines = [f":warning: *{already_referred(item, timezone)}*" for item in earlier if item.visible]
    if any(not item.visible for item in earlier):
        lines.append(f":warning: {already_helped(network)}")
    if again:
        lines.insert(0, "_Since you pressed Next, another referral of this resident was sent._")
    options = [
        Option(value=acknowledgement(earlier), text="Send anyway (for another need)"),
        Option(value=STOP, text="Stop: send nothing"),
    ]
    return [
        SectionBlock(text=MarkdownTextObject(text=clip("\n".join(lines), 3000))),
        InputBlock(
            block_id=Block.DUPLICATE,
            label=PlainTextObject(text="This resident is already referred"),
            element=RadioButtonsElement(action_id=Act.INPUT, options=options),
        ),
    ]
