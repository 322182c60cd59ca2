"""Working time: the clock that reminders are counted in.

A network works the hours in its file (``Mon-Fri 09:00-17:00``, or ``always``) in its
own timezone, and not on England and Wales bank holidays. Everything here takes
timezone-aware datetimes and gives back UTC ones; the arithmetic happens in the
network's timezone, so the clock changes in March and October come out right and
working time is real elapsed time (an hour of work is an hour, whatever the clocks do).

How durations read (``parse_duration`` in bot/directory/network.py makes them):

* seconds, minutes and hours are working time as they are: ``4h`` is four working hours;
* a duration of whole days is working *days*: ``2d`` is twice the length of the typical
  working day (8 hours for 09:00-17:00, 24 hours for ``always``). When the days are
  uneven (``Mon-Thu 09:00-17:00, Fri 09:00-16:30``) the typical day is the most common
  day length (8 hours there; on a tie, the longest);
* a timedelta cannot tell ``48h`` from ``2d``, so a whole number of days always reads as
  working days; pass the text (``add(start, "48h")``) to mean 48 working hours;
* what ``between`` returns is a :class:`WorkingSpan`: working time already, which ``add``
  takes as it is, so ``add(start, between(start, x)) == next_working(x)``.

A duration that ends exactly as a working period ends lands on the start of the next
one (Friday 16:00 plus 1 hour is Monday 09:00, not Friday 17:00): working periods are
half-open, and a reminder never falls due as the office closes.

Speed: the working periods of a year are laid out once (per WorkingTime, on first use)
with their running total of working time, so ``is_working``, ``next_working``, ``add``
and ``between`` are a bisection or two, not a walk.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "WorkingHours",
    "WorkingSpan",
    "WorkingTime",
    "add_working_days",
    "bank_holidays",
    "parse_working_hours",
]

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_MINUTES_A_DAY = 24 * 60
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_DAY_US = 24 * 3600 * 1_000_000
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_US = {"s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000}


# -- bank holidays ------------------------------------------------------------------------


@cache
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays in ``year``, substitute days included.

    From the ``holidays`` package (GB, England; Wales has the same days), so one-off
    days such as a state funeral are there too. Cached per year.
    """
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def _is_bank_holiday(day: date) -> bool:
    return day in bank_holidays(day.year)


# -- working hours ------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingHours:
    """Parsed working hours.

    ``week`` has seven entries, Monday first; each is the sorted, disjoint
    ``(start, end)`` minutes after midnight worked that day (``end`` may be 1440,
    midnight at the end of the day). ``always`` is round the clock, every day,
    bank holidays included.
    """

    week: tuple[tuple[tuple[int, int], ...], ...]
    always: bool = False

    @property
    def typical_day(self) -> timedelta:
        """How long ``1d`` of working time is: the most common day length (ties: longest)."""
        if self.always:
            return timedelta(days=1)
        lengths = Counter(sum(end - start for start, end in day) for day in self.week if day)
        minutes = max(lengths, key=lambda length: (lengths[length], length))
        return timedelta(minutes=minutes)

    def works_on(self, weekday: int) -> bool:
        return self.always or bool(self.week[weekday])

    def __str__(self) -> str:
        """The hours written the way a network file writes them (``Mon-Fri 09:00-17:00``)."""
        if self.always:
            return "always"
        parts = []
        index = 0
        while index < 7:
            last = index
            while last + 1 < 7 and self.week[last + 1] == self.week[index]:
                last += 1
            if self.week[index]:
                days = _SHORT[index] if last == index else f"{_SHORT[index]}-{_SHORT[last]}"
                times = " ".join(f"{_clock(a)}-{_clock(b)}" for a, b in self.week[index])
                parts.append(f"{days} {times}")
            index = last + 1
        return ", ".join(parts)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_working_hours(text: str) -> WorkingHours:
    """``always``, or segments like ``Mon-Thu 09:00-17:00, Fri 09:00-16:30``.

    A segment is one or more days (``Mon``, ``Mon-Fri``, ``Mon,Wed,Fri``; full names
    work too, in any case) then one or more time ranges (``09:00-12:30 13:30-17:00``
    for a lunch break). Hours end by midnight (``24:00``) at the latest. A day given
    twice may not overlap itself. Anything else is a ValueError with one sentence
    saying what is wrong, in the style of ``parse_duration``.
    """
    original = str(text)
    cleaned = re.sub(r"[\u2010-\u2015]", "-", original).strip()
    if not cleaned:
        raise ValueError("working hours are empty: write them like 'Mon-Fri 09:00-17:00'")
    if cleaned.lower() == "always":
        full = ((0, _MINUTES_A_DAY),)
        return WorkingHours(week=(full,) * 7, always=True)
    cleaned = re.sub(r"\s*-\s*", "-", cleaned)
    cleaned = re.sub(r"\s*,\s*", ",", cleaned)

    given: list[list[tuple[int, int, str]]] = [[] for _ in range(7)]
    pending: list[str] = []  # "Mon" of "Mon,Wed 10:00-14:00": days waiting for their hours
    for token in cleaned.split(","):
        parts = token.split()
        if not parts:
            raise ValueError(f"{original!r} has an empty part between commas")
        if parts[0][:1].isdigit():
            raise ValueError(
                f"{token!r} has hours but no days: write them like 'Mon-Fri {parts[0]}'"
            )
        _parse_days(parts[0])  # a wrong day is named as soon as it is read
        if len(parts) == 1:
            pending.append(parts[0])
            continue
        segment = ",".join([*pending, token])
        days = _parse_days(",".join([*pending, parts[0]]))
        pending = []
        for part in parts[1:]:
            start, end = _parse_range(part)
            for day in days:
                given[day].append((start, end, segment))
    if pending:
        raise ValueError(
            f"{','.join(pending)!r} has days but no hours: write them like 'Mon-Fri 09:00-17:00'"
        )

    week = []
    for index, ranges in enumerate(given):
        merged: list[tuple[int, int]] = []
        previous = ""
        for start, end, source in sorted(ranges):
            if merged and start < merged[-1][1]:
                where = repr(source) if source == previous else f"{previous!r} and {source!r}"
                verb = "gives" if source == previous else "give"
                raise ValueError(f"{where} {verb} overlapping hours on {_SHORT[index]}")
            if merged and start == merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
            previous = source
        week.append(tuple(merged))
    return WorkingHours(week=tuple(week))


def _parse_days(text: str) -> list[int]:
    days: list[int] = []
    for piece in text.split(","):
        if "-" in piece:
            first_text, _, last_text = piece.partition("-")
            first, last = _parse_day(first_text), _parse_day(last_text)
            if last < first:
                raise ValueError(
                    f"{piece!r} runs backwards: write days in week order, like Mon-Fri or Sat-Sun"
                )
            days.extend(range(first, last + 1))
        else:
            days.append(_parse_day(piece))
    return days


def _parse_day(text: str) -> int:
    word = text.strip().lower()
    if len(word) >= 3:
        for index, name in enumerate(_DAY_NAMES):
            if name.startswith(word):
                return index
    raise ValueError(f"{text!r} is not a day: use Mon, Tue, Wed, Thu, Fri, Sat or Sun")


def _parse_range(text: str) -> tuple[int, int]:
    start_text, dash, end_text = text.partition("-")
    if not dash:
        raise ValueError(f"{text!r} is not a time range like 09:00-17:00")
    start = _parse_time(start_text, end=False)
    end = _parse_time(end_text, end=True)
    if end < start:
        raise ValueError(f"{text!r} ends before it starts (working hours cannot run past midnight)")
    if end == start:
        raise ValueError(f"{text!r} is no time at all: give hours like 09:00-17:00")
    return start, end


def _parse_time(text: str, *, end: bool) -> int:
    match = _TIME.match(text)
    if match:
        hours, minutes = int(match.group(1)), int(match.group(2))
        if minutes < 60 and (hours < 24 or (end and hours == 24 and minutes == 0)):
            return hours * 60 + minutes
    raise ValueError(f"{text!r} is not a time like 09:00 or 17:30 (24:00 only as an end)")


# -- durations ----------------------------------------------------------------------------


class WorkingSpan(timedelta):
    """A timedelta that is working time already (what ``between`` returns).

    ``add`` takes it as it is, even when it is a whole number of days; any
    arithmetic on it gives a plain timedelta back.
    """

    __slots__ = ()


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no timezone: working time needs an aware datetime")
    return (moment - _EPOCH) // _MICRO


def _moment(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


# -- the clock ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Year:
    """One local year's working periods, in UTC microseconds, with running totals."""

    begins: int  # local midnight starting 1 January, as an instant
    starts: list[int]
    ends: list[int]
    before: list[int]  # working time before each period, from the start of the year
    after: list[int]  # ... and by its end
    total: int

    def worked_by(self, instant: int) -> int:
        """Working time from the start of the year to ``instant`` (inside the year)."""
        index = bisect_right(self.starts, instant) - 1
        if index < 0:
            return 0
        return self.before[index] + min(instant, self.ends[index]) - self.starts[index]


class WorkingTime:
    """A network's working time: its hours, in its timezone, less bank holidays."""

    def __init__(
        self,
        hours: str | WorkingHours = "Mon-Fri 09:00-17:00",
        timezone: str = "Europe/London",
        *,
        bank_holidays: bool = True,
    ):
        self.hours = hours if isinstance(hours, WorkingHours) else parse_working_hours(hours)
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{timezone!r} is not a timezone like Europe/London") from None
        self.timezone = timezone
        self.bank_holidays = bank_holidays
        self.day_length = self.hours.typical_day
        self._day_us = self.day_length // _MICRO
        self._years: dict[int, _Year] = {}
        self._new_years: dict[int, int] = {}

    @classmethod
    def from_network(cls, network: Any) -> WorkingTime:
        """The working time of a loaded network file (``network.network``'s hours and zone)."""
        info = network.network
        return _shared(info.working_hours, info.timezone)

    def __repr__(self) -> str:
        return (
            f"WorkingTime({str(self.hours)!r}, {self.timezone!r}, "
            f"bank_holidays={self.bank_holidays})"
        )

    # -- days --------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` has working hours (a bank holiday has none, unless ``always``)."""
        if self.hours.always:
            return True
        if not self.hours.works_on(day.weekday()):
            return False
        return not (self.bank_holidays and _is_bank_holiday(day))

    def add_days(self, day: date, n: int) -> date:
        """The date of the ``n``-th working day after ``day`` (``day`` itself for n <= 0)."""
        current = day
        remaining = max(n, 0)
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    # -- moments -----------------------------------------------------------------------

    def is_working(self, moment: datetime) -> bool:
        """Whether ``moment`` is in working time (a period's end is not)."""
        instant = _micros(moment)
        if self.hours.always:
            return True
        year = self._year(self._year_of(moment, instant))
        index = bisect_right(year.starts, instant) - 1
        return index >= 0 and instant < year.ends[index]

    def next_working(self, moment: datetime) -> datetime:
        """``moment`` if it is in working time, else the start of the next working period."""
        instant = _micros(moment)
        if self.hours.always:
            return _moment(instant)
        number = self._year_of(moment, instant)
        year = self._year(number)
        index = bisect_right(year.starts, instant) - 1
        if index >= 0 and instant < year.ends[index]:
            return _moment(instant)
        if index + 1 < len(year.starts):
            return _moment(year.starts[index + 1])
        following = self._year(number + 1)
        return _moment(following.starts[0])

    def add(self, start: datetime, duration: timedelta | str | float) -> datetime:
        """When ``duration`` of working time has passed since ``start``.

        ``duration`` is a timedelta (whole days are working days, see the module),
        a network duration text (``90s``, ``30m``, ``4h``, ``2d``), or seconds.
        ``add(start, timedelta(0))`` is ``next_working(start)``.
        """
        amount = self.working(duration) // _MICRO
        instant = _micros(start)
        if self.hours.always:
            return _moment(instant + amount)
        number = self._year_of(start, instant)
        year = self._year(number)
        remaining = amount + year.worked_by(instant)
        while remaining >= year.total:
            remaining -= year.total
            number += 1
            year = self._year(number)
        index = bisect_right(year.after, remaining)
        return _moment(year.starts[index] + remaining - year.before[index])

    def between(self, a: datetime, b: datetime) -> WorkingSpan:
        """Working time from ``a`` to ``b`` (nothing if ``b`` is not after ``a``)."""
        first, last = _micros(a), _micros(b)
        if last <= first:
            return WorkingSpan(0)
        if self.hours.always:
            return WorkingSpan(microseconds=last - first)
        number_a, number_b = self._year_of(a, first), self._year_of(b, last)
        worked = self._year(number_b).worked_by(last) - self._year(number_a).worked_by(first)
        for number in range(number_a, number_b):
            worked += self._year(number).total
        return WorkingSpan(microseconds=worked)

    def working(self, duration: timedelta | str | float) -> WorkingSpan:
        """How much working time a duration is (``2d`` -> 16 hours for 09:00-17:00)."""
        if isinstance(duration, WorkingSpan):
            amount = duration // _MICRO
        elif isinstance(duration, timedelta):
            amount = duration // _MICRO
            if amount and amount % _DAY_US == 0:
                amount = amount // _DAY_US * self._day_us
        elif isinstance(duration, str):
            match = _DURATION.match(duration)
            if not match:
                raise ValueError(f"{duration!r} is not a duration like 90s, 30m, 4h or 2d")
            count, unit = int(match.group(1)), match.group(2)
            amount = count * (self._day_us if unit == "d" else _UNIT_US[unit])
        elif isinstance(duration, int | float) and not isinstance(duration, bool):
            amount = timedelta(seconds=duration) // _MICRO
        else:
            raise TypeError(f"{duration!r} is not a duration")
        if amount < 0:
            raise ValueError(f"{duration!r} is negative: working time only runs forward")
        return WorkingSpan(microseconds=amount)

    # -- the year tables ---------------------------------------------------------------

    def _year_of(self, moment: datetime, instant: int) -> int:
        """The local year ``instant`` falls in (by the year tables' own boundaries)."""
        number = moment.astimezone(UTC).year
        if instant < self._new_year(number):
            return number - 1
        if instant >= self._new_year(number + 1):
            return number + 1
        return number

    def _new_year(self, number: int) -> int:
        begins = self._new_years.get(number)
        if begins is None:
            begins = self._new_years[number] = self._instant(date(number, 1, 1), 0)
        return begins

    def _year(self, number: int) -> _Year:
        year = self._years.get(number)
        if year is None:
            year = self._build(number)
            self._years[number] = year
        return year

    def _build(self, number: int) -> _Year:
        starts: list[int] = []
        ends: list[int] = []
        day = date(number, 1, 1)
        one = timedelta(days=1)
        while day.year == number:
            if self.is_working_day(day):
                for start_minute, end_minute in self.hours.week[day.weekday()]:
                    start = self._instant(day, start_minute)
                    end = self._instant(day, end_minute)
                    if ends and start < ends[-1]:  # only a clock change can do this
                        start = ends[-1]
                    if end <= start:
                        continue
                    if ends and start == ends[-1]:  # runs on past midnight: one period
                        ends[-1] = end
                    else:
                        starts.append(start)
                        ends.append(end)
            day += one
        before, after, total = [], [], 0
        for start, end in zip(starts, ends, strict=True):
            before.append(total)
            total += end - start
            after.append(total)
        return _Year(self._new_year(number), starts, ends, before, after, total)

    def _instant(self, day: date, minutes: int) -> int:
        """The instant the network's clocks show ``minutes`` after midnight on ``day``.

        A time the clocks skip (the spring gap) is the moment they jump; a time they
        show twice (the autumn overlap) is its first showing.
        """
        naive = datetime.combine(day, time()) + timedelta(minutes=minutes)
        first = naive.replace(tzinfo=self.tz).astimezone(UTC)
        if first.astimezone(self.tz).replace(tzinfo=None) == naive:
            return _micros(first)
        # In the gap: the jump is between the two readings of it; find it to the second.
        low = _micros(naive.replace(tzinfo=self.tz, fold=1).astimezone(UTC)) // 1_000_000
        high = _micros(first) // 1_000_000
        offset = self._offset(low)
        while high - low > 1:
            middle = (low + high) // 2
            if self._offset(middle) == offset:
                low = middle
            else:
                high = middle
        return high * 1_000_000

    def _offset(self, seconds: int) -> timedelta | None:
        return (_EPOCH + timedelta(seconds=seconds)).astimezone(self.tz).utcoffset()


@lru_cache(maxsize=32)
def _shared(hours: str, timezone: str) -> WorkingTime:
    """One WorkingTime per network setting, so its year tables are built once."""
    return WorkingTime(hours, timezone)


@lru_cache(maxsize=1)
def _office() -> WorkingTime:
    return WorkingTime("Mon-Fri 09:00-17:00", "Europe/London")


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days (Mon-Fri, not bank holidays) after ``start``."""
    return _office().add_days(start, days)
