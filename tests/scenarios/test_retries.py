"""Slack's retries of an event (X-Slack-Retry-Num) and duplicate deliveries of a click or
a form are recognised and applied once, even when another replica of the bot gets them."""

import logging

from sqlalchemy import text

from sandbox import requests
from tests.harness import TEAM, Harness, fill, sign
from tests.network import ADVISER, CV_CHANNEL, CV_STAFF
from tests.scenarios.helpers import last_card, refer


def events_of_kind(db, kind: str) -> int:
    with db.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM handover_event WHERE kind = :kind"), {"kind": kind}
        ).scalar_one()


def retried(body: str, attempt: int = 1, reason: str = "http_timeout") -> dict:
    return {
        **sign(body),
        "X-Slack-Retry-Num": str(attempt),
        "X-Slack-Retry-Reason": reason,
    }


def test_a_retried_event_is_recognised_and_applied_once(slack, fake, caplog):
    caplog.set_level(logging.INFO, logger="handlers.deliveries")
    body, kind = requests.event(requests.app_home_opened(team=TEAM, user=ADVISER, dm_channel="D1"))
    assert slack.post(body, kind).status_code == 200
    again = slack.post(body, kind, headers=retried(body))
    assert again.status_code == 200 and again.headers.get("X-Slack-No-Retry") == "1"
    # The same event delivered again without retry headers (to another connection) too.
    assert slack.post(body, kind).status_code == 200
    assert len(fake.calls_to("views.publish")) == 1
    assert "Slack retry 1 (http_timeout)" in caplog.text and "already taken" in caplog.text


def test_a_retry_whose_first_delivery_never_arrived_is_handled(slack, fake, caplog):
    caplog.set_level(logging.INFO, logger="handlers.deliveries")
    body, kind = requests.event(requests.app_home_opened(team=TEAM, user=ADVISER, dm_channel="D1"))
    assert slack.post(body, kind, headers=retried(body, 2, "http_error")).status_code == 200
    assert len(fake.calls_to("views.publish")) == 1
    assert "the first never arrived" in caplog.text


def test_replicas_sharing_the_database_agree_on_what_was_taken(slack, fake, db, network, clock):
    other = Harness(fake=fake, engine=db, network=network, clock=clock)
    try:
        body, kind = requests.event(
            requests.app_home_opened(team=TEAM, user=ADVISER, dm_channel="D1")
        )
        assert slack.post(body, kind).status_code == 200
        assert other.post(body, kind, headers=retried(body)).status_code == 200
        assert len(fake.calls_to("views.publish")) == 1
    finally:
        other.executor.shutdown()


def test_a_click_delivered_twice_is_applied_once_and_nobody_is_told_off(slack, fake, db):
    refer(slack)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-11-30"})
    card = last_card(fake, CV_CHANNEL)
    button = next(
        e
        for b in card["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Made contact"
    )
    payload = requests.block_actions(
        team=TEAM,
        user=CV_STAFF,
        trigger_id=fake.issue_trigger_id(CV_STAFF),
        action={
            "action_id": button["action_id"],
            "block_id": "b",
            "type": "button",
            "value": button["value"],
        },
        channel=CV_CHANNEL,
        message=card,
        response_url=fake.response_url(CV_STAFF, CV_CHANNEL, card["ts"]),
    )
    encoded = requests.interaction(payload)
    first, second = slack.send(encoded), slack.send(encoded)
    assert first.status_code == second.status_code == 200
    assert second.get_data(as_text=True) == ""
    assert events_of_kind(db, "contacted") == 1
    # Without the key, the repeat would have reached the compare-and-set and said so.
    assert not any("already" in m["text"] for m in fake.ephemerals(CV_STAFF))
    # A second, separate click (a new trigger) still meets the lifecycle's own check.
    slack.click_button(CV_STAFF, card, CV_CHANNEL, "Made contact")
    assert "already has first contact" in fake.ephemerals(CV_STAFF)[-1]["text"]
    assert events_of_kind(db, "contacted") == 1


def test_a_click_that_opens_a_form_delivered_twice_opens_it_once_and_writes_nothing(
    slack, fake, db, caplog
):
    refer(slack)
    card = last_card(fake, CV_CHANNEL)
    button = next(
        e
        for b in card["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Accept"
    )
    payload = requests.block_actions(
        team=TEAM,
        user=CV_STAFF,
        trigger_id=fake.issue_trigger_id(CV_STAFF),
        action={
            "action_id": button["action_id"],
            "block_id": "b",
            "type": "button",
            "value": button["value"],
        },
        channel=CV_CHANNEL,
        message=card,
        response_url=fake.response_url(CV_STAFF, CV_CHANNEL, card["ts"]),
    )
    encoded = requests.interaction(payload)
    with caplog.at_level(logging.INFO):
        first, second = slack.send(encoded), slack.send(encoded)
    assert first.status_code == second.status_code == 200
    # Slack opened one form for the one trigger; the repeat was taken calmly.
    assert len(fake.open_views(CV_STAFF)) == 1
    assert "the form it opens is open already" in caplog.text
    assert not fake.ephemerals(CV_STAFF)
    # Opening a form changes nothing, so nothing was written before its acknowledgement.
    with db.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM slack_delivery")).scalar_one() == 0
    slack.submit(CV_STAFF, {"contact_by": "2026-11-30"})
    assert events_of_kind(db, "accepted") == 1


def submission(slack, fake, user: str, answers: dict) -> tuple[str, str]:
    """The user's open modal submitted with ``answers``, encoded once to send as often as
    a test likes."""
    (view,) = fake.open_views(user)
    payload = requests.view_submission(
        team=TEAM,
        user=user,
        trigger_id=fake.issue_trigger_id(user),
        view=view,
        values=fill(view, answers),
    )
    return requests.interaction(payload)


def test_a_form_delivered_twice_is_applied_once_with_a_calm_answer(slack, fake, db):
    refer(slack)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    encoded = submission(slack, fake, CV_STAFF, {"contact_by": "2026-11-30"})
    first = slack.answer(slack.send(encoded))
    second = slack.answer(slack.send(encoded))
    assert "Sam Resident" in str(first["view"])
    assert second["response_action"] == "update"
    assert "Already received" in str(second["view"]) and "Not done" not in str(second["view"])
    assert "Sam Resident" not in str(second["view"])
    assert events_of_kind(db, "accepted") == 1
    assert sum("the resident's details" in m["text"] for m in fake.dms(CV_STAFF)) == 1


def test_a_form_refused_inline_can_be_sent_again_and_is_checked_again(slack, fake, db):
    refer(slack)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    encoded = submission(slack, fake, CV_STAFF, {"contact_by": "2020-01-01"})
    for _ in range(2):
        answer = slack.answer(slack.send(encoded))
        assert answer["response_action"] == "errors" and "contact_by" in answer["errors"]
    assert events_of_kind(db, "accepted") == 0


def test_old_deliveries_are_forgotten(slack, fake, db, clock):
    from datetime import timedelta

    body, kind = requests.event(requests.app_home_opened(team=TEAM, user=ADVISER, dm_channel="D1"))
    slack.post(body, kind)
    clock.advance(timedelta(hours=2))
    other, kind = requests.event(requests.app_home_opened(team=TEAM, user=ADVISER, dm_channel="D1"))
    slack.post(other, kind)
    with db.connect() as connection:
        keys = connection.execute(text("SELECT key FROM slack_delivery")).scalars().all()
    assert len(keys) == 1 and keys[0].startswith("event:")
