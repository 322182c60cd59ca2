"""A provider accepts or declines, makes contact and records the outcome, from its card."""

from datetime import timedelta

from tests.network import (
    ADVISER,
    COORD_CHANNEL,
    COUNCIL_CHANNEL,
    CV_CHANNEL,
    CV_STAFF,
    CV_STAFF2,
    ESOL_STAFF,
    OUTSIDER,
)
from tests.scenarios.helpers import last_card, refer


def buttons(message) -> list[str]:
    return [
        e["text"]["text"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def accept(slack, fake, user=CV_STAFF, date="2026-11-27", channel=CV_CHANNEL):
    slack.click_button(user, last_card(fake, channel), channel, "Accept")
    return slack.answer(slack.submit(user, {"contact_by": date}))


def test_accept_names_the_worker_and_shares_details_only_with_them(slack, fake):
    refer(slack)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    (modal,) = fake.open_views(CV_STAFF)
    date_input = next(b for b in modal["blocks"] if b.get("block_id") == "contact_by")
    # Two working days after Wednesday 25 November.
    assert date_input["element"]["initial_date"] == "2026-11-27"

    answer = slack.answer(slack.submit(CV_STAFF, {"contact_by": "2026-11-30"}))
    assert answer["response_action"] == "update"
    assert "Sam Resident" in str(answer["view"]) and "07911 123456" in str(answer["view"])

    private = str(fake.dms(CV_STAFF))
    assert "Sam Resident" in private and "Step-free access please" in private
    assert "agreed" in private  # the consent record travels with the details

    card = last_card(fake, CV_CHANNEL)
    assert f"<@{CV_STAFF}>" in str(card) and "Mon 30 Nov 2026" in str(card)
    assert buttons(card) == ["Made contact", "Record outcome"]
    assert "Sam Resident" not in str(fake.messages(CV_CHANNEL))
    assert "Sam Resident" not in str(fake.thread(CV_CHANNEL, card["ts"]))
    assert any("accepted" in m["text"] for m in fake.thread(CV_CHANNEL, card["ts"]))

    told = fake.dms(ADVISER)[-1]["text"]
    assert "accepted" in told and "Mon 30 Nov 2026" in told


def test_a_date_in_the_past_is_refused_in_the_modal(slack, fake):
    refer(slack)
    answer = accept(slack, fake, date="2026-11-20")
    assert answer == {
        "response_action": "errors",
        "errors": {"contact_by": "Choose today or a later date."},
    }
    assert buttons(last_card(fake, CV_CHANNEL)) == ["Accept", "Decline"]


def test_two_accepts_apply_once_and_the_second_is_told_who_won(slack, fake):
    refer(slack)
    card = last_card(fake, CV_CHANNEL)
    slack.click_button(CV_STAFF, card, CV_CHANNEL, "Accept")
    slack.click_button(CV_STAFF2, card, CV_CHANNEL, "Accept")
    first = slack.answer(slack.submit(CV_STAFF, {"contact_by": "2026-11-27"}))
    second = slack.answer(slack.submit(CV_STAFF2, {"contact_by": "2026-11-27"}))
    assert first["response_action"] == "update"
    assert second["response_action"] == "update"
    assert f"already accepted by <@{CV_STAFF}>" in str(second["view"])
    assert "Sam Resident" not in str(second["view"])
    assert fake.dms(CV_STAFF2) == []
    accepted_lines = [m for m in fake.thread(CV_CHANNEL, card["ts"]) if "accepted" in m["text"]]
    assert len(accepted_lines) == 1


def test_a_repeated_click_after_accepting_is_refused_privately(slack, fake):
    refer(slack)
    card = last_card(fake, CV_CHANNEL)
    accept(slack, fake)
    slack.click_button(CV_STAFF2, card, CV_CHANNEL, "Accept")  # the old card, still on screen
    assert fake.open_views(CV_STAFF2) == []
    assert "already accepted" in fake.ephemerals(CV_STAFF2)[-1]["text"]


def test_non_members_cannot_act_for_the_provider(slack, fake):
    refer(slack)
    card = last_card(fake, CV_CHANNEL)
    for outsider in (OUTSIDER, ESOL_STAFF, ADVISER):
        slack.click_button(outsider, card, CV_CHANNEL, "Accept")
        assert not any(v["title"]["text"].startswith("Accept") for v in fake.open_views(outsider))
        assert "Only members of Northside CV Clinic" in fake.ephemerals(outsider)[-1]["text"]
    assert buttons(last_card(fake, CV_CHANNEL)) == ["Accept", "Decline"]


def test_contact_then_outcome_closes_the_handover(slack, fake):
    refer(slack)
    accept(slack, fake)
    slack.click_button(CV_STAFF2, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Made contact")
    card = last_card(fake, CV_CHANNEL)
    assert buttons(card) == ["Record outcome"]
    assert "first contact" in fake.dms(ADVISER)[-1]["text"]

    slack.click_button(CV_STAFF, card, CV_CHANNEL, "Record outcome")
    slack.submit(CV_STAFF, {"outcome": "started_support", "outcome_note": ""})
    card = last_card(fake, CV_CHANNEL)
    assert buttons(card) == []
    assert "Started support" in str(card)
    assert "closed" in fake.dms(ADVISER)[-1]["text"]
    thread = [m["text"] for m in fake.thread(CV_CHANNEL, card["ts"])]
    assert len(thread) == 3  # accepted, contact, closed


def test_outcome_other_needs_a_note(slack, fake):
    refer(slack)
    accept(slack, fake)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Record outcome")
    answer = slack.answer(slack.submit(CV_STAFF, {"outcome": "other", "outcome_note": ""}))
    assert answer["response_action"] == "errors" and "outcome_note" in answer["errors"]


def test_decline_moves_on_to_the_next_provider_and_tells_the_adviser_why(slack, fake):
    refer(slack)
    first_card = last_card(fake, CV_CHANNEL)
    slack.click_button(CV_STAFF, first_card, CV_CHANNEL, "Decline")
    answer = slack.answer(slack.submit(CV_STAFF, {"reason": "at_capacity", "reason_note": ""}))
    assert answer == {}  # the modal closes

    old = last_card(fake, CV_CHANNEL)
    assert buttons(old) == [] and "moved on" in str(old)
    new = last_card(fake, COUNCIL_CHANNEL)
    assert "HO-0001" in new["text"] and buttons(new) == ["Accept", "Decline"]
    told = fake.dms(ADVISER)[-1]["text"]
    assert (
        "Northside CV Clinic" in told
        and "at capacity" in told
        and "Council Employment Team" in told
    )

    # The old card's buttons no longer act.
    slack.click_button(CV_STAFF2, first_card, CV_CHANNEL, "Accept")
    assert "moved on" in fake.ephemerals(CV_STAFF2)[-1]["text"]


def test_declined_by_everyone_it_goes_to_the_coordinators(slack, fake):
    refer(slack)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Decline")
    slack.submit(CV_STAFF, {"reason": "out_of_area", "reason_note": ""})
    from tests.network import COUNCIL_STAFF

    slack.click_button(COUNCIL_STAFF, last_card(fake, COUNCIL_CHANNEL), COUNCIL_CHANNEL, "Decline")
    slack.submit(COUNCIL_STAFF, {"reason": "other", "reason_note": "Needs a specialist"})

    unmatched = last_card(fake, COORD_CHANNEL)
    assert "HO-0001" in unmatched["text"]
    # The coordinators see who offers the need and why they are not the answer.
    select = next(b["accessory"] for b in unmatched["blocks"] if "accessory" in b)
    groups = {
        g["label"]["text"]: [o["text"]["text"] for o in g["options"]]
        for g in select["option_groups"]
    }
    assert "Northside CV Clinic (already declined it)" in groups["Offer a need, but"]
    told = fake.dms(ADVISER)[-1]["text"]
    assert "Needs a specialist" in told and "coordinators" in told


def test_decline_other_needs_a_reason(slack, fake):
    refer(slack)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Decline")
    answer = slack.answer(slack.submit(CV_STAFF, {"reason": "other", "reason_note": "  "}))
    assert answer["response_action"] == "errors" and "reason_note" in answer["errors"]
    assert fake.messages(COUNCIL_CHANNEL) == []


def test_membership_is_asked_of_slack_once_a_minute(slack, fake, clock):
    refer(slack)
    card = last_card(fake, CV_CHANNEL)
    slack.click_button(OUTSIDER, card, CV_CHANNEL, "Accept")
    slack.click_button(OUTSIDER, card, CV_CHANNEL, "Decline")
    assert len(fake.calls_to("conversations.members")) == 1
    clock.advance(timedelta(minutes=2))
    slack.click_button(OUTSIDER, card, CV_CHANNEL, "Accept")
    assert len(fake.calls_to("conversations.members")) == 2
