"""Partners in other organisations' workspaces, in Slack Connect channels: they act on the
app's cards and modals like anyone (Slack sends their clicks with their own team), and,
since ``/handover`` is not theirs to use, refer through a Refer a resident button a
coordinator posts. A resident's details never go into a channel, shared or not."""

from __future__ import annotations

from sqlalchemy import text

from sandbox import requests
from tests.harness import TEAM, fill
from tests.network import (
    ADVISER,
    COORD_CHANNEL,
    COORDINATOR,
    CV_CHANNEL,
    CV_STAFF,
    CV_STAFF2,
    GENERAL,
)
from tests.scenarios.helpers import GOOD_REFERRAL, last_card, refer

OTHER_TEAM = "T0PARTNER"
EXTERNAL = "U0PARTNER1"  # a worker from a partner organisation's own workspace
SHARED = "C0SHARED01"  # a Slack Connect channel the bot is in


def from_outside(payload: dict) -> dict:
    """As Slack sends an external member's interaction: their own team, a shared channel."""
    payload["team"] = {"id": OTHER_TEAM, "domain": "partner"}
    payload["user"] = {**payload["user"], "team_id": OTHER_TEAM}
    payload["is_ext_shared_channel"] = True
    return payload


def click_outside(slack, fake, message: dict, channel: str, label: str):
    button = next(
        element
        for block in message.get("blocks", [])
        for element in block.get("elements", [])
        if element.get("type") == "button" and element["text"]["text"] == label
    )
    action = {"action_id": button["action_id"], "block_id": "b", "type": "button"}
    action["value"] = button.get("value")
    payload = requests.block_actions(
        team=TEAM,
        user=EXTERNAL,
        trigger_id=fake.issue_trigger_id(EXTERNAL),
        action=action,
        channel=channel,
        message=message,
        response_url=fake.response_url(EXTERNAL, channel, message["ts"]),
    )
    return slack.send(requests.interaction(from_outside(payload)))


def submit_outside(slack, fake, answers: dict):
    (view,) = fake.open_views(EXTERNAL)[-1:]
    payload = requests.view_submission(
        team=TEAM,
        user=EXTERNAL,
        trigger_id=fake.issue_trigger_id(EXTERNAL),
        view={"id": "VSUBMIT", **view},
        values=fill(view, answers),
    )
    response = slack.send(requests.interaction(from_outside(payload)))
    if response.status_code == 200:
        fake.answer_view_submission(EXTERNAL, slack.answer(response))
    return slack.answer(response)


def test_an_external_member_of_a_shared_provider_channel_accepts_a_card(slack, fake):
    fake.add_user(EXTERNAL, name="erin", real_name="Erin Partner")
    fake.add_channel(
        CV_CHANNEL, name="handovers-cv-clinic", members=[CV_STAFF, CV_STAFF2, EXTERNAL]
    )
    refer(slack)
    click_outside(slack, fake, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    answer = submit_outside(slack, fake, {"contact_by": "2026-11-27"})
    assert answer["response_action"] == "update"
    assert "Sam Resident" in str(answer["view"])  # privately, in their own modal
    card = last_card(fake, CV_CHANNEL)
    assert f"<@{EXTERNAL}>" in str(card) and "Made contact" in str(card)
    # The shared channel never sees the resident: not the card, not its thread.
    shared = str(fake.messages(CV_CHANNEL)) + str(fake.thread(CV_CHANNEL, card["ts"]))
    for detail in ("Sam Resident", "07911", "Step-free access"):
        assert detail not in shared


def test_an_outsider_in_the_other_workspace_still_cannot_accept(slack, fake):
    fake.add_user(EXTERNAL, name="erin", real_name="Erin Partner")
    refer(slack)  # EXTERNAL is not a member of the provider's channel
    click_outside(slack, fake, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    assert fake.open_views(EXTERNAL) == []
    assert "Only members" in fake.ephemerals(EXTERNAL)[-1]["text"]
    assert "Made contact" not in str(last_card(fake, CV_CHANNEL))


def test_a_coordinator_posts_a_refer_button_and_a_partner_refers_through_it(slack, fake, db):
    fake.add_user(EXTERNAL, name="erin", real_name="Erin Partner")
    fake.add_channel(SHARED, name="partners-shared", members=[COORDINATOR, EXTERNAL])
    slack.command(COORDINATOR, f"button <#{SHARED}|partners-shared>")
    assert "on its way to" in fake.ephemerals(COORDINATOR)[-1]["text"]
    (button,) = fake.messages(SHARED)
    assert "Refer a resident" in str(button) and button["text"]

    click_outside(slack, fake, button, SHARED, "Refer a resident")
    (form,) = fake.open_views(EXTERNAL)
    assert form["title"]["text"] == "New handover"
    chosen = submit_outside(slack, fake, {**GOOD_REFERRAL, "organisation": "Partner Trust"})
    assert chosen["view"]["callback_id"] == "handover.choose"
    sent = submit_outside(slack, fake, {"destination": "network"})
    assert "is on its way to" in str(sent)
    with db.connect() as connection:
        (row,) = connection.execute(
            text("SELECT adviser_id, adviser_team, adviser_org FROM handover")
        ).all()
    assert tuple(row) == (EXTERNAL, OTHER_TEAM, "Partner Trust")
    assert "Partner Trust" in str(last_card(fake, CV_CHANNEL))
    assert "Sam Resident" not in str(fake.messages(SHARED))


def test_a_handover_from_the_networks_own_workspace_records_no_other_team(slack, fake, db):
    refer(slack)
    with db.connect() as connection:
        assert connection.execute(text("SELECT adviser_team FROM handover")).scalar() is None


def test_the_button_here_and_only_for_coordinators(slack, fake):
    slack.command(COORDINATOR, "button", channel=COORD_CHANNEL)
    assert "Refer a resident" in str(fake.messages(COORD_CHANNEL)[-1])
    slack.command(ADVISER, "button", channel=GENERAL)
    refusal = fake.ephemerals(ADVISER)[-1]["text"]
    assert "Only the network's coordinators can post a Refer a resident button" in refusal
    assert not any("Refer a resident" in str(m) for m in fake.messages(GENERAL))
    slack.command(COORDINATOR, "button general", channel=COORD_CHANNEL)
    assert "Name the channel as Slack does" in fake.ephemerals(COORDINATOR)[-1]["text"]


def test_a_coordinator_posts_the_button_from_app_home(slack, fake):
    fake.add_channel(SHARED, name="partners-shared", members=[COORDINATOR])
    slack.open_home(COORDINATOR)
    home = fake.home(COORDINATOR)
    button = next(
        element
        for block in home["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["text"]["text"] == "Post a Refer a resident button"
    )
    slack.click(COORDINATOR, button["action_id"], home=True)
    (modal,) = fake.open_views(COORDINATOR)
    assert modal["title"]["text"] == "Refer button"
    answer = slack.answer(slack.submit(COORDINATOR, {"refer_channel": None}))
    assert answer["errors"] == {"refer_channel": "Choose the channel."}
    answer = slack.answer(slack.submit(COORDINATOR, {"refer_channel": SHARED}))
    assert "on its way to" in str(answer["view"])
    assert "Refer a resident" in str(fake.messages(SHARED)[-1])


def test_app_home_offers_the_button_only_to_coordinators(slack, fake):
    slack.open_home(ADVISER)
    assert "Post a Refer a resident button" not in str(fake.home(ADVISER))
