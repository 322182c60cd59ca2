"""When Slack says no, or says nothing: every message still arrives, once, in order."""

from __future__ import annotations

import contextlib
import itertools
from datetime import timedelta

from sqlmodel import Session, select

from bot.delivery.outbox import Pacing
from bot.handover.referral import Referral
from storage.models import Delivery, OutboxMessage
from tests.network import ADVISER, COORD_CHANNEL, COORDINATOR, CV_CHANNEL, CV_STAFF, OUTSIDER
from tests.scenarios.helpers import refer


def settle(slack, clock, *, rounds: int = 5000) -> None:
    """Let the outbox run to the end, moving the clock through every wait it asks for."""
    outbox = slack.app.bot.outbox
    for _ in range(rounds):
        wait = outbox.deliver()
        if wait is None:
            return
        clock.advance(max(wait, timedelta(milliseconds=1)))
    raise AssertionError("the outbox never emptied")


def rows(db) -> list[OutboxMessage]:
    with Session(db) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def cards(fake, channel=CV_CHANNEL) -> list[dict]:
    return [m for m in fake.messages(channel) if m["text"].startswith("Handover ")]


def test_a_rate_limited_card_waits_for_retry_after_then_goes_once(slack, fake, clock, db):
    fake.fail_next("chat.postMessage", error="ratelimited", status=429, retry_after=30)
    answer = refer(slack)
    assert answer["response_action"] == "update"  # the adviser's submission still succeeds
    assert cards(fake) == []
    calls = len(fake.calls_to("chat.postMessage"))
    clock.advance(timedelta(seconds=29))
    slack.app.scheduler.tick()
    card_calls = [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == CV_CHANNEL]
    assert len(card_calls) == 1  # not asked again before Retry-After
    assert len(fake.calls_to("chat.postMessage")) >= calls
    clock.advance(timedelta(seconds=2))
    slack.app.scheduler.tick()
    assert len(cards(fake)) == 1


def test_slack_errors_and_a_dead_network_are_retried_with_backoff(slack, fake, clock, db):
    fake.fail_next("chat.postMessage", error="internal_error", status=500, times=3)
    refer(slack)
    assert cards(fake) == []
    settle(slack, clock)
    assert len(cards(fake)) == 1
    card_row = next(r for r in rows(db) if r.slot == "card")
    assert card_row.status == Delivery.SENT and card_row.attempts >= 2
    assert card_row.payload is None  # nothing kept once sent


def test_a_post_whose_answer_never_came_is_not_posted_twice(slack, fake, clock, db):
    # Slack posts the card but answers too late: the bot cannot know it went.
    slack.errors_expected = True  # slack_sdk logs the timeout as an error
    slack.app.bot.outbox.client.timeout = 0.3
    fake.slow_next("chat.postMessage", 1.0)
    refer(slack)
    settle(slack, clock)
    assert len(cards(fake)) == 1
    # It found its own card by the metadata it posted with, and remembers where it is:
    card_ts = cards(fake)[0]["ts"]
    slack.click_button(CV_STAFF, cards(fake)[0], CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-11-30"})
    updated = [c for c in fake.calls_to("chat.update") if c.ok and c.args["ts"] == card_ts]
    assert updated  # later changes update the card it found, rather than post another
    histories = fake.calls_to("conversations.history")
    assert histories and histories[0].args.get("include_all_metadata") in (True, "1", "true")


def test_a_crash_after_slack_took_the_message_is_not_posted_twice(slack, fake, clock, db):
    outbox = slack.app.bot.outbox
    real = outbox._settle_sent
    died = []

    def die_once(*args, **kwargs):
        if not died:
            died.append(True)
            raise SystemExit("killed between Slack's answer and writing it down")
        return real(*args, **kwargs)

    outbox._settle_sent = die_once
    with contextlib.suppress(SystemExit):
        refer(slack)
    assert len(cards(fake)) == 1  # Slack has it; the outbox does not know
    clock.advance(outbox.pacing.lease + timedelta(seconds=1))  # the dead try's lease runs out
    settle(slack, clock)
    assert len(cards(fake)) == 1
    assert next(r for r in rows(db) if r.slot == "card").ts == cards(fake)[0]["ts"]


def test_a_change_while_its_card_waits_goes_after_the_card_in_order(slack, fake, clock, db):
    fake.fail_next("chat.postMessage", error="ratelimited", status=429, retry_after=60)
    refer(slack)
    slack.command(ADVISER, "status HO-0001")
    withdraw = slack.app.bot.handovers.withdraw
    withdraw(1, actor_id=ADVISER)
    assert cards(fake) == []
    settle(slack, clock)
    card = cards(fake)[0]
    assert "Withdrawn" in card["text"] or any("withdrawn" in str(b).lower() for b in card["blocks"])
    thread = fake.thread(CV_CHANNEL, card["ts"])
    assert thread and "withdr" in thread[-1]["text"].lower()
    order = [
        (c.method, c.args.get("thread_ts") is not None)
        for c in fake.calls
        if c.ok and c.args.get("channel") == CV_CHANNEL
    ]
    post, update, reply = (
        ("chat.postMessage", False),
        ("chat.update", False),
        ("chat.postMessage", True),
    )
    assert order == [post, update, reply]


def test_a_refused_channel_holds_the_card_tells_coordinators_once_and_reposts_when_fixed(
    slack, fake, clock, db
):
    slack.errors_expected = True
    fake.fail_next("chat.postMessage", error="is_archived")
    refer(slack, destination="provider:cv-clinic")
    refer(slack, destination="provider:cv-clinic")
    assert cards(fake) == []
    notices = [m for m in fake.messages(COORD_CHANNEL) if "could not be sent" in m["text"]]
    assert len(notices) == 1 and "archived" in notices[0]["text"]
    assert "HO-0001" in notices[0]["text"]
    slack.command(ADVISER, "status HO-0001")  # the handover itself is safe
    assert "Waiting to be accepted" in fake.ephemerals(ADVISER)[-1]["text"]
    # Someone who is not a coordinator cannot push it.
    slack.click_button(OUTSIDER, notices[0], COORD_CHANNEL, "Try again")
    assert "Only the network's coordinators" in fake.ephemerals(OUTSIDER)[-1]["text"]
    assert cards(fake) == []
    # The channel is unarchived: both cards go, in order.
    slack.event({"type": "channel_unarchive", "channel": CV_CHANNEL, "user": COORDINATOR})
    refs = [c["text"].split()[1].rstrip(":") for c in cards(fake)]
    assert refs == ["HO-0001", "HO-0002"]


def test_a_coordinator_can_try_a_held_channel_again(slack, fake, clock, db):
    slack.errors_expected = True
    fake.fail_next("chat.postMessage", error="not_in_channel")
    refer(slack)
    notice = next(m for m in fake.messages(COORD_CHANNEL) if "could not be sent" in m["text"])
    slack.click_button(COORDINATOR, notice, COORD_CHANNEL, "Try again")
    assert len(cards(fake)) == 1
    assert "on their way" in fake.ephemerals(COORDINATOR)[-1]["text"]


def test_the_bot_invited_back_into_its_channel_delivers_what_waited(slack, fake, clock, db):
    slack.errors_expected = True
    fake.fail_next("chat.postMessage", error="not_in_channel")
    refer(slack)
    slack.event({"type": "member_joined_channel", "channel": CV_CHANNEL, "user": OUTSIDER})
    assert cards(fake) == []  # someone else joining changes nothing
    slack.event({"type": "member_joined_channel", "channel": CV_CHANNEL, "user": fake.bot_user_id})
    assert len(cards(fake)) == 1


def test_a_deactivated_worker_is_reported_and_the_rest_still_goes(slack, fake, clock, db):
    slack.errors_expected = True
    refer(slack)
    # The private details DM to the worker fails for good.
    fake.fail_next("chat.postMessage", error="account_inactive")
    slack.click_button(CV_STAFF, cards(fake)[0], CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-11-30"})
    notices = [m for m in fake.messages(COORD_CHANNEL) if "could not be sent" in m["text"]]
    assert notices and "deactivated" in notices[0]["text"]
    assert not any(b.get("type") == "actions" for b in notices[0]["blocks"])
    assert len(fake.thread(CV_CHANNEL, cards(fake)[0]["ts"])) >= 1


def test_a_burst_of_200_to_one_channel_arrives_complete_in_order_and_paced(slack, fake, clock, db):
    outbox = slack.app.bot.outbox
    pace = timedelta(seconds=1)
    outbox.pacing = Pacing(pace=pace)
    referral = Referral(
        needs=("cv",), name="Sam Resident", phone="07911 123456", email=None,
        district="NW1", age_band="25-29", language="English", access_needs=None,
        urgency="soon", context="", organisation="Job Club", consent=True,
    )  # fmt: skip
    # Raised straight through the service: the burst is the point, not 200 modals.
    for n in range(200):
        slack.app.bot.handovers.raise_handover(
            referral, adviser_id=ADVISER, request_key=f"burst{n}", prefer="cv-clinic"
        )
    settle(slack, clock)
    got = cards(fake)
    refs = [c["text"].split()[1].rstrip(":") for c in got]
    assert refs == [f"HO-{n:04d}" for n in range(1, 201)]  # complete, in order, none twice
    sent = [r.sent_at for r in rows(db) if r.slot == "card"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
    # Never faster than Slack allows in one channel: a short burst, then one a pace.
    burst = outbox.pacing.burst
    assert gaps[: burst - 1] == [timedelta(0)] * (burst - 1)
    assert min(gaps[burst - 1 :]) >= pace
    assert sent[-1] - sent[0] < pace * 200 * 1.1  # and not much slower
