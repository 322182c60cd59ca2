"""Slack's pace for one channel, as a theoretical arrival time.

Slack documents ``chat.postMessage`` at about one message a second per channel, "with short
bursts allowed" (docs.slack.dev, rate limits: "Posting messages"). Each channel's row in
``outbox_pace`` keeps when its next post would be due if posts went exactly one ``pace``
apart (the generic cell rate algorithm's theoretical arrival time). A post may go when that
time is at most ``burst - 1`` paces away, and moves it on by one pace from then (or from now,
if the channel was quiet): a quiet channel takes ``burst`` posts back to back, a busy one one
a pace. A ``429`` holds the channel by moving the time on to Retry-After plus the allowance,
so nothing goes before Slack said and the channel starts again without a burst.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Pacing:
    pace: timedelta = timedelta(seconds=1)  # between posts to one channel, in the long run
    burst: int = 3  # posts a quiet channel may take back to back
    lease: timedelta = timedelta(seconds=60)  # how long one try may hold a message
    backoff_max: timedelta = timedelta(minutes=15)
    held_retry: timedelta = timedelta(hours=1)  # a refused channel is tried again after
    batch: int = 50  # messages claimed (and in Slack's hands) at most at once
    # Posts in flight at once, to different channels: Slack answers in about 100 ms, so 8
    # carry 40 busy channels at their pace with room for their bursts.
    senders: int = 8

    @property
    def paced(self) -> bool:
        return self.pace > timedelta(0)

    @property
    def tolerance(self) -> timedelta:
        """How far ahead of now a channel's due time may be and a post still go."""
        return self.pace * (max(self.burst, 1) - 1)

    @property
    def steps(self) -> int:
        """How many thresholds there are: the most posts a channel may take at once."""
        return max(self.burst, 1)

    def thresholds(self, now: datetime) -> list[datetime]:
        """Due times at or before which a channel takes 1, 2, ... ``burst`` posts now."""
        return [now + self.pace * j for j in reversed(range(self.steps))]

    def allowance(self, due: datetime | None, now: datetime) -> int:
        """How many posts a channel whose due time is ``due`` may take now."""
        return sum(1 for at in self.thresholds(now) if due is None or due <= at)

    def after(self, due: datetime | None, now: datetime, posts: int) -> datetime:
        """The channel's due time once ``posts`` more have gone now."""
        start = now if due is None or due < now else due
        return start + self.pace * posts

    def opens(self, due: datetime) -> datetime:
        """When a channel whose due time is ``due`` may take its next post."""
        return due - self.tolerance

    def held_until(self, until: datetime) -> datetime:
        """The due time that lets nothing go before ``until`` (Slack's Retry-After)."""
        return until + self.tolerance
