"""The sandbox's clock: the wall clock, except while the demo's history is being made.

Then it stands at the moment of the history's current step, so the bot's own operations
stamp their events, due times and messages with that moment, and it is moved on step by
step, never back. Released, it is the wall clock again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime


class SandboxClock:
    def __init__(self) -> None:
        self._at: datetime | None = None

    def now(self) -> datetime:
        return self._at or datetime.now(UTC)

    def move_to(self, moment: datetime) -> None:
        """Stand at ``moment`` (a later one than before: history only runs forward)."""
        if self._at is not None and moment < self._at:
            raise ValueError(f"the clock runs forward only: {moment} is before {self._at}")
        self._at = moment

    @contextmanager
    def standing(self, moment: datetime) -> Iterator[SandboxClock]:
        """Stand at ``moment`` and after it, then be the wall clock again."""
        self._at = moment
        try:
            yield self
        finally:
            self._at = None
