"""Working time: hours, bank holidays, clock changes, and the arithmetic on them."""

from __future__ import annotations

import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.followup.worktime import (
    WorkingSpan,
    WorkingTime,
    add_working_days,
    bank_holidays,
    parse_working_hours,
)
from tests.network import test_network as the_test_network

LONDON = ZoneInfo("Europe/London")
OFFICE = WorkingTime()  # Mon-Fri 09:00-17:00, Europe/London, bank holidays off


def local(*parts: int, tz: ZoneInfo = LONDON) -> datetime:
    """A London wall-clock time, as the UTC instant the functions are given."""
    return datetime(*parts, tzinfo=tz).astimezone(UTC)


def wall(moment: datetime, tz: ZoneInfo = LONDON) -> datetime:
    """What the clocks show at ``moment``, without a zone, for easy comparison."""
    return moment.astimezone(tz).replace(tzinfo=None)


HOURS = timedelta(hours=1)


# -- the edges the issue names ------------------------------------------------------------


@pytest.mark.parametrize(
    "friday",
    [date(2026, 11, 20), date(2026, 6, 19)],  # one in GMT, one in BST
)
def test_friday_1659_plus_two_minutes_is_monday_0901(friday):
    due = OFFICE.add(local(*friday.timetuple()[:3], 16, 59), timedelta(minutes=2))
    monday = friday + timedelta(days=3)
    assert wall(due) == datetime.combine(monday, time(9, 1))
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Thursday before Easter: Good Friday and Easter Monday are both off.
        (datetime(2026, 4, 2, 15), datetime(2026, 4, 7, 15)),
        # Friday before the late May bank holiday (2027) and the August one (2026).
        (datetime(2027, 5, 28, 14), datetime(2027, 6, 1, 14)),
        (datetime(2026, 8, 28, 14), datetime(2026, 9, 1, 14)),
        # Christmas 2026: Friday 25th, Boxing Day on Saturday, substitute Monday 28th.
        (datetime(2026, 12, 24, 14), datetime(2026, 12, 29, 14)),
        # Christmas 2027 falls at the weekend: substitutes Monday 27th and Tuesday 28th.
        (datetime(2027, 12, 24, 14), datetime(2027, 12, 29, 14)),
    ],
)
def test_one_day_over_a_bank_holiday(start, expected):
    due = OFFICE.add(local(*start.timetuple()[:5]), timedelta(days=1))
    assert wall(due) == expected


def test_the_bank_holidays_come_from_the_holidays_package():
    days_2027 = bank_holidays(2027)
    assert date(2027, 12, 27) in days_2027  # Christmas Day (substitute)
    assert date(2027, 12, 28) in days_2027  # Boxing Day (substitute)
    assert date(2027, 3, 29) in days_2027  # Easter Monday
    assert date(2022, 9, 19) in bank_holidays(2022)  # a one-off: the state funeral
    assert date(2026, 11, 25) not in bank_holidays(2026)


def test_clocks_going_forward_in_march():
    # Sunday 29 March 2026, 01:00 GMT -> 02:00 BST.
    friday = local(2026, 3, 27, 16)
    due = OFFICE.add(friday, 2 * HOURS)
    assert wall(due) == datetime(2026, 3, 30, 10)  # 10:00 on the clocks, BST
    assert due == datetime(2026, 3, 30, 9, tzinfo=UTC)
    # Working hours, not wall hours: three days of 8 hours, not 3d8h minus the lost hour.
    assert OFFICE.between(local(2026, 3, 27, 9), local(2026, 3, 30, 17)) == 16 * HOURS
    # One working day from Friday morning lands on Monday morning at the same clock time.
    assert wall(OFFICE.add(local(2026, 3, 27, 11), timedelta(days=1))) == datetime(2026, 3, 30, 11)


def test_clocks_going_back_in_october():
    # Sunday 25 October 2026, 02:00 BST -> 01:00 GMT.
    friday = local(2026, 10, 23, 16)
    due = OFFICE.add(friday, 2 * HOURS)
    assert wall(due) == datetime(2026, 10, 26, 10)  # 10:00 on the clocks, GMT
    assert due == datetime(2026, 10, 26, 10, tzinfo=UTC)
    assert OFFICE.between(local(2026, 10, 23, 9), local(2026, 10, 26, 17)) == 16 * HOURS
    assert wall(OFFICE.add(local(2026, 10, 23, 11), timedelta(days=1))) == datetime(
        2026, 10, 26, 11
    )


def test_clock_changes_in_2027_too():
    # The last Sundays: 28 March and 31 October 2027. Easter 2027 is the same weekend:
    # from Thursday evening, over Good Friday, the clock change and Easter Monday.
    assert wall(OFFICE.add(local(2027, 3, 25, 16, 30), HOURS)) == datetime(2027, 3, 30, 9, 30)
    assert wall(OFFICE.add(local(2027, 10, 29, 16, 30), HOURS)) == datetime(2027, 11, 1, 9, 30)


def test_weekend_hours_on_the_day_the_clocks_change():
    every_day = WorkingTime("Mon-Sun 09:00-17:00")
    assert wall(every_day.add(local(2026, 3, 28, 16), 2 * HOURS)) == datetime(2026, 3, 29, 10)
    assert wall(every_day.add(local(2026, 10, 24, 16), 2 * HOURS)) == datetime(2026, 10, 25, 10)
    # Round the clock by the hours: the short day has 23 real hours, the long one 25.
    full = WorkingTime("Mon-Sun 00:00-24:00", bank_holidays=False)
    assert full.between(local(2026, 3, 29), local(2026, 3, 30)) == 23 * HOURS
    assert full.between(local(2026, 10, 25), local(2026, 10, 26)) == 25 * HOURS


def test_hours_inside_the_skipped_and_the_repeated_hour():
    # 01:30 never happens on 29 March 2026: the period starts when the clocks jump.
    gap = WorkingTime("Sun 01:30-03:00", bank_holidays=False)
    assert gap.next_working(datetime(2026, 3, 29, 0, tzinfo=UTC)) == datetime(
        2026, 3, 29, 1, tzinfo=UTC
    )
    assert gap.between(local(2026, 3, 29), local(2026, 3, 29, 12)) == HOURS
    # 01:00-02:00 happens twice on 25 October 2026: from the first 01:00, two real hours.
    twice = WorkingTime("Sun 01:00-02:00", bank_holidays=False)
    assert twice.next_working(datetime(2026, 10, 24, 23, tzinfo=UTC)) == datetime(
        2026, 10, 25, 0, tzinfo=UTC
    )
    assert twice.between(local(2026, 10, 25), local(2026, 10, 25, 12)) == 2 * HOURS


def test_a_zone_whose_clocks_change_at_midnight():
    # Chile goes back from 24:00 Saturday to 23:00, and forward from 00:00 Sunday to 01:00.
    santiago = ZoneInfo("America/Santiago")
    full = WorkingTime("Mon-Sun 00:00-24:00", "America/Santiago", bank_holidays=False)
    a, b = local(2026, 4, 3, 12, tz=santiago), local(2026, 4, 6, 12, tz=santiago)
    assert full.between(a, b) == b - a == 73 * HOURS
    c, d = local(2026, 9, 5, 12, tz=santiago), local(2026, 9, 7, 12, tz=santiago)
    assert full.between(c, d) == d - c == 47 * HOURS
    assert full.add(a, timedelta(hours=73)) == b


# -- always -------------------------------------------------------------------------------


def test_always_is_every_moment_bank_holidays_included():
    always = WorkingTime("always")
    christmas_night = local(2026, 12, 25, 3)
    assert always.is_working(christmas_night)
    assert always.next_working(christmas_night) == christmas_night
    assert always.add(christmas_night, 90 * timedelta(minutes=1)) == christmas_night + timedelta(
        minutes=90
    )
    assert always.day_length == timedelta(days=1)
    assert always.add(christmas_night, timedelta(days=2)) == christmas_night + timedelta(days=2)
    assert always.between(christmas_night, christmas_night + timedelta(days=9)) == timedelta(days=9)
    # Across the clock change a day is 24 real hours, so the clocks read an hour on.
    saturday = local(2026, 10, 24, 12)
    assert wall(always.add(saturday, timedelta(days=1))) == datetime(2026, 10, 25, 11)
    assert always.add_days(date(2026, 12, 24), 2) == date(2026, 12, 26)


# -- night, weekends, holidays: when a reminder arrives ------------------------------------


@pytest.mark.parametrize(
    ("due", "arrives"),
    [
        (datetime(2026, 11, 24, 22, 30), datetime(2026, 11, 25, 9)),  # Tuesday night
        (datetime(2026, 11, 25, 7, 0), datetime(2026, 11, 25, 9)),  # before opening
        (datetime(2026, 11, 25, 17, 0), datetime(2026, 11, 26, 9)),  # as the office closes
        (datetime(2026, 11, 28, 13, 0), datetime(2026, 11, 30, 9)),  # Saturday
        (datetime(2026, 12, 24, 18, 0), datetime(2026, 12, 29, 9)),  # Christmas Eve evening
        (datetime(2026, 12, 31, 23, 59), datetime(2027, 1, 4, 9)),  # over New Year's Day
        (datetime(2026, 11, 25, 11, 15), datetime(2026, 11, 25, 11, 15)),  # in hours
        (datetime(2026, 11, 25, 9, 0), datetime(2026, 11, 25, 9, 0)),  # opening time
    ],
)
def test_a_reminder_falling_due_out_of_hours_arrives_at_the_next_start(due, arrives):
    moment = local(*due.timetuple()[:5])
    assert wall(OFFICE.next_working(moment)) == arrives
    assert OFFICE.add(moment, timedelta(0)) == OFFICE.next_working(moment)
    assert OFFICE.is_working(moment) == (arrives == due)


def test_a_duration_ending_as_the_office_closes_lands_on_the_next_start():
    assert wall(OFFICE.add(local(2026, 11, 27, 16), HOURS)) == datetime(2026, 11, 30, 9)


# -- between ------------------------------------------------------------------------------


def test_between_skips_weekends_and_bank_holidays():
    # Fri 18 Dec 2026 09:00 to Fri 8 Jan 2027 09:00: 12 working days (25th, 28th, 1st off).
    assert OFFICE.between(local(2026, 12, 18, 9), local(2027, 1, 8, 9)) == 96 * HOURS
    # Over a weekend, Friday 16:00 to Monday 10:00: two hours.
    assert OFFICE.between(local(2026, 11, 27, 16), local(2026, 11, 30, 10)) == 2 * HOURS
    # Within a bank holiday weekend nothing passes.
    assert OFFICE.between(local(2026, 4, 3, 9), local(2026, 4, 6, 23)) == timedelta(0)


def test_between_a_whole_year():
    # 2026: 261 weekdays, 8 of them bank holidays.
    year = OFFICE.between(local(2026, 1, 1), local(2027, 1, 1))
    assert year == 253 * 8 * HOURS
    assert OFFICE.between(local(2026, 1, 1), local(2029, 1, 1)) == sum(
        (OFFICE.between(local(y, 1, 1), local(y + 1, 1, 1)) for y in (2026, 2027, 2028)),
        timedelta(0),
    )


def test_between_backwards_or_equal_is_nothing():
    a, b = local(2026, 11, 25, 10), local(2026, 11, 26, 10)
    assert OFFICE.between(b, a) == timedelta(0)
    assert OFFICE.between(a, a) == timedelta(0)


def test_between_and_add_are_fast_enough_for_a_benchmark():
    start = local(2026, 1, 5, 9)
    ends = [start + timedelta(hours=7 * i + 3) for i in range(3000)]
    began = stopwatch.perf_counter()
    for end in ends:
        OFFICE.between(start, end)
        OFFICE.add(end, timedelta(days=14))
    assert stopwatch.perf_counter() - began < 3.0  # a few milliseconds in practice


# -- durations ----------------------------------------------------------------------------


def test_whole_days_are_working_days_and_hours_are_hours():
    wednesday = local(2026, 11, 25, 10)
    assert OFFICE.working(timedelta(days=2)) == 16 * HOURS
    assert OFFICE.working("2d") == 16 * HOURS
    assert OFFICE.working("4h") == 4 * HOURS
    assert OFFICE.working(timedelta(hours=36)) == 36 * HOURS
    # A timedelta can't tell 48h from 2d; the text can.
    assert OFFICE.working(timedelta(hours=48)) == 16 * HOURS
    assert OFFICE.working("48h") == 48 * HOURS
    assert wall(OFFICE.add(wednesday, "48h")) == datetime(2026, 12, 3, 10)
    assert wall(OFFICE.add(wednesday, timedelta(days=14))) == datetime(2026, 12, 15, 10)
    assert wall(OFFICE.add(wednesday, 90)) == datetime(2026, 11, 25, 10, 1, 30)


def test_what_between_returns_adds_back_as_it_is():
    start = local(2026, 11, 23, 9)  # Monday
    later = local(2026, 11, 26, 9)  # Thursday: exactly 24 working hours on
    span = OFFICE.between(start, later)
    assert isinstance(span, WorkingSpan)
    assert span == timedelta(days=1)
    assert OFFICE.add(start, span) == later  # not Tuesday 09:00
    assert wall(OFFICE.add(start, timedelta(days=1))) == datetime(2026, 11, 24, 9)


def test_durations_that_make_no_sense_are_refused():
    with pytest.raises(ValueError, match="negative"):
        OFFICE.add(local(2026, 11, 25, 10), timedelta(hours=-1))
    with pytest.raises(ValueError, match="not a duration"):
        OFFICE.add(local(2026, 11, 25, 10), "two days")
    with pytest.raises(ValueError, match="no timezone"):
        OFFICE.add(datetime(2026, 11, 25, 10), HOURS)
    with pytest.raises(ValueError, match="not a timezone"):
        WorkingTime("Mon-Fri 09:00-17:00", "Europe/Londn")


# -- uneven hours -------------------------------------------------------------------------


def test_uneven_hours():
    short_friday = WorkingTime("Mon-Thu 09:00-17:00, Fri 09:00-16:30")
    assert short_friday.day_length == 8 * HOURS  # the most common day
    assert wall(short_friday.add(local(2026, 11, 27, 16), HOURS)) == datetime(2026, 11, 30, 9, 30)
    assert wall(short_friday.add(local(2026, 11, 26, 10), timedelta(days=1))) == datetime(
        2026, 11, 27, 10
    )
    assert wall(short_friday.add(local(2026, 11, 27, 10), timedelta(days=1))) == datetime(
        2026, 11, 30, 10, 30
    )
    assert short_friday.between(local(2026, 11, 23), local(2026, 11, 30)) == 39.5 * HOURS


def test_a_lunch_break_and_a_tie():
    lunch = WorkingTime("Mon-Fri 09:00-12:30 13:30-17:00")
    assert lunch.day_length == 7 * HOURS
    assert wall(lunch.add(local(2026, 11, 25, 12), HOURS)) == datetime(2026, 11, 25, 14)
    assert not lunch.is_working(local(2026, 11, 25, 13))
    tie = WorkingTime("Mon-Tue 09:00-17:00, Wed-Thu 09:00-15:00")
    assert tie.day_length == 8 * HOURS  # two of each: the longer


def test_some_days_only():
    three = WorkingTime("Mon,Wed,Fri 10:00-14:00")
    assert wall(three.add(local(2026, 11, 23, 13), 2 * HOURS)) == datetime(2026, 11, 25, 11)
    assert three.add_days(date(2026, 11, 23), 1) == date(2026, 11, 25)
    assert three.add_days(date(2026, 11, 27), 1) == date(2026, 11, 30)
    assert not three.is_working_day(date(2026, 11, 24))


# -- the property: adding what has passed gets you to the next working moment -------------

SCHEDULES = [
    OFFICE,
    WorkingTime("Mon-Thu 09:00-17:00, Fri 09:00-16:30"),
    WorkingTime("Mon-Fri 09:00-12:30 13:30-17:00"),
    WorkingTime("Mon,Wed,Fri 10:00-14:00, Sat 10:00-12:00"),
    WorkingTime("Sun 01:30-03:00, Sun 00:00-01:00, Tue 23:00-24:00, Wed 00:00-02:00"),
    WorkingTime("always"),
    WorkingTime("Mon-Sun 00:00-24:00", "America/Santiago", bank_holidays=False),
    WorkingTime("Mon-Fri 08:30-18:00", "America/New_York"),
]

moments = st.datetimes(
    min_value=datetime(2025, 12, 20), max_value=datetime(2028, 1, 10), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None, database=None)
@given(clock=st.sampled_from(SCHEDULES), a=moments, b=moments)
def test_adding_what_has_passed_lands_on_the_next_working_moment(clock, a, b):
    start, x = min(a, b), max(a, b)
    assert clock.add(start, clock.between(start, x)) == clock.next_working(x)


@settings(max_examples=200, deadline=None, database=None)
@given(clock=st.sampled_from(SCHEDULES), a=moments, b=moments, c=moments)
def test_between_adds_up_and_add_undoes_it(clock, a, b, c):
    a, b, c = sorted((a, b, c))
    assert clock.between(a, b) + clock.between(b, c) == clock.between(a, c)
    assert clock.between(a, c) <= c - a
    span = clock.between(b, c)
    assert clock.between(a, clock.add(a, span)) == span
    arrives = clock.next_working(a)
    assert arrives >= a
    assert clock.is_working(arrives)
    assert clock.is_working(a) == (arrives == a)


def _office_by_hand(a: datetime, b: datetime) -> timedelta:
    """Office hours between a and b, the slow obvious way: day by day in London."""
    total = timedelta(0)
    day = a.astimezone(LONDON).date() - timedelta(days=1)
    while day <= b.astimezone(LONDON).date():
        if day.weekday() < 5 and day not in bank_holidays(day.year):
            opens = datetime.combine(day, time(9), tzinfo=LONDON).astimezone(UTC)
            closes = datetime.combine(day, time(17), tzinfo=LONDON).astimezone(UTC)
            total += max(min(closes, b) - max(opens, a), timedelta(0))
        day += timedelta(days=1)
    return total


@settings(max_examples=200, deadline=None, database=None)
@given(a=moments, b=moments)
def test_office_between_agrees_with_counting_by_hand(a, b):
    a, b = min(a, b), max(a, b)
    assert OFFICE.between(a, b) == _office_by_hand(a, b)


# -- reading the hours --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Mon-Fri 09:00-17:00", "Mon-Fri 09:00-17:00"),
        ("Mon-Thu 09:00-17:00, Fri 09:00-16:30", "Mon-Thu 09:00-17:00, Fri 09:00-16:30"),
        ("Mon,Wed,Fri 10:00-14:00", "Mon 10:00-14:00, Wed 10:00-14:00, Fri 10:00-14:00"),
        ("mon - fri 9:00 - 17:00", "Mon-Fri 09:00-17:00"),
        ("Monday\u2013Friday 09:00\u201317:00", "Mon-Fri 09:00-17:00"),
        ("Mon-Fri 09:00-12:30 13:30-17:00", "Mon-Fri 09:00-12:30 13:30-17:00"),
        ("Mon-Fri 09:00-12:00, Mon-Fri 12:00-17:00", "Mon-Fri 09:00-17:00"),
        ("Sat-Sun 00:00-24:00", "Sat-Sun 00:00-24:00"),
        ("Always", "always"),
    ],
)
def test_working_hours_that_read(text, written):
    assert str(parse_working_hours(text)) == written


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("Mon-Fri 17:00-09:00", "ends before it starts"),
        ("Mon-Fri 09:00-09:00", "no time at all"),
        ("Mun-Fri 09:00-17:00", "'Mun' is not a day"),
        ("Mon-Fro 09:00-17:00", "'Fro' is not a day"),
        ("Mon-Fri 25:00-26:00", "'25:00' is not a time"),
        ("Mon-Fri 09:60-17:00", "'09:60' is not a time"),
        ("Mon-Fri 9am-5pm", "is not a time"),
        ("Mon-Fri 24:00-24:00", "'24:00' is not a time"),
        ("Mon-Fri 09:00", "not a time range"),
        ("Mon-Fri", "has days but no hours"),
        ("09:00-17:00", "has hours but no days"),
        ("Fri-Mon 09:00-17:00", "runs backwards"),
        ("Mon-Fri 09:00-17:00,", "empty part"),
        ("Mon-Fri 09:00-17:00, Fri 12:00-18:00", "overlapping hours on Fri"),
        ("sometimes", "'sometimes' is not a day"),
    ],
)
def test_working_hours_that_do_not_read(text, says):
    with pytest.raises(ValueError, match=says):
        parse_working_hours(text)
    with pytest.raises(ValueError, match=says):
        WorkingTime(text)


# -- the network and the promised dates ---------------------------------------------------


def test_from_the_network_file():
    clock = WorkingTime.from_network(the_test_network())
    assert clock.timezone == "Europe/London"
    assert str(clock.hours) == "Mon-Fri 09:00-17:00"
    assert clock is WorkingTime.from_network(the_test_network())  # its tables are kept


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 4, 2), 1, date(2026, 4, 7)),  # Thursday, over Easter
        (date(2026, 8, 28), 1, date(2026, 9, 1)),  # Friday, over the August bank holiday
        (date(2026, 12, 23), 2, date(2026, 12, 29)),  # over Christmas and its substitute
        (date(2027, 12, 24), 1, date(2027, 12, 29)),  # two substitute days
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # a plain weekend
        (date(2026, 11, 25), 2, date(2026, 11, 27)),
        (date(2026, 11, 25), 0, date(2026, 11, 25)),
        (date(2026, 11, 25), -3, date(2026, 11, 25)),
    ],
)
def test_add_working_days_skips_weekends_and_bank_holidays(start, days, expected):
    assert add_working_days(start, days) == expected
    assert OFFICE.add_days(start, days) == expected
