"""Coordinators can re-open a finished handover: it comes back to them to route."""

from tests.network import ADVISER, COORD_CHANNEL, COORDINATOR, CV_CHANNEL, CV_STAFF
from tests.scenarios.helpers import last_card, refer


def close_it(slack, fake):
    refer(slack)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-11-27"})
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Record outcome")
    slack.submit(CV_STAFF, {"outcome": "could_not_contact", "outcome_note": ""})


def test_a_coordinator_reopens_from_the_status_reply(slack, fake):
    close_it(slack, fake)
    slack.command(COORDINATOR, "status HO-0001")
    reply = fake.ephemerals(COORDINATOR)[-1]
    button = next(e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert button["text"]["text"] == "Re-open" and "confirm" in button
    slack.click(COORDINATOR, button["action_id"], value=button["value"], message=reply,
                channel="C0GENERAL1")  # fmt: skip
    unmatched = last_card(fake, COORD_CHANNEL)
    assert "HO-0001" in unmatched["text"]
    assert "Re-opened by a coordinator" in str(last_card(fake, CV_CHANNEL))
    assert "re-opened HO-0001" in fake.dms(ADVISER)[-1]["text"]
    slack.command(ADVISER, "status HO-0001")
    assert "With the coordinators" in fake.ephemerals(ADVISER)[-1]["text"]


def test_reopen_by_command_records_why_and_only_coordinators_may(slack, fake):
    close_it(slack, fake)
    slack.command(CV_STAFF, "reopen HO-0001")
    assert "Only the network's coordinators can re-open" in fake.ephemerals(CV_STAFF)[-1]["text"]
    slack.command(COORDINATOR, "reopen HO-0001 resident called back")
    assert "re-opened" in fake.ephemerals(COORDINATOR)[-1]["text"]
    assert "resident called back" in fake.dms(ADVISER)[-1]["text"]
    slack.command(COORDINATOR, "reopen HO-0001")
    assert "is with the coordinators" in fake.ephemerals(COORDINATOR)[-1]["text"]


def test_an_open_handover_shows_no_reopen_button(slack, fake):
    refer(slack)
    slack.command(COORDINATOR, "status HO-0001")
    assert not [b for b in fake.ephemerals(COORDINATOR)[-1]["blocks"] if b["type"] == "actions"]
