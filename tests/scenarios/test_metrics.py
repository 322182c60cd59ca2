"""GET /metrics through the real app: each figure an operator watches moves when what it
counts happens (a referral, a delivery, Slack refusing, a scheduler tick), and a scrape
without the right token is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.network import CV_CHANNEL
from tests.operations.scrape import scrape
from tests.scenarios.helpers import refer

SENT = "handover_outbox_sent_total"
FAILED = "handover_outbox_failed_total"
ERRORS = "handover_slack_api_errors_total"


def test_a_referral_and_its_delivery_move_the_figures(slack, fake):
    before = scrape(slack.http)
    assert before.get_value("handover_database_up") == 1
    refer(slack)
    after = scrape(slack.http)
    # One handover waits at the provider; the card and the adviser's receipt went.
    assert after.get_value("handover_handovers", state="pending") == 1
    assert (
        after.get_value(SENT, destination="slack") - before.get_value(SENT, destination="slack")
        >= 2
    )
    assert after.get_value("handover_outbox_pending", destination="slack") == 0
    # The adviser's /handover and the two steps of the form, each timed.
    moved = {
        kind: after.get_value("handover_request_seconds_count", kind=kind)
        - before.get_value("handover_request_seconds_count", kind=kind)
        for kind in ("command", "view_submission")
    }
    assert moved == {"command": 1, "view_submission": 2}


def test_slack_refusing_shows_as_errors_a_held_lane_and_a_waiting_message(slack, fake, clock):
    slack.errors_expected = True  # the outbox logs the refusals it meets, as it should
    before = scrape(slack.http)
    # Slack does not know the provider's channel: its card is held until someone fixes it.
    fake.fail_next("chat.postMessage", error="channel_not_found")
    refer(slack)
    held = scrape(slack.http)
    assert held.get_value("handover_outbox_held_lanes", destination="slack") == 1
    assert (
        held.get_value(ERRORS, method="chat.postMessage", error="channel_not_found")
        - before.get_value(ERRORS, method="chat.postMessage", error="channel_not_found")
        == 1
    )

    # Slack fails for a while: the next message waits for its retry, and once it is
    # overdue the oldest-age figure says how long.
    slack.app.bot.outbox.release(CV_CHANNEL)
    fake.fail_next("chat.postMessage", error="internal_error", times=1)
    fake.fail_next("chat.update", error="internal_error", times=1)
    refer(slack, needs=["cv"], district="NW5")
    waiting = scrape(slack.http)
    assert waiting.get_value("handover_outbox_pending", destination="slack") >= 1
    assert waiting.total(ERRORS, error="internal_error") > before.total(
        ERRORS, error="internal_error"
    )
    clock.advance(timedelta(minutes=10))
    overdue = scrape(slack.http)
    assert overdue.get_value("handover_outbox_oldest_age_seconds", destination="slack") > 60

    # A tick delivers what waited, and says when it ran.
    slack.app.scheduler.tick()
    ticked = scrape(slack.http)
    assert ticked.get_value("handover_outbox_pending", destination="slack") == 0
    assert ticked.get_value("handover_outbox_oldest_age_seconds", destination="slack") == 0
    assert ticked.get_value("handover_scheduler_last_tick_timestamp_seconds") == (
        clock.now().timestamp()
    )
    assert ticked.get_value(SENT, destination="slack") > overdue.get_value(
        SENT, destination="slack"
    )


def test_a_message_slack_will_never_take_counts_as_failed(slack, fake):
    slack.errors_expected = True
    before = scrape(slack.http)
    fake.fail_next("chat.postMessage", error="invalid_blocks")
    refer(slack)
    after = scrape(slack.http)
    assert (
        after.get_value(FAILED, destination="slack") - before.get_value(FAILED, destination="slack")
        == 1
    )
    assert after.get_value(ERRORS, method="chat.postMessage", error="invalid_blocks") >= 1


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong", "Bearer", "Basic c2VjcmV0", "bearer  s3cret-metrics ", "Bearer \xe9"],
)
def test_metrics_with_a_token_refuse_a_scrape_without_it(slack, header):
    slack.app.metrics_token = "s3cret-metrics"
    headers = {"Authorization": header} if header is not None else {}
    response = slack.http.get("/metrics", headers=headers)
    if header == "bearer  s3cret-metrics ":
        # The scheme is case-blind and the spaces around the token are not the token.
        assert response.status_code == 200
        return
    assert response.status_code == 401
    assert "handover_" not in response.get_data(as_text=True)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_metrics_with_a_token_accept_the_right_one(slack):
    slack.app.metrics_token = "s3cret-metrics"
    found = scrape(slack.http, token="s3cret-metrics")
    assert found.get_value("handover_database_up") == 1
    assert slack.http.post("/metrics").status_code == 405
