"""Answering Slack the moment a listener acknowledges, not on Bolt's next look.

Bolt runs each listener on its executor and, in the request's own thread, looks every
10 ms whether the listener has called ``ack()`` yet: an acknowledgement ready after 11 ms
reaches Slack after 20, and one ready after 1 ms after 10. Here each request's ``ack``
says when it is called, and the executor hands the listener back to Bolt only once it has
been (or the listener has finished without it): by the time Bolt first looks, the answer
is there. Nothing else about Bolt's handling changes; a listener that never acknowledges
is still Bolt's to report after its three seconds.

Once it has acknowledged, the listener waits for the answer to be on its way to Slack
before it goes on with the rest of its work (a DM, App Home, the audit trail's line, and
at the end of its unit of work waking the outbox for the messages it wrote): with one
interpreter lock, whatever else runs in those few milliseconds delays the answer.
The app says the answer has gone (``answered``) when its ``dispatch`` returns it, over
HTTP and Socket Mode alike; what is left (writing it out) is the server's, a moment's.

Bolt then offers the request to the next listener that matches, which is the catch-all
for requests no listener knows (``handlers.errors``): the ack says that a listener of
the bot's took the request and is still at work on it (``late``), so the catch-all does
not call it damaged or out of date.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future

from slack_bolt import Ack

# Bolt's own limit for an acknowledgement (Listener.ack_timeout).
ACK_TIMEOUT = 3.0
# The longest a listener waits, after acknowledging, for its answer to be sent.
ANSWER_WAIT = 0.5

_request = threading.local()  # the ack of the request this thread is dispatching


def answered() -> None:
    """The answer to the request this thread dispatched has gone to Slack (or never
    will): its listener goes on."""
    ack = getattr(_request, "answering", None)
    _request.answering = None
    if ack is not None:
        ack.sent.set()


class SignallingAck(Ack):
    """Bolt's ``ack``, which also says that it has been called."""

    def __init__(self):
        super().__init__()
        self.called = threading.Event()
        # The listener given this request did not acknowledge it in time: still at work.
        self.late = False
        # Someone is waiting to send the answer (``AnswersOnAck``): until it has gone,
        # the listener waits.
        self.awaited = False
        self.sent = threading.Event()

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.called.set()
            if self.awaited:
                self.sent.wait(ANSWER_WAIT)


def signalling_ack(context, next):
    """Global middleware, first of the app's own: the request's ``ack`` signals (unless
    something before it has already answered)."""
    if "ack" not in context or context["ack"].response is None:
        context["ack"] = SignallingAck()
    _request.ack = context["ack"]
    return next()


class AnswersOnAck(Executor):
    """An executor that returns from ``submit`` once the listener it was given has
    acknowledged (or finished), so that Bolt answers at once."""

    def __init__(self, inner: Executor, *, timeout: float = ACK_TIMEOUT):
        self.inner = inner
        self.timeout = timeout

    def submit(self, fn, /, *args, **kwargs) -> Future:
        ack = getattr(_request, "ack", None)
        _request.ack = None  # one listener per request: the next one brings its own
        if not isinstance(ack, SignallingAck):
            return self.inner.submit(fn, *args, **kwargs)
        ack.awaited = True
        _request.answering = ack
        future = self.inner.submit(fn, *args, **kwargs)
        future.add_done_callback(lambda _: ack.called.set())
        if not ack.called.wait(self.timeout):
            ack.late = True
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)
