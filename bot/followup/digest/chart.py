"""The digest's chart: closed handovers per week by outcome, and this week's median time to
accept by provider, as a PNG built with matplotlib's object API (no pyplot, no display)."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.blocks.digest import period_words
from bot.followup.digest.figures import TREND_KEYS, WITHDRAWN, Digest
from bot.text import clip
from storage.models import Outcome

_COLOURS = {
    Outcome.STARTED_SUPPORT.value: "#1b7837",
    Outcome.NOT_ELIGIBLE.value: "#d6604d",
    Outcome.COULD_NOT_CONTACT.value: "#f4a582",
    Outcome.RESIDENT_DECLINED.value: "#92c5de",
    Outcome.OTHER.value: "#b2abd2",
    WITHDRAWN: "#878787",
}
CHART_SIZE = (12, 7)  # inches, at CHART_DPI: 1200 x 700 pixels
CHART_DPI = 100
CHART_PROVIDERS = 15  # bars in the time-to-accept plot, so names stay readable


def hours(value: timedelta) -> float:
    return value.total_seconds() / 3600


def digest_chart(digest: Digest) -> bytes:
    """A PNG of ``chart_figure``. The same digest gives the same bytes."""
    out = io.BytesIO()
    # No Software/date metadata: the bytes depend on the data alone.
    chart_figure(digest).savefig(out, format="png", dpi=CHART_DPI, metadata={"Software": None})
    return out.getvalue()


def chart_figure(digest: Digest):
    """Handovers closed per week by outcome (8 weeks, stacked), and this week's median
    working hours to accept by provider: a matplotlib ``Figure`` of two panels.

    A panel with nothing to show says so in words in place of its axes. When neither has
    anything (``digest.has_chart`` is false) the digest posts no chart at all.
    """
    # The object API with its own Agg canvas: no pyplot, no global backend, thread-safe.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from bot.text import OUTCOMES

    zone = ZoneInfo(digest.timezone)
    period = period_words(digest)
    figure = Figure(figsize=CHART_SIZE, dpi=CHART_DPI)
    figure.subplots_adjust(left=0.06, right=0.97, top=0.92, bottom=0.2, wspace=0.45)
    FigureCanvasAgg(figure)
    trend_axes, accept_axes = figure.subplots(1, 2, width_ratios=(3, 2))

    labels = [week.astimezone(zone).strftime("%-d %b") for week, _ in digest.trend]
    positions = list(range(len(labels)))
    bottoms = [0] * len(labels)
    for key in TREND_KEYS:
        heights = [counts.get(key, 0) for _, counts in digest.trend]
        if not any(heights):
            continue
        name = "Withdrawn" if key == WITHDRAWN else OUTCOMES.get(key, key)
        trend_axes.bar(positions, heights, bottom=bottoms, label=name, color=_COLOURS[key])
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    trend_axes.set_xticks(positions, labels)
    trend_axes.set_title("Handovers closed or withdrawn per week, by outcome", fontsize=13)
    trend_axes.set_xlabel("7 days from" if digest.up_to_now else "Week starting", fontsize=11)
    trend_axes.set_ylabel("Handovers", fontsize=11)
    trend_axes.yaxis.get_major_locator().set_params(integer=True)
    trend_axes.set_ylim(0, max([*bottoms, 1]) * 1.15)
    if digest.anything_closed:
        trend_axes.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3, fontsize=10, frameon=False
        )
    else:
        _say_empty(trend_axes, "No handovers closed or withdrawn\nin these 8 weeks")

    # The slowest at the top; a big network shows its slowest CHART_PROVIDERS.
    timed = [row for row in digest.providers if row.accept_median is not None]
    timed.sort(key=lambda row: (-hours(row.accept_median), row.name))
    slowest = f" (slowest {CHART_PROVIDERS})" if len(timed) > CHART_PROVIDERS else ""
    timed = timed[:CHART_PROVIDERS][::-1]
    names = [_short(row.name) for row in timed]
    values = [hours(row.accept_median) for row in timed]
    accept_axes.barh(range(len(timed)), values, color="#2166ac")
    accept_axes.set_yticks(range(len(timed)), names, fontsize=10)
    for index, value in enumerate(values):
        accept_axes.text(value, index, f" {value:.1f}", va="center", fontsize=10)
    accept_axes.set_title(f"Median time to accept {period.this}{slowest}", fontsize=13)
    accept_axes.set_xlabel("Working hours", fontsize=11)
    accept_axes.set_xlim(0, max([*values, 1]) * 1.2)
    for axes in (trend_axes, accept_axes):
        axes.spines[["top", "right"]].set_visible(False)
        axes.tick_params(labelsize=10)
    if not timed:
        _say_empty(accept_axes, f"No handovers accepted\n{period.this}")

    return figure


def _say_empty(axes, words: str) -> None:
    """The panel's title stays; its empty axes give way to a sentence saying why."""
    axes.set_axis_off()
    axes.text(
        0.5,
        0.5,
        words,
        ha="center",
        va="center",
        transform=axes.transAxes,
        fontsize=14,
        color="#444444",
        linespacing=1.5,
    )


def _short(name: str, limit: int = 28) -> str:
    return clip(name, limit)
