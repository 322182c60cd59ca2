"""The courier at Slack's pace: several channels at once, bursts, wake-ups, round trips.

Against the fake Slack, with the outbox alone (no app): messages are written as the
notifier would, each card its own key, so what is measured is the delivering.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.clock import SystemClock
from bot.delivery.outbox import Answering, Outbox, OutboxWorker, Pacing
from bot.delivery.settle import Outcome, settle
from storage.db import session_factory
from storage.models import Delivery, OutboxMessage
from tests.delivery.pace_harness import RoundTrips

PACE = timedelta(seconds=1)


def channels(fake, count: int) -> list[str]:
    ids = [f"C{n:08d}" for n in range(count)]
    for channel in ids:
        fake.add_channel(channel, name=channel.lower())
    return ids


def outbox(db, fake, clock, **pacing) -> Outbox:
    return Outbox(
        sessions=session_factory(db),
        client=WebClient(token=fake.bot_token, base_url=fake.api_url, timeout=5),
        clock=clock,
        pacing=replace(Pacing(pace=PACE), **pacing),
    )


def write(db, clock, targets: list[str]) -> None:
    """One card for each channel named (a channel named twice gets two, in order)."""
    now = clock.now()
    with Session(db) as session:
        for n, channel in enumerate(targets):
            session.add(
                OutboxMessage(
                    key=f"{n}:{channel}", method="chat.postMessage", channel=channel,
                    payload=json.dumps({"text": f"Handover HO-{n:04d}: a card"}),
                    status=Delivery.PENDING, next_at=now, created_at=now,
                )
            )  # fmt: skip
        session.commit()


def posts(fake, channel: str | None = None) -> list:
    return [
        call
        for call in fake.calls_to("chat.postMessage")
        if call.ok and (channel is None or call.args["channel"] == channel)
    ]


def all_sent(db) -> bool:
    with Session(db) as session:
        return {r.status for r in session.exec(select(OutboxMessage))} == {Delivery.SENT}


def wait_for(condition, timeout: float = 10.0) -> None:
    """Until ``condition()`` holds: the worker runs in its own thread, on real time."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.005)


def test_a_batch_costs_at_most_three_round_trips_a_message(db, fake, clock):
    if db.dialect.name != "postgresql":
        pytest.skip("round trips are counted where each costs one: on PostgreSQL")
    courier = outbox(db, fake, clock)
    write(db, clock, channels(fake, 40))
    trips = RoundTrips(db)
    try:
        assert courier.deliver() is None  # all gone, nothing waits
    finally:
        trips.stop()
    assert len(posts(fake)) == 40 and all_sent(db)
    assert trips.count <= 3 * 40, f"{trips.count} round trips for 40 messages"


def test_many_channels_are_posted_to_at_once_not_one_after_another(db, fake, clock):
    courier = outbox(db, fake, clock, senders=8)
    targets = channels(fake, 40)
    write(db, clock, targets)
    fake.slow_next("chat.postMessage", 0.1, times=40)  # Slack's usual answer time
    started = time.monotonic()
    courier.deliver()
    took = time.monotonic() - started
    assert {call.args["channel"] for call in posts(fake)} == set(targets) and all_sent(db)
    # One after another that is 4 s of answers; eight at a time, half a second.
    assert took < 2.0, f"40 channels took {took:.2f}s"


def test_a_slow_answer_in_one_channel_does_not_hold_up_another_channels_card(db, fake, clock):
    courier = outbox(db, fake, clock)
    slow, quick = channels(fake, 2)
    worker = OutboxWorker(courier, idle=0.2)
    worker.start()
    try:
        fake.slow_next("chat.postMessage", 2.0)
        write(db, clock, [slow])
        courier.kick()
        wait_for(lambda: posts(fake, slow))
        write(db, clock, [quick])
        courier.kick()
        wait_for(lambda: posts(fake, quick))
        # The quick channel's card reached Slack while the slow one's answer was awaited.
        assert posts(fake, quick)[0].at - posts(fake, slow)[0].at < 1.0
        wait_for(lambda: all_sent(db))
    finally:
        worker.stop()


def answering_worker(db, fake, clock, *, most: float):
    """A worker that waits for the requests being answered (up to ``most`` seconds), and
    a card for it to deliver once started (``send()``)."""
    courier = outbox(db, fake, clock)
    [channel] = channels(fake, 1)
    answering = Answering(most=most)
    worker = OutboxWorker(courier, idle=0.2, answering=answering)

    def send() -> None:
        write(db, clock, [channel])
        courier.kick()

    return answering, worker, send, channel


def test_a_round_waits_while_a_request_is_being_answered_then_goes(db, fake, clock):
    answering, worker, send, channel = answering_worker(db, fake, clock, most=10.0)
    with answering.answering():
        worker.start()  # its first round waits already
        try:
            send()
            # Real time, as the worker's thread keeps it: nothing goes while Slack waits.
            still_until = time.monotonic() + 0.3
            while time.monotonic() < still_until:
                assert not posts(fake, channel)
                time.sleep(0.01)
        except BaseException:
            worker.stop()
            raise
    answered = time.monotonic()
    try:
        wait_for(lambda: posts(fake, channel))
        # It went once the answer had gone, not at the end of its longest wait.
        assert time.monotonic() - answered < 5.0
    finally:
        worker.stop()


def test_a_round_waits_for_the_requests_no_longer_than_it_may(db, fake, clock):
    answering, worker, send, channel = answering_worker(db, fake, clock, most=0.05)
    with answering.answering():  # busy all along, as under a heavy load
        worker.start()
        try:
            send()
            wait_for(lambda: posts(fake, channel), timeout=5.0)
        finally:
            worker.stop()


def test_a_quiet_channel_takes_a_short_burst_then_one_post_a_pace(db, fake, clock):
    courier = outbox(db, fake, clock, burst=3)
    (channel,) = channels(fake, 1)
    write(db, clock, [channel] * 6)
    wait = courier.deliver()
    assert len(posts(fake)) == 3  # the burst, back to back
    assert wait == PACE  # and the courier knows when the next may go
    clock.advance(PACE - timedelta(milliseconds=1))
    courier.deliver()
    assert len(posts(fake)) == 3  # not a moment early
    clock.advance(timedelta(milliseconds=1))
    assert courier.deliver() == PACE
    assert len(posts(fake)) == 4
    clock.advance(PACE)
    courier.deliver()
    clock.advance(PACE)
    assert courier.deliver() is None
    texts = [call.args["text"].split()[1] for call in posts(fake)]
    assert texts == [f"HO-{n:04d}:" for n in range(6)]  # in the order written


def test_the_worker_posts_when_the_pace_allows_not_later(db, fake):
    pace = timedelta(milliseconds=200)
    courier = outbox(db, fake, SystemClock(), pace=pace, burst=2)
    (channel,) = channels(fake, 1)
    write(db, SystemClock(), [channel] * 9)
    worker = OutboxWorker(courier, idle=2.0)  # only the pace wakes it in time
    worker.start()
    try:
        wait_for(lambda: len(posts(fake)) == 9)
    finally:
        worker.stop()
    at = [call.at for call in posts(fake)]
    # Two at once, then one a pace after the burst: 0, 0, 1, 2, ... paces from the first.
    # (The first post also opens the connection to Slack, so the others may seem a few
    # milliseconds early against it; the database never lets one go early.)
    late = [when - (at[0] + n * pace.total_seconds()) for n, when in enumerate(at[2:], start=1)]
    assert min(late) > -0.05, f"a post went {min(late):+.3f}s before its moment"
    # A stalled disk may hold one post back; the pace is kept, not drifted from.
    assert statistics.median(late) < 0.1, [f"{x:+.3f}" for x in late]
    assert at[-1] - at[0] < 7 * pace.total_seconds() + 0.3


def test_a_card_is_not_held_back_behind_direct_messages(db, fake, clock):
    courier = outbox(db, fake, clock, senders=1)
    people = [f"U{n:08d}" for n in range(30)]
    for person in people:
        fake.add_user(person, name=person.lower())
    (channel,) = channels(fake, 1)
    write(db, clock, [*people, channel])  # the card written last
    courier.deliver()
    assert posts(fake)[0].args["channel"] == channel
    assert len(posts(fake)) == 31


def test_a_try_whose_lease_was_retaken_meanwhile_is_not_written_down(db, fake, clock):
    (channel,) = channels(fake, 1)
    write(db, clock, [channel])
    with Session(db, expire_on_commit=False) as session:
        row = session.exec(select(OutboxMessage)).one()
        # Our try was attempt 1; its lease ran out and another worker took attempt 2.
        row.attempts, row.leased_until = 2, clock.now() + timedelta(seconds=60)
        session.add(row)
        session.commit()
        session.expunge(row)
    ours = replace_row(row, attempts=1)
    theirs = replace_row(row, attempts=2)
    sent = {"status": Delivery.SENT, "sent_at": clock.now(), "sent_channel": channel}
    with Session(db) as session:
        assert settle(session, [Outcome(ours, ts="1.1", **sent)], None) == set()
        session.commit()
    with Session(db) as session:
        assert session.get(OutboxMessage, row.id).status == Delivery.PENDING  # still theirs
    with Session(db) as session:
        assert settle(session, [Outcome(theirs, ts="2.2", **sent)], None) == {row.id}
        session.commit()
    with Session(db) as session:
        settled = session.get(OutboxMessage, row.id)
    assert (settled.status, settled.ts, settled.leased_until) == (Delivery.SENT, "2.2", None)


def replace_row(row: OutboxMessage, **values) -> OutboxMessage:
    return OutboxMessage(**{**row.model_dump(), **values})
