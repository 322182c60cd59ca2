"""A request slower than Slack's 3 seconds: Bolt gives up waiting for its acknowledgement
and offers the request to the catch-alls for requests no listener knows. They must not
tell the adviser it was damaged or out of date while it is still being done."""

import threading

import pytest

from handlers.errors import DAMAGED
from tests.harness import ENCODINGS, sign, submission
from tests.network import ADVISER, CV_CHANNEL
from tests.scenarios.helpers import GOOD_REFERRAL

# Bolt's three seconds, shortened so the test need not wait them.
ACK_TIMEOUT = 0.3


@pytest.fixture
def impatient(slack):
    """Bolt, and the bot's executor, wait ACK_TIMEOUT for an acknowledgement."""
    for listener in slack.app._listeners:
        listener.ack_timeout = ACK_TIMEOUT
    slack.app.listener_runner.listener_executor.timeout = ACK_TIMEOUT
    return slack


def held(slack, monkeypatch, name: str) -> threading.Event:
    """``bot.handovers.<name>`` waits until the returned event is set."""
    release = threading.Event()
    real = getattr(slack.app.bot.handovers, name)

    def slow(*args, **kwargs):
        assert release.wait(10), "the test never let the slow step go"
        return real(*args, **kwargs)

    monkeypatch.setattr(slack.app.bot.handovers, name, slow)
    return release


def submit_unanswered(slack, user: str, view: dict, answers: dict):
    """Submit a modal as Slack does, without waiting for the listeners to finish."""
    body, content_type = ENCODINGS["interactive"](submission(slack.fake, user, view, answers))
    return slack.http.post(
        "/slack/events", data=body, headers={**sign(body), "Content-Type": content_type}
    )


def test_a_send_slower_than_slack_waits_is_not_called_damaged_and_is_raised_once(
    impatient, fake, monkeypatch, caplog
):
    slack = impatient
    slack.command(ADVISER, "")
    slack.submit(ADVISER, GOOD_REFERRAL)
    (choice,) = fake.open_views(ADVISER)
    release = held(slack, monkeypatch, "raise_handover")

    answer = submit_unanswered(slack, ADVISER, choice, {"destination": "network"})
    release.set()
    slack.executor.drain()
    slack.app.bot.outbox.deliver()

    assert answer.status_code == 200
    assert DAMAGED not in answer.get_data(as_text=True)
    assert "still being done" in caplog.text
    # Done, once: the card reached the provider and the adviser heard, with nothing
    # said of it being out of date.
    assert len(fake.messages(CV_CHANNEL)) == 1
    assert any("HO-0001" in m["text"] for m in fake.dms(ADVISER))
    assert not [e for e in fake.ephemerals(ADVISER) if "out of date" in e.get("text", "")]


def test_a_view_no_listener_knows_is_still_called_damaged(impatient, fake):
    slack = impatient
    view = {"type": "modal", "callback_id": "handover.from_an_older_version", "blocks": []}
    answer = slack.answer(submit_unanswered(slack, ADVISER, view, {}))
    slack.executor.drain()
    assert DAMAGED in str(answer)
