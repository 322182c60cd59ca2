"""The fake Slack, with the time each call arrived: the bench observes what the bot said
and when, wherever in the bot it was said from (in the request, after ack, or an outbox)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.slack import FakeSlack


@dataclass(frozen=True)
class TimedCall:
    at: float  # time.perf_counter() when the fake answered
    method: str
    args: dict
    reply: dict


class TimedFake(FakeSlack):
    """Records (time, method, args, reply) for every Web API call and lets waiters wake."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.timed: list[TimedCall] = []
        self._arrived = threading.Condition(threading.Lock())

    def _record(self, method, args, reply, **who) -> None:
        super()._record(method, args, reply, **who)
        body = reply.body if isinstance(reply.body, dict) else {}
        call = TimedCall(time.perf_counter(), method, self._calls[-1].args, body)
        with self._arrived:
            self.timed.append(call)
            self._arrived.notify_all()

    def wait_for(
        self, match: Callable[[TimedCall], bool], *, after: int = 0, timeout: float = 15.0
    ) -> TimedCall | None:
        """The first call from index ``after`` on that ``match``es, waiting up to ``timeout``."""
        deadline = time.perf_counter() + timeout
        seen = after
        with self._arrived:
            while True:
                for call in self.timed[seen:]:
                    if match(call):
                        return call
                seen = len(self.timed)
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self._arrived.wait(left)

    def mark(self) -> int:
        with self._arrived:
            return len(self.timed)

    def forget(self) -> None:
        """Drop what was recorded so far (long runs would otherwise keep every call)."""
        self.reset()
        with self._arrived:
            self.timed.clear()
