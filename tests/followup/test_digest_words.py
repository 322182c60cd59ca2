"""The digest in words a coordinator reads at a glance: which days it covers, how each
figure compares, and a chart that says when it has nothing to show.

The figures themselves are proved in ``test_digest``; this file takes its fortnight's
digest as written out there (``sample_digest``) and its ``Story`` for the few checks that
need the database.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.blocks.digest import compared, digest_message
from bot.directory.network import parse_network
from bot.followup.digest.chart import chart_figure
from bot.followup.digest.figures import compute_digest, last_full_week, seven_days_up_to
from bot.followup.digest.spreadsheet import week_csv
from sandbox.slack.blockkit import validate_message_blocks
from tests.followup.test_digest import NOW, Story, WallClock, _texts, sample_digest
from tests.network import NETWORK_YAML

TZ = "Europe/London"
MINUTE = timedelta(minutes=1)


def shown(message) -> str:
    return "\n".join(_texts(message.blocks))


def digest_for(story, start, end, *, up_to_now):
    with story.sessions() as session:
        return compute_digest(
            session,
            start=start,
            end=end,
            network=story.network,
            working_time=WallClock(),
            now=NOW,
            up_to_now=up_to_now,
        )


# -- which days ------------------------------------------------------------------------------


def test_on_demand_the_digest_has_a_handover_made_a_minute_ago_and_says_up_to_now(db, network):
    story = Story(db, network)
    story.raised(NOW - timedelta(days=8), "cv")  # the 7 days before the 7 up to now
    story.raised(NOW - timedelta(days=2), "cv")  # Saturday: in the calendar week too
    story.raised(NOW - MINUTE, "esol")
    story.to(NOW)

    start, end = seven_days_up_to(NOW, TZ)
    assert (start, end) == (NOW - timedelta(days=7), NOW)
    digest = digest_for(story, start, end, up_to_now=True)
    assert digest.this_week.raised == 2  # two days ago, and a minute ago
    # Compared with the 7 days before that, and the trend's last week ends now too.
    assert (digest.last_week.start, digest.last_week.end) == (start - timedelta(days=7), start)
    assert digest.last_week.raised == 1
    assert digest.trend[-1][0] == start
    message = digest_message(digest, network)
    assert validate_message_blocks(message.blocks) == []
    header = message.blocks[0]["text"]["text"]
    assert header == "Handover digest: the 7 days up to now, Mon 23 Nov 09:00"
    assert "*These 7 days, compared with the 7 days before*" in shown(message)
    assert "*Raised*\n2 ↑ from 1" in shown(message)
    assert "up to now" in message.text and "raised 2, up from 1" in message.text
    assert "this week" not in shown(message).lower()

    # The weekly post, made at the same moment, keeps its calendar week, Mon to Mon: the
    # handover of a minute ago is next week's.
    start, end = last_full_week(NOW, TZ)
    assert (start, end) == (datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC))
    weekly = digest_for(story, start, end, up_to_now=False)
    assert weekly.this_week.raised == 1
    message = digest_message(weekly, network)
    assert message.blocks[0]["text"]["text"] == "Handover digest: Mon 16 Nov to Sun 22 Nov 2026"
    assert "*This week, compared with last week*" in shown(message)


# -- comparisons ------------------------------------------------------------------------------


def test_every_comparison_reads_as_words():
    assert compared(5, 2, "5", "2", "last week") == "5 ↑ from 2"
    assert compared(3, 7, "3", "7", "last week") == "3 ↓ from 7"
    assert compared(0, 0, "0", "0", "last week") == "0, as last week"
    assert compared(0, 0, "0", "0", "in the 7 days before") == "0, as in the 7 days before"
    # The text that notifications and screen readers read says the arrows in words.
    assert compared(5, 2, "5", "2", "last week", spoken=True) == "5, up from 2"
    assert compared(3, 7, "3", "7", "last week", spoken=True) == "3, down from 7"
    # Times the same when shown are the same, even if the seconds differ.
    assert compared(2.01, 2.04, "2 working hours", "2 working hours", "last week") == (
        "2 working hours, as last week"
    )
    assert compared(None, 3, "—", "3 working hours", "last week") == (
        "none (3 working hours last week)"
    )
    assert compared(2, None, "2 working hours", "—", "last week") == (
        "2 working hours (none last week)"
    )


def test_the_digest_has_no_bare_equals_signs_or_brackets_of_last_week():
    digest = sample_digest()
    quiet = replace(digest, last_week=replace(digest.this_week, start=digest.last_week.start))
    for one in (digest, quiet):
        text = shown(digest_message(one, parse_network(NETWORK_YAML)))
        assert "(last week" not in text and " = " not in text and "▲" not in text
    text = shown(digest_message(quiet, parse_network(NETWORK_YAML)))
    assert "*Raised*\n6, as last week" in text
    assert "median 2 working hours, as last week" in text


# -- the chart --------------------------------------------------------------------------------


def panel_words(axes) -> list[str]:
    return [text.get_text() for text in axes.texts]


def test_a_panel_with_no_data_says_so_in_words_instead_of_empty_axes():
    digest = sample_digest()
    trend, accept = chart_figure(digest).axes
    assert trend.axison and accept.axison and panel_words(trend) == []

    nothing_closed = replace(digest, trend=[(week, {}) for week, _ in digest.trend])
    trend, accept = chart_figure(nothing_closed).axes
    assert not trend.axison and accept.axison
    assert panel_words(trend) == ["No handovers closed or withdrawn\nin these 8 weeks"]
    assert nothing_closed.has_chart

    nothing_accepted = replace(
        digest, providers=[replace(row, accept_median=None) for row in digest.providers]
    )
    trend, accept = chart_figure(nothing_accepted).axes
    assert trend.axison and not accept.axison
    assert panel_words(accept) == ["No handovers accepted\nthis week"]
    # On demand, the panel names its 7 days.
    trend, accept = chart_figure(replace(nothing_accepted, up_to_now=True)).axes
    assert panel_words(accept) == ["No handovers accepted\nin these 7 days"]


def test_with_nothing_to_draw_the_digest_says_why_there_is_no_chart():
    digest = sample_digest()
    empty = replace(
        digest,
        trend=[(week, {}) for week, _ in digest.trend],
        providers=[replace(row, accept_median=None) for row in digest.providers],
    )
    assert not empty.has_chart
    text = shown(digest_message(empty, parse_network(NETWORK_YAML)))
    assert "No chart: no handover was closed or withdrawn in these 8 weeks" in text
    assert "chart and" not in text
    assert "The chart and a CSV" in shown(digest_message(digest, parse_network(NETWORK_YAML)))


# -- the CSV -----------------------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://x","y")'


def test_a_provider_name_that_is_a_formula_reaches_the_csv_as_text(db):
    hostile = NETWORK_YAML.replace("Northside CV Clinic", f"'{FORMULA}'").replace(
        "CV and job applications", '"@SUM(A1:A9)"'
    )
    network = parse_network(hostile, source="hostile network")
    story = Story(db, network)
    story.raised(NOW - timedelta(days=1), "cv", prefer="cv-clinic")
    with story.sessions() as session:
        text = week_csv(session, start=NOW - timedelta(days=7), end=NOW, network=network)
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["provider"] == "'" + FORMULA
    assert row["needs"] == "'@SUM(A1:A9)"
    assert row["declines"] == "0"  # counts stay numbers
    assert row["created"] == "2026-11-22 09:00"  # times untouched
