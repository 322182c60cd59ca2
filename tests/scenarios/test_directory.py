"""Capacity, set from Slack: paused providers get no handovers, limited ones come after."""

from datetime import timedelta

from tests.network import (
    ADVISER,
    COORDINATOR,
    COUNCIL_CHANNEL,
    CV_CHANNEL,
    CV_STAFF,
    OUTSIDER,
)
from tests.scenarios.helpers import last_card, refer


def set_capacity(slack, fake, user, answers, provider_button="cv-clinic"):
    """Open App Home, press Set capacity (on a queue, or the coordinators' button), submit."""
    slack.open_home(user)
    home = fake.home(user)
    button = next(
        element
        for block in home["blocks"]
        for element in [block.get("accessory") or {}, *block.get("elements", [])]
        if element.get("action_id") == "directory.set_capacity"
        and element.get("value", "") == provider_button
    )
    slack.click(user, button["action_id"], value=button.get("value"), home=True)
    return slack.answer(slack.submit(user, answers))


def test_provider_staff_pause_their_service_and_handovers_go_elsewhere(slack, fake):
    answer = set_capacity(
        slack,
        fake,
        CV_STAFF,
        {"capacity": "paused", "paused_until": "2026-12-07", "capacity_reason": "Two on leave"},
    )
    assert answer["response_action"] == "update", answer
    notice = last_card(fake, CV_CHANNEL)
    assert "paused until Mon 7 Dec 2026" in notice["text"] and "Two on leave" in notice["text"]
    refer(slack)
    assert "HO-0001" in last_card(fake, COUNCIL_CHANNEL)["text"]
    assert not any("HO-0001" in m["text"] for m in fake.messages(CV_CHANNEL))
    slack.command(ADVISER, "providers cv")
    assert "paused until Mon 7 Dec 2026" in str(fake.ephemerals(ADVISER)[-1])


def test_a_pause_lifts_by_itself_on_its_date(slack, fake, clock):
    set_capacity(
        slack,
        fake,
        CV_STAFF,
        {"capacity": "paused", "paused_until": "2026-11-27", "capacity_reason": "Training day"},
    )
    clock.advance(timedelta(days=2))  # Friday 27 November
    refer(slack)
    assert "HO-0001" in last_card(fake, CV_CHANNEL)["text"]


def test_limited_providers_are_offered_handovers_after_open_ones(slack, fake):
    set_capacity(slack, fake, CV_STAFF, {"capacity": "limited"})
    # No district: neither is more local, so capacity decides (a local provider that is
    # limited still comes before one that merely covers the area).
    refer(slack, district="")
    assert "HO-0001" in last_card(fake, COUNCIL_CHANNEL)["text"]


def test_a_pause_needs_a_reason_and_a_future_date(slack, fake):
    answer = set_capacity(slack, fake, CV_STAFF, {"capacity": "paused"})
    assert answer["errors"] == {"capacity_reason": "Say why, so coordinators know."}
    slack.fake.close_modal(CV_STAFF)
    answer = set_capacity(
        slack,
        fake,
        CV_STAFF,
        {"capacity": "paused", "paused_until": "2026-11-01", "capacity_reason": "x"},
    )
    assert answer["errors"] == {"paused_until": "Choose a date after today."}


def test_only_staff_or_coordinators_set_a_providers_capacity(slack, fake):
    slack.command(OUTSIDER, "capacity")
    assert "not in any provider's handover channel" in fake.ephemerals(OUTSIDER)[-1]["text"]
    # A coordinator can set any provider's, and sees them all at a glance.
    answer = set_capacity(
        slack,
        fake,
        COORDINATOR,
        {"provider": "town-hall", "capacity": "paused", "capacity_reason": "Office move"},
        provider_button="",
    )
    assert answer["response_action"] == "update"
    slack.open_home(COORDINATOR)
    home = str(fake.home(COORDINATOR))
    assert "Directory" in home and "*Council Employment Team*: paused until resumed" in home


def test_a_forged_provider_in_the_capacity_form_is_refused(slack, fake):
    slack.click(CV_STAFF, "directory.set_capacity", value="cv-clinic", home=True)
    answer = slack.answer(
        slack.submit(
            CV_STAFF, {"provider": "town-hall", "capacity": "paused", "capacity_reason": "x"}
        )
    )
    assert answer["response_action"] == "update"
    assert "Only Council Employment Team's staff" in str(answer["view"])
