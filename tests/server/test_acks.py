"""Slack's answer is ready the moment a listener acknowledges: Bolt, which looks for it only
every 10 ms, finds it at its first look."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from server import acks
from server.acks import AnswersOnAck, SignallingAck, signalling_ack
from tests.network import COORD_CHANNEL, COORDINATOR


@pytest.fixture
def pool():
    with ThreadPoolExecutor(2) as executor:
        yield executor


def _dispatching(context: dict) -> SignallingAck:
    """What the middleware does for each request, in the request's thread."""
    signalling_ack(context, lambda: None)
    return context["ack"]


def test_the_listener_is_handed_back_once_it_has_acknowledged_and_goes_on_working(pool):
    ack = _dispatching({})
    go_on, finished = threading.Event(), threading.Event()

    def listener():
        ack(text="on its way")
        go_on.wait(5)
        finished.set()

    future = AnswersOnAck(pool).submit(listener)
    # The answer is there when Bolt first looks, while the listener still works.
    assert ack.response is not None and ack.response.body == "on its way"
    assert not future.done() and not finished.is_set()
    acks.answered()  # the server has sent it
    go_on.set()
    future.result(5)
    assert finished.is_set()


def test_after_acknowledging_the_listener_waits_until_the_answer_has_gone(pool):
    """Its other work (a DM, App Home, waking the outbox) would slow the answer down."""
    ack = _dispatching({})
    went_on = threading.Event()

    def listener():
        ack(text="on its way")
        went_on.set()

    future = AnswersOnAck(pool).submit(listener)
    assert ack.response is not None
    assert not went_on.wait(0.1)  # the server has not sent the answer yet
    acks.answered()
    assert went_on.wait(5)
    future.result(5)


def test_a_listener_is_not_held_for_an_answer_nobody_sends(pool, monkeypatch):
    monkeypatch.setattr(acks, "ANSWER_WAIT", 0.05)
    ack = _dispatching({})

    def listener():
        ack(text="on its way")
        return "done"

    future = AnswersOnAck(pool).submit(listener)
    assert future.result(5) == "done"  # after ANSWER_WAIT, without answered()


def test_a_listener_that_finishes_without_acknowledging_is_handed_back_when_it_ends(pool):
    ack = _dispatching({})
    future = AnswersOnAck(pool).submit(lambda: "done")
    assert future.done() and ack.response is None  # Bolt reports the missing ack, as ever


def test_a_listener_that_fails_before_acknowledging_is_handed_back_with_its_error(pool):
    ack = _dispatching({})

    def listener():
        raise ValueError("broken")

    future = AnswersOnAck(pool).submit(listener)
    assert future.done() and ack.response is None
    with pytest.raises(ValueError):
        future.result()


def test_an_answer_given_before_the_middleware_is_kept(pool):
    earlier = SignallingAck.__mro__[1]()  # Bolt's own Ack
    earlier(text="already answered")
    context = {"ack": earlier}
    signalling_ack(context, lambda: None)
    assert context["ack"] is earlier


def test_a_slow_acknowledgement_is_waited_for_no_longer_than_bolt_would(pool):
    _dispatching({})
    release = threading.Event()
    future = AnswersOnAck(pool, timeout=0.05).submit(lambda: release.wait(5))
    assert not future.done()  # handed back after the timeout: Bolt's own wait takes over
    acks.answered()
    release.set()
    future.result(5)


def test_each_request_brings_its_own_ack(pool):
    executor = AnswersOnAck(pool)
    first = _dispatching({})
    executor.submit(lambda: first())
    acks.answered()
    # A listener submitted without a request of its own (Bolt's lazy listeners) is not
    # held for the previous request's ack.
    release = threading.Event()
    future = executor.submit(lambda: release.wait(5))
    assert not future.done()
    release.set()
    future.result(5)


def test_through_the_app_a_command_is_answered_while_its_work_goes_on(slack, fake):
    """The digest is posted after the command is acknowledged; Slack answers it slowly."""
    executor = slack.app.listener_runner.listener_executor
    assert isinstance(executor, AnswersOnAck)
    fake.slow_next("chat.postMessage", 1.0)
    seen = []
    submit = executor.submit

    def watching(fn, /, *args, **kwargs):
        ack = getattr(acks._request, "ack", None)
        future = submit(fn, *args, **kwargs)
        seen.append((isinstance(ack, SignallingAck) and ack.response is not None, future.done()))
        return future

    executor.submit = watching
    response = slack.command(COORDINATOR, "digest", channel=COORD_CHANNEL)
    assert response.status_code == 200
    # Answered at Bolt's first look, while the digest was still on its way to Slack.
    assert seen == [(True, False)]
    assert fake.calls_to("chat.postMessage")
