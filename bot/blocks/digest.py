"""The weekly digest as a message for the coordinators' channel (the chart and CSV go with it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks import Message, packed_sections, render
from bot.directory.network import Network, lower_first
from bot.followup.digest.figures import Digest, ProviderRow, WeekFigures
from bot.text import DECLINE_REASONS, OUTCOMES, clip, escape, label

MAX_BLOCKS = 50  # Slack's limit for a message
BOUNCED_SHOWN = 60  # references listed; the rest are counted

# (label, WeekFigures attribute) in the order coordinators read them.
_COUNTS = (
    ("Raised", "raised"),
    ("Accepted", "accepted"),
    ("Declined", "declined"),
    ("Re-routed", "rerouted"),
    ("Unmatched", "unmatched"),
    ("Withdrawn", "withdrawn"),
    ("First contacts", "first_contacts"),
    ("Closed", "closed"),
)


def working_hours(value: timedelta | None) -> str:
    """``3.5 working hours``; under an hour in minutes; ``—`` for none."""
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    if hours < 1:
        minutes = round(hours * 60)
        return f"{minutes} working minute{'' if minutes == 1 else 's'}"
    shown = f"{hours:.1f}".removesuffix(".0")
    return f"{shown} working hour{'' if shown == '1' else 's'}"


def change(now: float, before: float) -> str:
    """▲ or ▼ and by how much, or = when level."""
    difference = now - before
    if difference > 0:
        return f"▲{_number(difference)}"
    if difference < 0:
        return f"▼{_number(-difference)}"
    return "="


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _count(this: int, last: int) -> str:
    return f"{this} {change(this, last)} (last week {last})"


def _time(this: timedelta | None, last: timedelta | None) -> str:
    if this is None:
        return f"— (last week {working_hours(last)})"
    arrow = ""
    if last is not None:
        arrow = " " + change(round(_hours(this), 1), round(_hours(last), 1))
    return f"{working_hours(this)}{arrow} (last week {working_hours(last)})"


def _hours(value: timedelta) -> float:
    return value.total_seconds() / 3600


def week_words(start: datetime, end: datetime, timezone: str) -> str:
    """``Mon 16 Nov to Sun 22 Nov 2026``: the days of ``[start, end)``, local."""
    zone = ZoneInfo(timezone)
    first = start.astimezone(zone)
    last = (end - timedelta(microseconds=1)).astimezone(zone)
    year = "" if first.year == last.year else f" {first.year}"
    return f"{first:%a} {first.day} {first:%b}{year} to {last:%a} {last.day} {last:%b %Y}"


def _times(this: WeekFigures, last: WeekFigures) -> str:
    return (
        "*Time to accept* (raised → accepted)\n"
        f"median {_time(this.accept_median, last.accept_median)}\n"
        f"90th percentile {_time(this.accept_p90, last.accept_p90)}\n"
        "*Time to first contact* (raised → first contact)\n"
        f"median {_time(this.contact_median, last.contact_median)}\n"
        f"90th percentile {_time(this.contact_p90, last.contact_p90)}"
    )


def _outcomes(this: WeekFigures, last: WeekFigures) -> str:
    keys = list(this.closed_by_outcome) + [
        k for k in last.closed_by_outcome if k not in this.closed_by_outcome
    ]
    if not keys:
        return "*Closed by outcome*: none this week or last."
    parts = [
        f"{label(OUTCOMES, key)} "
        + _count(this.closed_by_outcome.get(key, 0), last.closed_by_outcome.get(key, 0))
        for key in keys
    ]
    return "*Closed by outcome*\n" + "\n".join(f"• {part}" for part in parts)


def provider_line(row: ProviderRow) -> str:
    parts = [f"received {row.received}", f"accepted {row.accepted}"]
    if row.declined:
        reasons = ", ".join(
            f"{label(DECLINE_REASONS, reason).lower()} {n}"
            for reason, n in row.declined_by_reason.items()
        )
        parts.append(f"declined {row.declined} ({reasons})")
    else:
        parts.append("declined 0")
    if row.overdue_now:
        parts.append(f"*{row.overdue_now} overdue now*")
    if row.accept_median is not None:
        parts.append(f"median to accept {working_hours(row.accept_median)}")
    return f"*{escape(row.name)}*: " + " · ".join(parts)


def _busy(row: ProviderRow) -> bool:
    return bool(row.received or row.accepted or row.declined or row.overdue_now)


def _gaps(digest: Digest, network: Network) -> list[SectionBlock]:
    if not digest.gaps:
        text = "*Gaps in provision*: none. Every handover this week found a provider."
        return [SectionBlock(text=MarkdownTextObject(text=text))]
    lines = [
        f"• {escape(network.service_label(need))}: {n} handover{'' if n == 1 else 's'}"
        for need, n in digest.gaps.items()
    ]
    return packed_sections(
        lines, title="*Gaps in provision*: needs of handovers no provider could take this week"
    )


def _bounced(digest: Digest) -> SectionBlock:
    refs = digest.bounced
    if not refs:
        text = "*Bounced more than once*: nobody this week."
    else:
        shown = ", ".join(refs[:BOUNCED_SHOWN])
        more = f" and {len(refs) - BOUNCED_SHOWN} more" if len(refs) > BOUNCED_SHOWN else ""
        n = len(refs)
        text = (
            f"*Bounced more than once*: {n} handover{'' if n == 1 else 's'} declined twice or "
            f"more this week: {shown}{more}"
        )
    return SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)))


def digest_message(digest: Digest, network: Network) -> Message:
    this, last = digest.this_week, digest.last_week
    tz = digest.timezone
    week = week_words(digest.start, digest.end, tz)
    fields = [
        MarkdownTextObject(
            text=f"*{name}*\n{_count(getattr(this, attribute), getattr(last, attribute))}"
        )
        for name, attribute in _COUNTS
    ]
    head: list[Block] = [
        HeaderBlock(text=clip(f"Handover digest: {week}", 150)),
        SectionBlock(text=MarkdownTextObject(text="*This week vs last*"), fields=fields),
        SectionBlock(text=MarkdownTextObject(text=_outcomes(this, last))),
        SectionBlock(text=MarkdownTextObject(text=_times(this, last))),
        DividerBlock(),
    ]
    busy = [row for row in digest.providers if _busy(row)]
    quiet = [row for row in digest.providers if not _busy(row)]
    lines = [provider_line(row) for row in busy]
    if quiet:
        names = ", ".join(escape(row.name) for row in quiet)
        lines.append(f"_No handovers this week_: {names}")
    if not lines:
        lines.append("No providers are listed.")
    providers = packed_sections(lines, title="*By provider*")
    tail: list[Block] = [
        DividerBlock(),
        *_gaps(digest, network),
        _bounced(digest),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=(
                        "The chart and a CSV of the week's handovers (no personal details) are "
                        f"attached. Times are working time ({escape(network.network.working_hours)}"
                        f"); overdue as of {digest.now.astimezone(ZoneInfo(tz)):%a %-d %b %H:%M}."
                    )
                )
            ]
        ),
    ]
    room = MAX_BLOCKS - len(head) - len(tail)
    if len(providers) > room:
        hidden = len(providers) - (room - 1)
        providers = [
            *providers[: room - 1],
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"_…and {hidden} more sections of providers: see the CSV._"
                )
            ),
        ]
    text = (
        f"Handover digest, {week}: {this.raised} raised (last week {last.raised}), "
        f"{this.accepted} accepted, {this.declined} declined, {this.rerouted} re-routed, "
        f"{this.unmatched} unmatched, {this.closed} closed; "
        f"median time to accept {working_hours(this.accept_median)}; "
        f"{digest.overdue_now} overdue now."
    )
    return Message(text, render([*head, *providers, *tail]))


def circumstances_line(counts, network: Network) -> str | None:
    """ "Circumstances: 4 disabled or long-term health condition, 2 care leaver": counts only,
    most first, in the network's words; None in a week when nobody's were given."""
    known = [(key, n) for key, n in counts.items() if n and key in network.circumstances]
    if not known:
        return None
    order = list(network.circumstances)
    known.sort(key=lambda pair: (-pair[1], order.index(pair[0])))
    said = ", ".join(
        f"{n} {escape(lower_first(network.circumstance_label(key)))}" for key, n in known
    )
    return f"Circumstances: {said}"


def with_circumstances(message: Message, counts, network: Network) -> Message:
    """The digest with its circumstances line as a section of its own, after the figures."""
    line = circumstances_line(counts, network)
    if line is None:
        return message
    section = SectionBlock(text=MarkdownTextObject(text=f":busts_in_silhouette: {line}"))
    return Message(f"{message.text}\n{line}", [*message.blocks, section.to_dict()])
