"""When a message may reach a resident: the network's daytime, in its own time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.directory.network import Network


@dataclass(frozen=True)
class Daytime:
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def of(cls, network: Network) -> Daytime:
        (h1, m1), (h2, m2) = network.notify.daytime_span
        return cls(time(h1, m1), time(h2, m2), ZoneInfo(network.network.timezone))

    def allows(self, now: datetime) -> bool:
        local = now.astimezone(self.zone).time()
        return self.start <= local < self.end

    def next_allowed(self, now: datetime) -> datetime:
        """Now if it is daytime, else the start of the next day's (a message due at night
        waits for the morning)."""
        if self.allows(now):
            return now
        local = now.astimezone(self.zone)
        day = local.date() if local.time() < self.start else local.date() + timedelta(days=1)
        return datetime.combine(day, self.start, tzinfo=self.zone).astimezone(now.tzinfo)
