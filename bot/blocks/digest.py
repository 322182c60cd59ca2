"""The weekly digest as a message for the coordinators' channel (the chart and CSV go with it)."""

from __future__ import annotations

from dataclasses import dataclass
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
from bot.text import DECLINE_REASONS, OUTCOMES, clip, escape, label, when

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


@dataclass(frozen=True)
class Period:
    """How the digest names its window and the one before, in words."""

    title: str  # "Mon 16 Nov to Sun 22 Nov 2026" / "the 7 days up to now, Wed 25 Nov 15:30"
    against: str  # "last week" / "the 7 days before"
    this: str  # "this week" / "in these 7 days"
    before: str  # "last week" / "in the 7 days before"
    whose: str  # "this week's" / "these 7 days'"


def period_words(digest: Digest) -> Period:
    if digest.up_to_now:
        return Period(
            title=f"the 7 days up to now, {when(digest.end, digest.timezone)}",
            against="the 7 days before",
            this="in these 7 days",
            before="in the 7 days before",
            whose="these 7 days'",
        )
    return Period(
        title=week_words(digest.start, digest.end, digest.timezone),
        against="last week",
        this="this week",
        before="last week",
        whose="this week's",
    )


def compared(
    this: float | None,
    last: float | None,
    shown: str,
    shown_last: str,
    before: str,
    *,
    spoken=False,
) -> str:
    """One figure against the period before, the same way everywhere: ``5 ↑ from 2``,
    ``3 ↓ from 7``, ``0, as last week``. ``spoken`` says the arrows in words (``up from``),
    for the message's text that notifications and screen readers read."""
    if this is None and last is None:
        return f"none, as {before}"
    if this is None:
        return f"none ({shown_last} {before})"
    if last is None:
        return f"{shown} (none {before})"
    if shown == shown_last or this == last:
        return f"{shown}, as {before}"
    up = this > last
    if spoken:
        return f"{shown}, {'up' if up else 'down'} from {shown_last}"
    return f"{shown} {'↑' if up else '↓'} from {shown_last}"


def _count(this: int, last: int, period: Period, *, spoken: bool = False) -> str:
    return compared(this, last, str(this), str(last), period.before, spoken=spoken)


def _time(this: timedelta | None, last: timedelta | None, period: Period) -> str:
    return compared(
        None if this is None else _hours(this),
        None if last is None else _hours(last),
        working_hours(this),
        working_hours(last),
        period.before,
    )


def _hours(value: timedelta) -> float:
    return value.total_seconds() / 3600


def week_words(start: datetime, end: datetime, timezone: str) -> str:
    """``Mon 16 Nov to Sun 22 Nov 2026``: the days of ``[start, end)``, local."""
    zone = ZoneInfo(timezone)
    first = start.astimezone(zone)
    last = (end - timedelta(microseconds=1)).astimezone(zone)
    year = "" if first.year == last.year else f" {first.year}"
    return f"{first:%a} {first.day} {first:%b}{year} to {last:%a} {last.day} {last:%b %Y}"


def _times(this: WeekFigures, last: WeekFigures, period: Period) -> str:
    return (
        "*Time to accept* (raised → accepted)\n"
        f"median {_time(this.accept_median, last.accept_median, period)}\n"
        f"90th percentile {_time(this.accept_p90, last.accept_p90, period)}\n"
        "*Time to first contact* (raised → first contact)\n"
        f"median {_time(this.contact_median, last.contact_median, period)}\n"
        f"90th percentile {_time(this.contact_p90, last.contact_p90, period)}"
    )


def _outcomes(this: WeekFigures, last: WeekFigures, period: Period) -> str:
    keys = list(this.closed_by_outcome) + [
        k for k in last.closed_by_outcome if k not in this.closed_by_outcome
    ]
    if not keys:
        return f"*Closed by outcome*: none {period.this} or {period.before}."
    parts = [
        f"{label(OUTCOMES, key)} "
        + _count(this.closed_by_outcome.get(key, 0), last.closed_by_outcome.get(key, 0), period)
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


def _gaps(digest: Digest, network: Network, period: Period) -> list[SectionBlock]:
    if not digest.gaps:
        text = f"*Gaps in provision*: none. Every handover {period.this} found a provider."
        return [SectionBlock(text=MarkdownTextObject(text=text))]
    lines = [
        f"• {escape(network.service_label(need))}: {n} handover{'' if n == 1 else 's'}"
        for need, n in digest.gaps.items()
    ]
    return packed_sections(
        lines,
        title=f"*Gaps in provision*: needs of handovers no provider could take {period.this}",
    )


def _bounced(digest: Digest, period: Period) -> SectionBlock:
    refs = digest.bounced
    if not refs:
        text = f"*Bounced more than once*: nobody {period.this}."
    else:
        shown = ", ".join(refs[:BOUNCED_SHOWN])
        more = f" and {len(refs) - BOUNCED_SHOWN} more" if len(refs) > BOUNCED_SHOWN else ""
        n = len(refs)
        text = (
            f"*Bounced more than once*: {n} handover{'' if n == 1 else 's'} declined twice or "
            f"more {period.this}: {shown}{more}"
        )
    return SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)))


def attachments(digest: Digest) -> str:
    """What goes with the digest in its thread, and why there is no chart when there is none."""
    period = period_words(digest)
    csv = f"a CSV of {period.whose} handovers (no personal details)"
    if digest.has_chart:
        return f"The chart and {csv} are attached."
    return (
        f"{csv[0].upper()}{csv[1:]} is attached. No chart: no handover was closed or "
        f"withdrawn in these 8 weeks, and none was accepted {period.this}."
    )


def duplicates_field(digest: Digest) -> MarkdownTextObject:
    """Residents referred again while already being helped, whom the adviser was warned of
    and sent anyway for another need (one field beside the week's counts)."""
    return MarkdownTextObject(text=f"*Duplicates caught*\n{digest.duplicates_caught}")


def digest_message(digest: Digest, network: Network) -> Message:
    this, last = digest.this_week, digest.last_week
    tz = digest.timezone
    period = period_words(digest)
    fields = [
        MarkdownTextObject(
            text=f"*{name}*\n{_count(getattr(this, attribute), getattr(last, attribute), period)}"
        )
        for name, attribute in _COUNTS
    ]
    heading = "These 7 days" if digest.up_to_now else "This week"
    fields.append(duplicates_field(digest))
    head: list[Block] = [
        HeaderBlock(text=clip(f"Handover digest: {period.title}", 150)),
        SectionBlock(
            text=MarkdownTextObject(text=f"*{heading}, compared with {period.against}*"),
            fields=fields,
        ),
        SectionBlock(text=MarkdownTextObject(text=_outcomes(this, last, period))),
        SectionBlock(text=MarkdownTextObject(text=_times(this, last, period))),
        DividerBlock(),
    ]
    busy = [row for row in digest.providers if _busy(row)]
    quiet = [row for row in digest.providers if not _busy(row)]
    lines = [provider_line(row) for row in busy]
    if quiet:
        names = ", ".join(escape(row.name) for row in quiet)
        lines.append(f"_No handovers {period.this}_: {names}")
    if not lines:
        lines.append("No providers are listed.")
    providers = packed_sections(lines, title="*By provider*")
    tail: list[Block] = [
        DividerBlock(),
        *_gaps(digest, network, period),
        _bounced(digest, period),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=(
                        f"{attachments(digest)} Times are working time "
                        f"({escape(network.network.working_hours)}); overdue as of "
                        f"{when(digest.now, tz)}."
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
    # The same figures in words, for notifications and screen readers.
    counts = "; ".join(
        f"{name.lower()} "
        + _count(getattr(this, attribute), getattr(last, attribute), period, spoken=True)
        for name, attribute in _COUNTS
    )
    text = (
        f"Handover digest, {period.title}, compared with {period.against}: {counts}; "
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
