"""Socket Mode end to end: the story HTTP mode's scenarios tell, told over the stand-in
Slack's WebSocket (sandbox/slack/socket.py) to the real app connected as ``python app.py``
connects, with every envelope acknowledged within Slack's 3 seconds."""

from __future__ import annotations

import logging

import pytest

from tests.harness import ErrorLog
from tests.network import ADVISER, CV_CHANNEL, CV_STAFF
from tests.scenarios.helpers import last_card, refer
from tests.scenarios.test_retries import events_of_kind
from tests.socket_harness import SocketHarness


@pytest.fixture
def socket_slack(fake, db, network, clock):
    """The real app, connected over Socket Mode to the stand-in, on a clean database."""
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    harness = SocketHarness(fake=fake, engine=db, network=network, clock=clock).connect()
    yield harness
    harness.close()
    harness.executor.drain()
    harness.executor.shutdown()
    logging.getLogger().removeHandler(errors)
    assert not [r.getMessage() for r in errors.records], "the app logged errors"


def accept(slack, fake, date: str = "2026-11-30") -> dict:
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    return slack.answer(slack.submit(CV_STAFF, {"contact_by": date}))


def test_a_handover_from_slash_command_to_acceptance_over_socket_mode(socket_slack, fake):
    slack = socket_slack
    command = slack.command(ADVISER, "")
    # The command's ack carries no words; the modal opened with its trigger_id.
    assert command.status_code == 200 and command.payload == {}
    (modal,) = fake.open_views(ADVISER)
    assert modal["title"]["text"] == "New handover"
    fake.close_modal(ADVISER)

    sent = refer(slack)
    assert sent["response_action"] == "update"  # the view_submission's ack, as Slack reads it
    assert "HO-0001" in str(sent["view"])
    card = last_card(fake, CV_CHANNEL)
    assert "HO-0001" in card["text"] and "Sam Resident" not in str(card["blocks"])

    answer = accept(slack, fake)
    assert answer["response_action"] == "update" and "Sam Resident" in str(answer["view"])
    assert "Mon 30 Nov 2026" in str(last_card(fake, CV_CHANNEL))
    told = fake.dms(ADVISER)[-1]["text"]
    assert "accepted" in told and "Mon 30 Nov 2026" in told

    slack.open_home(ADVISER)  # an events_api envelope
    assert "HO-0001" in str(fake.home(ADVISER))

    socket = slack.socket
    assert {e.type for e in socket.envelopes} == {"slash_commands", "interactive", "events_api"}
    assert socket.problems() == [] and socket.unacknowledged() == []
    assert all(len(e.attempts) == 1 for e in socket.envelopes)  # nothing needed a retry


def test_a_slash_commands_reply_is_the_acks_payload(socket_slack, fake):
    answer = socket_slack.answer(socket_slack.command(ADVISER, "help"))
    assert answer["response_type"] == "ephemeral" and "status HO-0042" in answer["text"]
    assert socket_slack.socket.problems() == []


def test_a_form_with_errors_is_answered_in_the_ack(socket_slack, fake):
    answer = refer(socket_slack, consent=[])
    assert answer["response_action"] == "errors" and "consent" in answer["errors"]
    assert socket_slack.socket.problems() == []


def test_a_refresh_mid_story_loses_nothing_and_applies_nothing_twice(
    socket_slack, fake, db, caplog
):
    caplog.set_level(logging.INFO, logger="handlers.deliveries")
    slack, socket = socket_slack, socket_slack.socket
    refer(slack)
    socket.refresh()  # Slack's periodic disconnect (warning, refresh_requested)
    socket.wait_settled()
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    # The accept is applied, but its ack is lost as the connection is refreshed again:
    # Slack sends the submission once more on the new connection.
    socket.drop_next_ack(refresh=True)
    answer = slack.answer(slack.submit(CV_STAFF, {"contact_by": "2026-11-30"}))
    assert answer["response_action"] == "update"
    assert "Already received" in str(answer["view"])  # the retry, recognised

    submission = socket.envelopes[-1]
    # Lost once, then acknowledged (a busy machine may need another retry in between).
    lost = [a.lost for a in submission.attempts]
    assert lost[0] and not lost[-1] and len(lost) >= 2
    tries = [f["retry_attempt"] for f in socket.frames if f.get("envelope_id") == submission.id]
    assert tries == list(range(len(tries))) and len(tries) >= 2
    assert events_of_kind(db, "accepted") == 1
    # First deliveries say retry_attempt 0: only the real retry is logged as one.
    assert "Slack retry 1 (timeout)" in caplog.text and "already taken" in caplog.text
    assert "Slack retry 0" not in caplog.text
    assert sum("accepted" in m["text"] for m in fake.dms(ADVISER)) == 1
    assert len(fake.dms(CV_STAFF)) == 1  # the resident's details, once

    slack.open_home(ADVISER)
    assert "HO-0001" in str(fake.home(ADVISER))
    reasons = [f["reason"] for f in socket.frames if f["type"] == "disconnect"]
    assert reasons[:2] == ["warning", "refresh_requested"]
    assert socket.connections >= 3
    assert socket.problems() == [] and socket.unacknowledged() == []


def test_requests_over_socket_mode_are_timed_as_http_ones_are(socket_slack, fake):
    from prometheus_client import generate_latest

    from tests.operations.scrape import parse

    def counted(kind: str) -> float:
        return parse(generate_latest().decode()).get_value(
            "handover_request_seconds_count", kind=kind
        )

    before = {kind: counted(kind) for kind in ("command", "view_submission", "event")}
    refer(socket_slack)
    socket_slack.open_home(ADVISER)
    assert counted("command") == before["command"] + 1
    assert counted("view_submission") == before["view_submission"] + 2  # the form, then Send
    assert counted("event") >= before["event"] + 1
