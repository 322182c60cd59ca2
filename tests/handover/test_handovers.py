"""The lifecycle applied to the database: once and only once, with an audit trail."""

from __future__ import annotations

import contextlib
import threading
from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.directory.providers import sync_directory
from bot.errors import Conflict, Refused
from bot.handover.handovers import Handovers
from bot.handover.referral import ReferralForm, check_referral
from storage import queries
from storage.db import session_factory
from storage.models import EventKind, HandoverEvent, Provider, State
from tests.network import ADVISER, COORDINATOR, CV_CHANNEL, CV_STAFF, CV_STAFF2, OUTSIDER

COUNCIL_CHANNEL = "C0COUNCIL1"


@pytest.fixture
def members():
    """Who is in which provider channel; a test may add people."""
    return {CV_CHANNEL: {CV_STAFF, CV_STAFF2}, COUNCIL_CHANNEL: {OUTSIDER}}


@pytest.fixture
def handovers(db, network, clock, members):
    sessions = session_factory(db)
    sync_directory(network, sessions=sessions)
    return Handovers(
        sessions=sessions,
        network=network,
        clock=clock,
        membership=lambda channel, user: user in members.get(channel, set()),
    )


def referral(network, **changes):
    answers = {
        "needs": ["cv"],
        "name": "Sam Resident",
        "phone": "07911 123456",
        "district": "NW1",
        "consent": True,
    }
    form = ReferralForm(**{**answers, **changes})
    return check_referral(form, network)


def events(handovers, handover_id):
    with handovers.sessions() as session:
        return session.exec(
            select(HandoverEvent)
            .where(HandoverEvent.handover_id == handover_id)
            .order_by(HandoverEvent.id)
        ).all()


def test_two_workers_accepting_at_once_apply_once(handovers, network):
    raised = handovers.raise_handover(referral(network), adviser_id=ADVISER).handover
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def accept(worker):
        barrier.wait()
        try:
            results[worker] = handovers.accept(
                raised.id, card_provider="cv-clinic", actor_id=worker, contact_by=date(2026, 12, 1)
            )
        except Conflict as exc:
            results[worker] = exc

    threads = [threading.Thread(target=accept, args=(w,)) for w in (CV_STAFF, CV_STAFF2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    conflicts = [r for r in results.values() if isinstance(r, Conflict)]
    assert len(conflicts) == 1
    winner = handovers.handover(raised.id).worker_id
    assert winner in (CV_STAFF, CV_STAFF2)
    assert f"already accepted by <@{winner}>" in conflicts[0].message
    kinds = [e.kind for e in events(handovers, raised.id)]
    assert kinds.count(EventKind.ACCEPTED) == 1


def test_the_same_decline_twice_applies_once(handovers, network):
    raised = handovers.raise_handover(referral(network), adviser_id=ADVISER).handover
    handovers.decline(raised.id, card_provider="cv-clinic", actor_id=CV_STAFF, reason="at_capacity")
    with pytest.raises(Conflict, match="moved on"):
        handovers.decline(
            raised.id, card_provider="cv-clinic", actor_id=CV_STAFF, reason="at_capacity"
        )
    kinds = [e.kind for e in events(handovers, raised.id)]
    assert kinds.count(EventKind.DECLINED) == 1


def test_every_change_is_an_event_with_who_when_from_to_and_why(handovers, network, clock):
    raised = handovers.raise_handover(referral(network), adviser_id=ADVISER).handover
    handovers.decline(
        raised.id, card_provider="cv-clinic", actor_id=CV_STAFF, reason="other", note="full"
    )
    trail = events(handovers, raised.id)
    assert [(e.kind, e.from_state, e.to_state) for e in trail] == [
        (EventKind.CREATED, None, State.PENDING),
        (EventKind.ROUTED, None, State.PENDING),
        (EventKind.DECLINED, State.PENDING, State.PENDING),
        (EventKind.ROUTED, None, State.PENDING),
    ]
    declined = trail[2]
    assert (declined.actor_id, declined.provider_id, declined.reason, declined.note) == (
        CV_STAFF,
        "cv-clinic",
        "other",
        "full",
    )
    assert declined.at == clock.now()
    assert trail[3].provider_id == "town-hall"
    assert trail[0].note and "agreed" in trail[0].note  # what the resident consented to


def test_a_provider_that_declined_is_never_offered_it_again(handovers, network):
    # Aged 30-49 in NW1: only the CV clinic and the council fit (youth services do not).
    raised = handovers.raise_handover(
        referral(network, age_band="30-49"), adviser_id=ADVISER
    ).handover
    handovers.decline(raised.id, card_provider="cv-clinic", actor_id=CV_STAFF, reason="at_capacity")
    with pytest.raises(Refused):
        # Now at the council: cv-clinic's staff cannot act for it.
        handovers.decline(
            raised.id, card_provider="town-hall", actor_id=CV_STAFF, reason="at_capacity"
        )
    change = handovers.decline(
        raised.id, card_provider="town-hall", actor_id=OUTSIDER, reason="out_of_area"
    )
    # cv-clinic declined first, so with the council declining nobody is left.
    assert change.handover.state == State.UNMATCHED
    assert change.routed == EventKind.UNMATCHED


def test_round_robin_spreads_equal_providers(handovers, network):
    # No district: nobody is more local than another, so the turn decides.
    first = handovers.raise_handover(referral(network, district=""), adviser_id=ADVISER)
    handovers.withdraw(first.handover.id, actor_id=ADVISER)
    second = handovers.raise_handover(referral(network, district=""), adviser_id=ADVISER)
    # Equal needs covered and equal load: the one not routed to most recently goes next.
    assert {first.provider.id, second.provider.id} == {"cv-clinic", "town-hall"}
    assert "next in turn among three equal fits" in first.handover.match_reason


def test_referrals_sent_at_the_same_moment_take_turns_not_the_same_provider(
    handovers, network, monkeypatch
):
    """Both read the providers' loads before either is stored, as at a busy drop-in."""
    read = queries.provider_days
    both_read = threading.Barrier(2)
    waited = threading.local()

    def reading_together(**kwargs):
        days = read(**kwargs)
        if not getattr(waited, "done", False):
            waited.done = True
            # The other may not read meanwhile: on PostgreSQL routing is one at a time.
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait(timeout=0.5)
        return days

    monkeypatch.setattr(queries, "provider_days", reading_together)
    placed = {}

    def send(n):
        change = handovers.raise_handover(
            referral(network, district="", name=f"Resident {n}"), adviser_id=ADVISER
        )
        placed[n] = change.provider.id

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Equal fits and equal loads: one each, as if they had come one after the other.
    assert len(placed) == 2 and placed[0] != placed[1]
    with handovers.sessions() as session:
        turns = {p.id: p.routed_volume for p in session.exec(select(Provider))}
    assert sorted(turns.values(), reverse=True)[:2] == pytest.approx([1.0, 1.0], abs=0.01)


def test_routing_counts_towards_the_providers_usual_volume(handovers, network, clock):
    handovers.raise_handover(referral(network), adviser_id=ADVISER)
    handovers.raise_handover(referral(network), adviser_id=ADVISER)
    with handovers.sessions() as session:
        clinic = session.get(Provider, "cv-clinic")
        assert clinic.routed_volume == pytest.approx(2.0, abs=0.01)
        assert clinic.routed_volume_at == clock.now()


def test_removed_providers_are_kept_but_never_routed_to(db, network, clock):
    sessions = session_factory(db)
    sync_directory(network, sessions=sessions)
    smaller = network.model_copy(
        update={"providers": [p for p in network.providers if p.id != "cv-clinic"]}
    )
    sync_directory(smaller, sessions=sessions)
    with sessions() as session:
        assert session.get(Provider, "cv-clinic").active is False
    handovers = Handovers(
        sessions=sessions, network=smaller, clock=clock, membership=lambda c, u: False
    )
    change = handovers.raise_handover(referral(network), adviser_id=ADVISER)
    assert change.provider.id == "town-hall"


def test_only_coordinators_route_by_hand_and_only_adviser_or_coordinator_withdraw(
    handovers, network
):
    raised = handovers.raise_handover(
        referral(network, needs=["self_employment"]), adviser_id=ADVISER
    ).handover
    assert raised.state == State.UNMATCHED
    with pytest.raises(Refused):
        handovers.route_by_hand(raised.id, provider_id="cv-clinic", actor_id=CV_STAFF)
    change = handovers.route_by_hand(raised.id, provider_id="cv-clinic", actor_id=COORDINATOR)
    assert change.handover.state == State.PENDING and change.handover.routed_by_hand
    with pytest.raises(Refused):
        handovers.withdraw(raised.id, actor_id=CV_STAFF)
    assert handovers.withdraw(raised.id, actor_id=COORDINATOR).handover.state == State.WITHDRAWN
    with pytest.raises(Conflict, match="withdrawn"):
        handovers.withdraw(raised.id, actor_id=ADVISER)


def test_a_provider_marked_inactive_in_the_file_gets_no_handovers(db, network, clock):
    sessions = session_factory(db)
    entries = [
        p.model_copy(update={"active": False}) if p.id == "cv-clinic" else p
        for p in network.providers
    ]
    waiting = network.model_copy(update={"providers": entries})
    sync_directory(waiting, sessions=sessions)
    handovers = Handovers(
        sessions=sessions, network=waiting, clock=clock, membership=lambda c, u: False
    )
    change = handovers.raise_handover(referral(network), adviser_id=ADVISER)
    assert change.provider.id == "town-hall"


def test_the_coordinators_view_counts_open_handovers_by_state(handovers, network):
    first = handovers.raise_handover(referral(network), adviser_id=ADVISER).handover
    handovers.raise_handover(referral(network), adviser_id=ADVISER)
    handovers.raise_handover(referral(network, needs=["self_employment"]), adviser_id=ADVISER)
    withdrawn = handovers.raise_handover(referral(network), adviser_id=ADVISER).handover
    handovers.accept(
        first.id, card_provider="cv-clinic", actor_id=CV_STAFF, contact_by=date(2026, 12, 1)
    )
    handovers.withdraw(withdrawn.id, actor_id=ADVISER)
    counts, unmatched = handovers.network_view()
    # Finished handovers are the digest's to count, not App Home's.
    assert counts == {State.PENDING: 1, State.ACCEPTED: 1, State.UNMATCHED: 1}
    assert [h.state for h in unmatched] == [State.UNMATCHED]


def test_accept_and_first_contact_keep_the_working_time_since_raised(handovers, network, clock):
    raised = handovers.raise_handover(referral(network), adviser_id=ADVISER).handover
    clock.advance(timedelta(hours=3))
    handovers.accept(
        raised.id, card_provider="cv-clinic", actor_id=CV_STAFF, contact_by=date(2026, 12, 1)
    )
    clock.advance(timedelta(days=2))
    handovers.make_contact(raised.id, card_provider="cv-clinic", actor_id=CV_STAFF)
    trail = {e.kind: e for e in events(handovers, raised.id)}
    working = handovers.working_time
    created = raised.created_at
    accepted, contacted = trail[EventKind.ACCEPTED], trail[EventKind.CONTACTED]
    # By the network's working hours, as the digest would have worked it out.
    assert accepted.working_seconds == working.between(created, accepted.at).total_seconds()
    assert contacted.working_seconds == working.between(created, contacted.at).total_seconds()
    assert 0 < accepted.working_seconds < contacted.working_seconds < 2 * 86400
    assert trail[EventKind.CREATED].working_seconds is None
