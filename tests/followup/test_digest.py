"""The weekly digest: every figure of a hand-computed fortnight, on SQLite and PostgreSQL.

The week under test is Mon 16 Nov 2026 00:00 to Mon 23 Nov 00:00 (London is on GMT, so
local time is UTC); "last week" is Mon 9 Nov to Mon 16 Nov; the digest is taken on Mon
23 Nov 09:00, as the weekly post is. Unless a test says otherwise, working time is the
wall clock (``WallClock``), so every duration below is simple subtraction.

What happens (HO-0001 … HO-0010, raised in this order):

    HO-0001 Mon  2 Nov 10:00 esol → ESOL Hub; accepted 12:00; contacted Tue 3 Nov 10:00;
            no outcome since: overdue now (20 days > outcome_after 14d)
    HO-0002 Mon  9 Nov 10:00 cv → CV Clinic; accepted 14:00 (4h); contacted Tue 10 Nov
            10:00 (24h after raised); closed "started support" Thu 12 Nov 10:00
    HO-0003 Tue 10 Nov 09:00 esol → ESOL Hub; accepted 11:00 (2h), first contact promised
            by Wed 11 Nov and never made: overdue now
    HO-0004 Mon 16 Nov 00:00 (the week's first instant) cv → CV Clinic; declined "at
            capacity" 01:00 → re-routed to the Council; accepted 06:00 (6h); contacted
            Tue 17 Nov 00:00 (24h); closed "started support" Thu 19 Nov 12:00
    HO-0005 Mon 16 Nov 12:00 cv → Council; declined "out of area" 13:00 → re-routed to
            CV Clinic; declined "not eligible" 14:00 → unmatched (bounced twice; a gap
            in CV); withdrawn Wed 18 Nov 10:00
    HO-0006 Tue 17 Nov 10:00 self-employment: nobody offers it → unmatched (a gap)
    HO-0007 Wed 18 Nov 10:00 esol → ESOL Hub; accepted 12:00 (2h); contacted 16:00 (6h);
            closed "resident declined" Fri 20 Nov 10:00
    HO-0008 Thu 19 Nov 10:00 cv → CV Clinic; still pending on Mon 09:00, 95h after it
            arrived (> accept_within 1d): overdue now
    HO-0009 Fri 20 Nov 10:00 interview → CV Clinic; accepted 11:00 (1h), contact promised
            by Tue 24 Nov: not overdue
    HO-0010 Mon 23 Nov 00:00 (the week's end, so next week) esol → ESOL Hub; pending 9h:
            not overdue, and in none of this week's figures
"""

from __future__ import annotations

import csv
import io
import struct
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.blocks.digest import digest_message, working_hours
from bot.directory.network import parse_duration
from bot.directory.providers import sync_directory
from bot.followup.digest.chart import digest_chart
from bot.followup.digest.figures import (
    Digest,
    ProviderRow,
    WeekFigures,
    compute_digest,
    last_full_week,
    percentile,
    seven_days_up_to,
    weeks_before,
)
from bot.followup.digest.spreadsheet import week_csv
from bot.handover.handovers import Handovers
from bot.handover.referral import ReferralForm, check_referral
from sandbox.slack.blockkit import validate_message_blocks
from storage.db import session_factory
from storage.models import EventKind, HandoverEvent
from tests.clock import MovableClock
from tests.network import ADVISER, COORDINATOR

H = timedelta(hours=1)
M = timedelta(minutes=1)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday, the weekly post
START = datetime(2026, 11, 16, tzinfo=UTC)
END = datetime(2026, 11, 23, tzinfo=UTC)
STAFF = "USTAFF001"

# Personal details and free text that must never reach the CSV (or the digest).
NAME, PHONE, EMAIL = "Samira Quartermaine", "07911 123456", "samira.q@example.org"
ACCESS, CONTEXT = "Uses a wheelchair", "Left care last spring, keen on retail"
DECLINE_NOTE, OUTCOME_NOTE = "Full until the new year", "Moved to Leeds with family"


class WallClock:
    """Stand-in working time: every hour counts."""

    def between(self, a: datetime, b: datetime) -> timedelta:
        return b - a

    def add(self, start: datetime, duration: timedelta | str) -> datetime:
        # Durations come as the network file writes them ("1d", "14d"); here a day is 24h.
        return start + (parse_duration(duration) if isinstance(duration, str) else duration)

    def next_working(self, moment: datetime) -> datetime:
        return moment


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


class Story:
    """Drives the real service, moving the clock to each moment first."""

    def __init__(self, db, network, working_time=None):
        self.network = network
        self.clock = MovableClock(at(1))
        self.sessions = session_factory(db)
        sync_directory(network, sessions=self.sessions)
        # The service keeps each accept's and first contact's working time on the event, by
        # its own clock: the one the digest is asked with (the wall clock, unless a test
        # says otherwise), as the bot's service and digest share the network's.
        self.handovers = Handovers(
            sessions=self.sessions,
            network=network,
            clock=self.clock,
            membership=lambda channel, user: True,
            working_time=working_time or WallClock(),
        )

    def to(self, moment: datetime) -> Story:
        assert moment >= self.clock.now()
        self.clock.advance(moment - self.clock.now())
        return self

    def raised(self, moment, need, prefer=None) -> int:
        form = ReferralForm(
            needs=[need],
            name=NAME,
            phone=PHONE,
            email=EMAIL,
            district="NW1",
            age_band="30-49",  # too old for Youth Futures: CV needs go to the Clinic or Council
            access_needs=ACCESS,
            context=CONTEXT,
            consent=True,
        )
        referral = check_referral(form, self.network)
        change = self.to(moment).handovers.raise_handover(
            referral, adviser_id=ADVISER, prefer=prefer
        )
        return change.handover.id

    def where(self, handover_id) -> str | None:
        return self.handovers.handover(handover_id).provider_id

    def accept(self, moment, handover_id, contact_by: date):
        self.to(moment).handovers.accept(
            handover_id,
            card_provider=self.where(handover_id),
            actor_id=STAFF,
            contact_by=contact_by,
        )

    def decline(self, moment, handover_id, reason):
        self.to(moment).handovers.decline(
            handover_id,
            card_provider=self.where(handover_id),
            actor_id=STAFF,
            reason=reason,
            note=DECLINE_NOTE,
        )

    def contact(self, moment, handover_id):
        self.to(moment).handovers.make_contact(
            handover_id, card_provider=self.where(handover_id), actor_id=STAFF
        )

    def close(self, moment, handover_id, outcome):
        self.to(moment).handovers.record_outcome(
            handover_id,
            card_provider=self.where(handover_id),
            actor_id=STAFF,
            outcome=outcome,
            note=OUTCOME_NOTE,
        )


def fortnight(db, network, working_time=None) -> Story:
    story = Story(db, network, working_time)
    h1 = story.raised(at(2, 10), "esol")
    story.accept(at(2, 12), h1, date(2026, 11, 3))
    story.contact(at(3, 10), h1)

    h2 = story.raised(at(9, 10), "cv", prefer="cv-clinic")
    story.accept(at(9, 14), h2, date(2026, 11, 10))
    h3 = story.raised(at(10, 9), "esol")
    story.contact(at(10, 10), h2)
    story.accept(at(10, 11), h3, date(2026, 11, 11))
    story.close(at(12, 10), h2, "started_support")

    h4 = story.raised(at(16, 0), "cv", prefer="cv-clinic")
    story.decline(at(16, 1), h4, "at_capacity")
    assert story.where(h4) == "town-hall"
    story.accept(at(16, 6), h4, date(2026, 11, 17))
    h5 = story.raised(at(16, 12), "cv", prefer="town-hall")
    story.decline(at(16, 13), h5, "out_of_area")
    assert story.where(h5) == "cv-clinic"
    story.decline(at(16, 14), h5, "not_eligible")
    assert story.handovers.handover(h5).state == "unmatched"
    story.contact(at(17, 0), h4)
    h6 = story.raised(at(17, 10), "self_employment")
    assert story.handovers.handover(h6).state == "unmatched"
    story.to(at(18, 10)).handovers.withdraw(h5, actor_id=COORDINATOR)
    h7 = story.raised(at(18, 10), "esol")
    story.accept(at(18, 12), h7, date(2026, 11, 19))
    story.contact(at(18, 16), h7)
    h8 = story.raised(at(19, 10), "cv", prefer="cv-clinic")
    story.close(at(19, 12), h4, "started_support")
    story.close(at(20, 10), h7, "resident_declined")
    h9 = story.raised(at(20, 10), "interview")
    story.accept(at(20, 11), h9, date(2026, 11, 24))
    story.raised(at(23, 0), "esol")
    assert (story.where(h8), story.where(h9)) == ("cv-clinic", "cv-clinic")
    story.to(NOW)
    return story


def digest_of(story, working_time=None, **changes):
    with story.sessions() as session:
        return compute_digest(
            session,
            start=changes.get("start", START),
            end=changes.get("end", END),
            network=story.network,
            working_time=working_time or WallClock(),
            now=changes.get("now", NOW),
        )


def test_the_weeks_are_local_mondays_and_whole_days():
    # Monday 09:00: the week that ended at midnight.
    assert last_full_week(NOW, "Europe/London") == (START, END)
    # Mid-week, the weekly figures are still last week's; on demand, the 7 days up to now.
    wednesday = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
    assert last_full_week(wednesday, "Europe/London") == (START, END)
    assert seven_days_up_to(wednesday, "Europe/London") == (at(18, 15) + 30 * M, wednesday)
    # In summer London is an hour ahead: local midnight is 23:00 UTC the day before.
    summer = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
    assert last_full_week(summer, "Europe/London") == (
        datetime(2026, 7, 5, 23, 0, tzinfo=UTC),
        datetime(2026, 7, 12, 23, 0, tzinfo=UTC),
    )


def test_percentiles_interpolate_between_closest_ranks():
    assert percentile([], 0.5) is None
    assert percentile([6 * H, 1 * H, 2 * H], 0.5) == 2 * H
    # position (3 - 1) * 0.9 = 1.8: 2h + 0.8 * (6h - 2h) = 5.2h
    assert percentile([6 * H, 1 * H, 2 * H], 0.9) == timedelta(hours=5.2)
    assert percentile([2 * H, 4 * H], 0.5) == 3 * H
    assert percentile([5 * H], 0.9) == 5 * H


def check_this_week_against_last_week(story):
    digest = digest_of(story)
    this, last = digest.this_week, digest.last_week
    assert (this.start, this.end, last.start, last.end) == (START, END, at(9), START)
    # Raised: HO-0004 … HO-0009 (HO-0010 is at the end instant: next week's).
    assert this.raised == 6
    assert this.accepted == 3  # HO-0004, HO-0007, HO-0009
    assert this.declined == 3  # HO-0004 once, HO-0005 twice
    assert this.rerouted == 2  # HO-0004 to the Council, HO-0005 to the Clinic
    assert this.unmatched == 2  # HO-0005 after its second decline, HO-0006 at once
    assert this.withdrawn == 1  # HO-0005
    assert this.first_contacts == 2  # HO-0004, HO-0007
    assert this.closed_by_outcome == {"started_support": 1, "resident_declined": 1}
    assert this.closed == 2
    # Accepts took 6h (HO-0004), 2h (HO-0007), 1h (HO-0009): median 2h, p90 2+0.8*4 = 5.2h.
    assert this.accept_median == 2 * H
    assert this.accept_p90 == timedelta(hours=5.2)
    # First contacts took 24h (HO-0004) and 6h (HO-0007): median 15h, p90 6+0.9*18 = 22.2h.
    assert this.contact_median == 15 * H
    assert this.contact_p90 == timedelta(hours=22.2)

    assert (last.raised, last.accepted, last.declined, last.rerouted) == (2, 2, 0, 0)
    assert (last.unmatched, last.withdrawn, last.first_contacts) == (0, 0, 1)
    assert last.closed_by_outcome == {"started_support": 1}
    # Accepts 4h (HO-0002) and 2h (HO-0003): median 3h, p90 2+0.9*2 = 3.8h; contact 24h.
    assert (last.accept_median, last.accept_p90) == (3 * H, timedelta(hours=3.8))
    assert (last.contact_median, last.contact_p90) == (24 * H, 24 * H)


def check_per_provider_rows(story):
    rows = {row.id: row for row in digest_of(story).providers}
    # Sorted by name: Council, CV Clinic, ESOL Hub, Youth Futures.
    assert [row.id for row in digest_of(story).providers] == [
        "town-hall",
        "cv-clinic",
        "esol-hub",
        "youth-futures",
    ]
    clinic = rows["cv-clinic"]
    # Received HO-0004, HO-0005 (re-routed), HO-0008, HO-0009; accepted HO-0009 in 1h;
    # HO-0008 pending 95h > 24h is overdue; HO-0009's promised Tue 24 Nov is not past.
    assert (clinic.name, clinic.received, clinic.accepted) == ("Northside CV Clinic", 4, 1)
    assert clinic.declined_by_reason == {"not_eligible": 1, "at_capacity": 1}
    assert list(clinic.declined_by_reason) == ["not_eligible", "at_capacity"]  # list order
    assert (clinic.declined, clinic.overdue_now, clinic.accept_median) == (2, 1, 1 * H)
    council = rows["town-hall"]
    # Received HO-0005 (first) and HO-0004 (re-routed); accepted HO-0004 in 6h.
    assert (council.received, council.accepted, council.declined) == (2, 1, 1)
    assert council.declined_by_reason == {"out_of_area": 1}
    assert (council.overdue_now, council.accept_median) == (0, 6 * H)
    esol = rows["esol-hub"]
    # Received HO-0007 (HO-0010 is next week); overdue: HO-0001 (no outcome for 20 days),
    # HO-0003 (first contact promised by 11 Nov) and HO-0010, pending 9h where the hub's
    # own reminder times (tests/network.py) ask for acceptance within 2h.
    assert (esol.received, esol.accepted, esol.declined_by_reason) == (1, 1, {})
    assert (esol.overdue_now, esol.accept_median) == (3, 2 * H)
    youth = rows["youth-futures"]
    assert (youth.received, youth.accepted, youth.declined, youth.overdue_now) == (0, 0, 0, 0)
    assert youth.accept_median is None


def check_overdue_moves_with_now(story):
    # Tue 24 Nov 10:00: HO-0010 has waited 34h too; HO-0009's promise (24 Nov) is not past.
    rows = {r.id: r for r in digest_of(story, now=at(24, 10)).providers}
    assert (rows["esol-hub"].overdue_now, rows["cv-clinic"].overdue_now) == (3, 1)
    # Wed 25 Nov: HO-0009's promised day has gone by too.
    rows = {r.id: r for r in digest_of(story, now=at(25, 9)).providers}
    assert rows["cv-clinic"].overdue_now == 2


def check_gaps_bounced_and_trend(story):
    digest = digest_of(story)
    # Unmatched this week: HO-0005 (CV) and HO-0006 (self-employment).
    assert digest.gaps == {"cv": 1, "self_employment": 1}
    assert digest.bounced == ["HO-0005"]
    # Eight weeks ending with this one; before 25 Oct London was on BST, so those weeks
    # start at 23:00 UTC on the Sunday.
    assert [week for week, _ in digest.trend] == [
        datetime(2026, 9, 27, 23, tzinfo=UTC),
        datetime(2026, 10, 4, 23, tzinfo=UTC),
        datetime(2026, 10, 11, 23, tzinfo=UTC),
        datetime(2026, 10, 18, 23, tzinfo=UTC),
        datetime(2026, 10, 26, 0, tzinfo=UTC),
        datetime(2026, 11, 2, tzinfo=UTC),
        datetime(2026, 11, 9, tzinfo=UTC),
        START,
    ]
    assert [counts for _, counts in digest.trend] == [
        *[{}] * 6,
        {"started_support": 1},  # HO-0002
        {"started_support": 1, "resident_declined": 1, "withdrawn": 1},  # HO-0004, 7, 5
    ]


def check_a_quiet_week_has_zeros_and_no_times(story):
    digest = digest_of(story, start=datetime(2026, 10, 26, tzinfo=UTC), end=at(2))
    week = digest.this_week
    assert (week.raised, week.accepted, week.closed, week.accept_median) == (0, 0, 0, None)
    assert digest.gaps == {} and digest.bounced == []
    message = digest_message(digest, story.network)
    assert validate_message_blocks(message.blocks) == []
    assert "Gaps in provision*: none" in str(message.blocks)


def check_the_csv_has_the_weeks_handovers_and_no_personal_details(story):
    with story.sessions() as session:
        text = week_csv(session, start=START, end=END, network=story.network)
    # The handovers are read a chunk of ids at a time; chunks of two give the same file.
    with story.sessions() as session, pytest.MonkeyPatch.context() as patch:
        patch.setattr("bot.followup.digest.spreadsheet.CSV_CHUNK", 2)
        assert week_csv(session, start=START, end=END, network=story.network) == text
    rows = list(csv.DictReader(io.StringIO(text)))
    # Created or changed in the week: HO-0004 … HO-0009. Not HO-0001/2/3 (nothing this
    # week), nor HO-0010 (raised at the week's end).
    assert [row["reference"] for row in rows] == [f"HO-000{i}" for i in range(4, 10)]
    by_ref = {row["reference"]: row for row in rows}
    assert by_ref["HO-0004"] == {
        "reference": "HO-0004",
        "created": "2026-11-16 00:00",
        "needs": "CV and job applications",
        "postcode_district": "NW1",
        "urgency": "routine",
        "provider": "Council Employment Team",
        "state": "closed",
        "accepted_at": "2026-11-16 06:00",
        "contacted_at": "2026-11-17 00:00",
        "closed_at": "2026-11-19 12:00",
        "outcome": "started_support",
        "declines": "1",
    }
    assert (by_ref["HO-0005"]["state"], by_ref["HO-0005"]["declines"]) == ("withdrawn", "2")
    assert by_ref["HO-0006"]["needs"] == "Self-employment"
    assert by_ref["HO-0006"]["provider"] == ""
    assert by_ref["HO-0008"]["state"] == "pending"
    for secret in (NAME, "Samira", PHONE, "07911", EMAIL, ACCESS, CONTEXT, "retail"):
        assert secret.lower() not in text.lower()
    for note in (DECLINE_NOTE, OUTCOME_NOTE, "consent", "agreed", ADVISER, STAFF):
        assert note.lower() not in text.lower()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def sample_digest() -> Digest:
    """The fortnight's digest as ``test_the_fortnight`` computes it, written out."""
    this = WeekFigures(
        start=START,
        end=END,
        raised=6,
        accepted=3,
        declined=3,
        rerouted=2,
        unmatched=2,
        withdrawn=1,
        first_contacts=2,
        closed_by_outcome={"started_support": 1, "resident_declined": 1},
        accept_median=2 * H,
        accept_p90=timedelta(hours=5.2),
        contact_median=15 * H,
        contact_p90=timedelta(hours=22.2),
    )
    last = WeekFigures(
        start=at(9),
        end=START,
        raised=2,
        accepted=2,
        first_contacts=1,
        closed_by_outcome={"started_support": 1},
        accept_median=3 * H,
        accept_p90=timedelta(hours=3.8),
        contact_median=24 * H,
        contact_p90=24 * H,
    )
    providers = [
        ProviderRow("town-hall", "Council Employment Team", 2, 1, {"out_of_area": 1}, 0, 6 * H),
        ProviderRow("cv-clinic", "Northside CV Clinic", 4, 1, CLINIC_DECLINES, 1, 1 * H),
        ProviderRow("esol-hub", "Riverside ESOL Hub", 1, 1, {}, 3, 2 * H),
        ProviderRow("youth-futures", "Youth Futures"),
    ]
    weeks = [weeks_before(START, n, "Europe/London") for n in range(7, -1, -1)]
    outcomes = [*[{}] * 6, {"started_support": 1}, {**this.closed_by_outcome, "withdrawn": 1}]
    return Digest(
        start=START,
        end=END,
        this_week=this,
        last_week=last,
        providers=providers,
        gaps={"cv": 1, "self_employment": 1},
        bounced=["HO-0005"],
        trend=list(zip(weeks, outcomes, strict=True)),
        timezone="Europe/London",
        now=NOW,
    )


CLINIC_DECLINES = {"not_eligible": 1, "at_capacity": 1}


def test_the_chart_is_a_png_that_follows_the_data():
    digest = sample_digest()
    chart = digest_chart(digest)
    assert _png_size(chart) == (1200, 700)
    assert digest_chart(digest) == chart  # the same data, the same bytes
    # Nothing finished and nothing accepted: both plots say so, and the picture changes.
    empty = replace(
        digest,
        trend=[(week, {}) for week, _ in digest.trend],
        providers=[replace(row, accept_median=None) for row in digest.providers],
    )
    other = digest_chart(empty)
    assert _png_size(other) == (1200, 700) and other != chart


def check_the_message_validates_and_shows_the_numbers(story):
    digest = digest_of(story)
    message = digest_message(digest, story.network)
    assert validate_message_blocks(message.blocks) == []
    assert len(message.blocks) <= 50
    shown = "\n".join(_texts(message.blocks))
    assert message.blocks[0]["type"] == "header"
    assert "Mon 16 Nov to Sun 22 Nov 2026" in message.blocks[0]["text"]["text"]
    assert "*This week, compared with last week*" in shown
    assert "*Raised*\n6 ↑ from 2" in shown
    assert "*Accepted*\n3 ↑ from 2" in shown
    assert "*Declined*\n3 ↑ from 0" in shown
    assert "*Re-routed*\n2 ↑ from 0" in shown
    assert "*First contacts*\n2 ↑ from 1" in shown
    assert "*Closed*\n2 ↑ from 1" in shown
    assert "Started support 1, as last week" in shown
    assert "Resident declined 1 ↑ from 0" in shown
    assert "median 2 working hours ↓ from 3 working hours" in shown
    assert "90th percentile 5.2 working hours ↑ from 3.8 working hours" in shown
    assert "median 15 working hours ↓ from 24 working hours" in shown
    assert (
        "*Northside CV Clinic*: received 4 · accepted 1 · declined 2 (not eligible 1, "
        "at capacity 1) · *1 overdue now* · median to accept 1 working hour"
    ) in shown
    assert "*Riverside ESOL Hub*: received 1 · accepted 1 · declined 0 · *3 overdue now*" in shown
    assert "_No handovers this week_: Youth Futures" in shown
    assert "• CV and job applications: 1 handover" in shown
    assert "• Self-employment: 1 handover" in shown
    assert "declined twice or more this week: HO-0005" in shown
    assert "chart and a CSV" in shown
    assert "raised 6, up from 2; accepted 3, up from 2" in message.text
    assert "4 overdue now" in message.text
    assert NAME not in str(message.blocks) and CONTEXT not in str(message.blocks)


def test_a_big_network_still_fits_in_one_message(network):
    digest = sample_digest()
    row = digest.providers[1]
    many = [replace(row, id=f"p{i}", name=f"Provider number {i} " + "x" * 80) for i in range(900)]
    big = replace(digest, providers=many, bounced=[f"HO-{i:04d}" for i in range(1, 500)])
    message = digest_message(big, network)
    assert validate_message_blocks(message.blocks) == []
    assert len(message.blocks) == 50
    assert "and 439 more" in str(message.blocks)
    assert "see the CSV" in str(message.blocks[-5:])


def test_working_hours_words():
    assert working_hours(None) == "—"
    assert working_hours(timedelta(hours=3.5)) == "3.5 working hours"
    assert working_hours(H) == "1 working hour"
    assert working_hours(timedelta(minutes=45)) == "45 working minutes"


def test_with_the_real_working_time(db, network):
    worktime = pytest.importorskip("bot.followup.worktime")
    if not hasattr(worktime, "WorkingTime"):
        pytest.skip("bot.followup.worktime.WorkingTime is not written yet")
    working = worktime.WorkingTime.from_network(network)
    story = fortnight(db, network, working)
    digest = digest_of(story, working_time=working)
    # Mon-Fri 09:00-17:00: HO-0004 raised 00:00, accepted 06:00, before the day began: 0;
    # HO-0007 10:00 → 12:00: 2h; HO-0009 10:00 → 11:00: 1h. Median 1h.
    assert digest.this_week.accept_median == H
    # HO-0004 raised Mon 00:00, contacted Tue 00:00: Monday's 8 working hours;
    # HO-0007 10:00 → 16:00: 6h. Median 7h.
    assert digest.this_week.contact_median == 7 * H
    rows = {r.id: r for r in digest.providers}
    # HO-0008 arrived Thu 10:00; a working day later is Fri 10:00: overdue on Monday.
    # HO-0001 contacted Tue 3 Nov 10:00: 14 working days later is Mon 23 Nov 10:00,
    # an hour after the digest: not overdue yet (unlike on the wall clock).
    assert rows["cv-clinic"].overdue_now == 1
    assert rows["esol-hub"].overdue_now == 1  # HO-0003's promised day only
    message = digest_message(digest, story.network)
    assert validate_message_blocks(message.blocks) == []


# Building the fortnight through the real service takes most of the time, so one test
# builds it and runs every check on it (on SQLite, then on PostgreSQL).


def test_the_fortnight(db, network):
    story = fortnight(db, network)
    check_this_week_against_last_week(story)
    check_per_provider_rows(story)
    check_overdue_moves_with_now(story)
    check_gaps_bounced_and_trend(story)
    check_a_quiet_week_has_zeros_and_no_times(story)
    check_the_message_validates_and_shows_the_numbers(story)
    check_the_csv_has_the_weeks_handovers_and_no_personal_details(story)
    # The figures as written out for the pure tests above are the ones computed.
    assert digest_of(story) == sample_digest()
    check_kept_working_times_are_read_and_older_events_worked_out(story)


class DoubleClock(WallClock):
    """Another network's working time: every hour counts twice."""

    def between(self, a: datetime, b: datetime) -> timedelta:
        return 2 * (b - a)


def check_kept_working_times_are_read_and_older_events_worked_out(story):
    # Each accepted and contacted event keeps the working time the service measured then
    # (here, the wall clock's): the digest reads it rather than working it out again.
    with story.sessions() as session:
        kept = session.exec(
            select(HandoverEvent.kind, HandoverEvent.working_seconds)
            .where(col(HandoverEvent.kind).in_([EventKind.ACCEPTED, EventKind.CONTACTED]))
            .order_by(HandoverEvent.id)
        ).all()
    assert kept[:3] == [(EventKind.ACCEPTED, 2 * 3600), (EventKind.CONTACTED, 24 * 3600),
                        (EventKind.ACCEPTED, 4 * 3600)]  # fmt: skip
    kept_digest = digest_of(story, working_time=DoubleClock())
    assert (kept_digest.this_week.accept_median, kept_digest.this_week.contact_median) == (
        2 * H,
        15 * H,
    )
    # Events written before the column (NULL) are worked out with the digest's clock.
    with story.sessions() as session:
        session.execute(update(HandoverEvent).values(working_seconds=None))
        session.commit()
    assert digest_of(story) == sample_digest()
    older = digest_of(story, working_time=DoubleClock())
    assert (older.this_week.accept_median, older.this_week.contact_median) == (4 * H, 30 * H)


def _texts(blocks):
    for block in blocks:
        if "text" in block and isinstance(block["text"], dict):
            yield block["text"]["text"]
        for item in block.get("fields", []) + block.get("elements", []):
            if isinstance(item, dict) and "text" in item:
                yield item["text"]


def test_the_csv_writes_times_in_the_networks_zone_in_summer_too(db, network):
    """In July London is an hour ahead of UTC: the file says London's time, on either
    database (PostgreSQL writes the times itself)."""
    story = Story(db, network)
    july = datetime(2026, 7, 14, 23, 30, tzinfo=UTC)  # 00:30 on Wednesday 15 July, in London
    story.clock._now = july - H  # the story starts in November: this one in the summer
    ref = story.raised(july, "cv")
    story.accept(july + 2 * H, ref, date(2026, 7, 17))
    with story.sessions() as session:
        text = week_csv(
            session,
            start=datetime(2026, 7, 12, 23, tzinfo=UTC),
            end=datetime(2026, 7, 19, 23, tzinfo=UTC),
            network=network,
        )
    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["created"], row["accepted_at"]) == ("2026-07-15 00:30", "2026-07-15 02:30")
    assert row["contacted_at"] == "" and row["closed_at"] == ""
