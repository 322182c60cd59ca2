"""A provider's channel is replaced in the network file: its cards follow it there."""

from __future__ import annotations

from bot.directory.network import parse_network
from tests.harness import Harness
from tests.network import ADVISER, COORD_CHANNEL, CV_CHANNEL, CV_STAFF, NETWORK_YAML
from tests.scenarios.helpers import refer

NEW_CHANNEL = "C0CVNEW001"


def restart_with_new_channel(slack, fake, db, clock) -> Harness:
    """The coordinators point cv-clinic at a new channel and restart the bot."""
    fake.add_channel(NEW_CHANNEL, "cv-clinic-handovers", members=[CV_STAFF])
    network = parse_network(NETWORK_YAML.replace(CV_CHANNEL, NEW_CHANNEL), source="moved")
    moved = Harness(fake=fake, engine=db, network=network, clock=clock)
    moved.errors = slack.errors
    return moved


def cards(fake, channel) -> list[dict]:
    return [m for m in fake.messages(channel) if m["text"].startswith("Handover ")]


def test_an_open_handovers_card_is_posted_again_in_the_new_channel(slack, fake, db, clock):
    refer(slack, destination="provider:cv-clinic")
    assert len(cards(fake, CV_CHANNEL)) == 1
    moved = restart_with_new_channel(slack, fake, db, clock)
    assert [c["text"].split()[1].rstrip(":") for c in cards(fake, NEW_CHANNEL)] == ["HO-0001"]
    # The new card is the live one: accepting there works, and updates it in place.
    moved.click_button(CV_STAFF, cards(fake, NEW_CHANNEL)[0], NEW_CHANNEL, "Accept")
    moved.submit(CV_STAFF, {"contact_by": "2026-11-30"})
    assert len(cards(fake, NEW_CHANNEL)) == 1
    assert fake.thread(NEW_CHANNEL, cards(fake, NEW_CHANNEL)[0]["ts"])
    moved.executor.drain()


def test_a_card_held_for_an_archived_channel_goes_to_the_new_one(slack, fake, db, clock):
    slack.errors_expected = True
    fake.fail_next("chat.postMessage", error="is_archived")
    refer(slack, destination="provider:cv-clinic")
    assert cards(fake, CV_CHANNEL) == []
    assert any("could not be sent" in m["text"] for m in fake.messages(COORD_CHANNEL))
    moved = restart_with_new_channel(slack, fake, db, clock)
    assert len(cards(fake, NEW_CHANNEL)) == 1  # once: the held card, moved, not a second
    moved.command(ADVISER, "status HO-0001")
    assert "Waiting to be accepted" in fake.ephemerals(ADVISER)[-1]["text"]
    moved.executor.drain()


def test_a_closed_handover_is_not_posted_again(slack, fake, db, clock):
    refer(slack, destination="provider:cv-clinic")
    slack.app.bot.handovers.withdraw(1, actor_id=ADVISER)
    restart_with_new_channel(slack, fake, db, clock).executor.drain()
    assert cards(fake, NEW_CHANNEL) == []
