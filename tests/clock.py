"""A clock tests move by hand: no sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class MovableClock:
    def __init__(self, start: datetime | None = None):
        # A Wednesday morning in term time: a normal working day.
        self._now = start or datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta
