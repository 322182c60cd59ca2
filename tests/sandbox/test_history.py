"""The sandbox starts alive: eight weeks of handovers, made through the bot's operations."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.followup.digest.figures import compute_digest
from bot.handover import lifecycle
from bot.handover.lifecycle import Action
from sandbox.demo import staff_id
from sandbox.run import Sandbox
from storage.models import EventKind, Handover, HandoverEvent, Outcome, Resident, State

# Which lifecycle rule each event of a change follows.
RULE_OF = {lifecycle.RULES[action].event: lifecycle.RULES[action] for action in Action}
ROUTING = {EventKind.ROUTED, EventKind.UNMATCHED}  # where a raise or a decline went
SAID = {EventKind.REMINDED, EventKind.ESCALATED}  # the bot chased it: no change of state


def build(folder, monkeypatch) -> Sandbox:
    monkeypatch.chdir(folder)  # no network.yaml here: the example network
    monkeypatch.delenv("NETWORK_FILE", raising=False)
    return Sandbox(port=0, folder=folder / ".sandbox")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with pytest.MonkeyPatch.context() as monkeypatch:
        sandbox = build(tmp_path_factory.mktemp("history"), monkeypatch)
        yield sandbox
        sandbox.stop()


def handovers(sandbox: Sandbox) -> list[Handover]:
    with Session(sandbox.engine) as session:
        return list(session.exec(select(Handover).order_by(Handover.id)).all())


def events(sandbox: Sandbox) -> dict[int, list[HandoverEvent]]:
    found: dict[int, list[HandoverEvent]] = {}
    with Session(sandbox.engine) as session:
        for event in session.exec(select(HandoverEvent).order_by(HandoverEvent.id)).all():
            found.setdefault(event.handover_id, []).append(event)
    return found


def summary(sandbox: Sandbox) -> list[tuple]:
    """What a person would compare between two demos: each handover and its trail."""
    trail = events(sandbox)
    return [
        (
            h.ref,
            h.state,
            h.outcome,
            h.provider_id,
            tuple(h.needs),
            h.postcode_district,
            tuple((e.kind, e.actor_id, e.provider_id, e.reason) for e in trail[h.id]),
        )
        for h in handovers(sandbox)
    ]


def test_every_state_a_handover_can_be_in_is_there_today(demo):
    found = handovers(demo)
    trail = events(demo)
    today = demo.clock.now().astimezone(ZoneInfo("Europe/London")).date()
    wt = demo.app.bot.handovers.working_time
    now = demo.clock.now()

    states = Counter(h.state for h in found)
    assert {State.PENDING, State.ACCEPTED, State.CONTACTED, State.UNMATCHED} <= set(states)
    assert states[State.WITHDRAWN] and states[State.CLOSED]
    assert {h.outcome for h in found if h.state == State.CLOSED} == set(Outcome)

    def kinds(h):
        return [e.kind for e in trail[h.id]]

    rerouted = [h for h in found if EventKind.DECLINED in kinds(h)]
    assert any(
        k[i] == EventKind.DECLINED and k[i + 1] == EventKind.ROUTED
        for h in rerouted
        for k in [kinds(h)]
        for i in range(len(k) - 1)
    ), "a declined handover that went on to the next provider"
    by_hand = [h for h in found if EventKind.ROUTED_BY_HAND in kinds(h)]
    assert by_hand and all(EventKind.UNMATCHED in kinds(h) for h in by_hand)
    assert any(h.state == State.ACCEPTED and h.promised_contact_by < today for h in found), (
        "accepted, with the promised first-contact date passed"
    )
    accept_within = wt.working(demo.network.reminders_for("council-employment").accept_within)
    assert any(
        h.state == State.PENDING and wt.between(h.routed_at, now) > accept_within for h in found
    ), "pending past accept_within"
    assert any(EventKind.REMINDED in kinds(h) for h in found)  # the bot chased on the way


def test_history_spans_eight_weeks_of_working_hours(demo):
    found = handovers(demo)
    wt = demo.app.bot.handovers.working_time
    raised = [h.created_at for h in found]
    assert timedelta(weeks=7) < max(raised) - min(raised) < timedelta(weeks=9)
    assert max(raised) <= demo.clock.now()
    assert all(wt.is_working(at) for at in raised)
    assert all(wt.is_working(e.at) for trail in events(demo).values() for e in trail)
    assert 60 <= len(found) <= 150


def test_each_handover_was_made_through_the_operations(demo):
    """Every handover has its trail, and the trail is a path the lifecycle allows."""
    personas = {p.id: p for p in demo.personas}
    for handover in handovers(demo):
        trail = events(demo)[handover.id]
        assert trail[0].kind == EventKind.CREATED and trail[0].actor_id == handover.adviser_id
        assert personas[handover.adviser_id].role == "adviser"
        state = None
        for event in trail[1:]:
            if event.kind in ROUTING:
                state = event.to_state
                continue
            if event.kind in SAID:
                assert event.to_state == state
                continue
            rule = RULE_OF[event.kind]
            assert state in rule.allowed_from, f"{handover.ref}: {event.kind} from {state}"
            assert event.from_state == state
            if event.kind in (EventKind.ACCEPTED, EventKind.CONTACTED, EventKind.CLOSED):
                assert event.actor_id == staff_id(event.provider_id)  # the provider's staff
            if event.kind == EventKind.ROUTED_BY_HAND:
                assert event.actor_id in demo.network.coordinators.users
            if event.kind != EventKind.DECLINED:  # a decline's next state is the routing's
                state = event.to_state
        assert state == handover.state, handover.ref


def test_the_residents_are_made_up_and_never_in_a_channel(demo):
    with Session(demo.engine) as session:
        residents = list(session.exec(select(Resident)).all())
    assert all(r.phone.startswith("07700 900") for r in residents)  # Ofcom's drama range
    assert all(r.email is None or r.email.endswith("@example.org") for r in residents)
    channels = [c["id"] for c in demo.fake.channels() if not c["id"].startswith("D")]
    shown = []
    for channel in channels:
        for message in demo.fake.messages(channel):
            shown.append(message)
            shown.extend(demo.fake.thread(channel, message["ts"]))
    cards = [m for m in shown if "HO-" in json.dumps(m)]
    assert len(cards) > 30  # the providers' channels show the recent cards and threads
    text = json.dumps(shown)
    for resident in residents:
        assert resident.name not in text and resident.phone not in text


def test_the_digest_has_figures_for_the_last_seven_days(demo):
    now = demo.clock.now()
    with Session(demo.engine) as session:
        digest = compute_digest(
            session,
            start=now - timedelta(days=7),
            end=now,
            network=demo.network,
            working_time=demo.app.bot.handovers.working_time,
            now=now,
        )
    week = digest.this_week
    assert week.raised > 0 and week.accepted > 0 and week.declined > 0
    assert week.accept_median is not None and week.accept_median > timedelta(0)
    assert sum(n for row in digest.providers for n in row.declined_by_reason.values()) > 0
    assert digest.gaps  # needs nobody could meet
    assert any(row.overdue_now for row in digest.providers)
    assert sum(n for _, counts in digest.trend for n in counts.values()) > 40  # eight weeks


def test_the_same_history_every_time(demo, tmp_path, monkeypatch):
    again = build(tmp_path, monkeypatch)
    try:
        assert summary(again) == summary(demo)
    finally:
        again.stop()


def test_the_weekly_digest_does_not_post_the_past_weeks_on_start(demo):
    before = len(demo.fake.messages(demo.network.coordinators.channel))
    demo.app.scheduler.tick()
    demo.app.scheduler.tick(demo.clock.now() + timedelta(minutes=1))
    after = demo.fake.messages(demo.network.coordinators.channel)
    assert not any("Handover digest" in m["text"] for m in after[before:])


def test_reset_brings_the_history_back(demo):
    """Last in this module: it starts the demo again."""
    first = summary(demo)
    waiting = next(h for h in handovers(demo) if h.state == State.PENDING)
    demo.app.bot.handovers.withdraw(waiting.id, actor_id=waiting.adviser_id)
    demo.reset()
    assert summary(demo) == first
    provider_channels = {p.channel for p in demo.network.providers}
    assert any(demo.fake.messages(channel) for channel in provider_channels)
