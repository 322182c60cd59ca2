"""response_url posts to the stand-in Slack: where a reply goes, and what it may replace.

Slack's rule ("Modifying messages"): a response_url from an interaction with a message can
replace or delete that message, ephemeral or not; a slash command's has no original.
"""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from sandbox.slack import FakeSlack

TOKEN = "xoxb-test"
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "A resident needs a CV review"}}
BUTTON = {"type": "button", "action_id": "yes", "text": {"type": "plain_text", "text": "Yes"}}


@pytest.fixture
def fake():
    with FakeSlack(bot_token=TOKEN, bot_user_id="UBOT", team_id="T0001") as fake:
        fake.add_user("U1", name="alex", real_name="Alex Adviser")
        fake.add_user("U2", name="priya", real_name="Priya Provider")
        fake.add_channel("C1", name="cv-clinic", members=["U1", "U2"])
        yield fake


@pytest.fixture
def client(fake) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.api_url)


def post(client: WebClient, **kwargs) -> dict:
    return client.chat_postMessage(**{"channel": "C1", "text": "Hello", **kwargs}).data


def test_response_url_posts_ephemerally_by_default(fake):
    answer = WebhookClient(fake.response_url(user="U1", channel="C1")).send(text="Saved")
    assert (answer.status_code, answer.body) == (200, "ok")
    assert [e["text"] for e in fake.ephemerals("U1")] == ["Saved"]
    [call] = fake.calls_to("response_url")
    assert call.ok and call.args == {"text": "Saved", "user": "U1", "channel": "C1"}


def test_response_url_in_channel_replace_and_delete(fake, client):
    in_channel = WebhookClient(fake.response_url(user="U1", channel="C1"))
    in_channel.send(text="Handover raised", response_type="in_channel")
    [message] = fake.messages("C1")

    original = WebhookClient(fake.response_url("U2", "C1", message_ts=message["ts"]))
    original.send(text="Accepted", blocks=[SECTION], replace_original=True)
    assert [(m["text"], m["blocks"]) for m in fake.messages("C1")] == [("Accepted", [SECTION])]
    original.send_dict({"delete_original": True})
    assert fake.messages("C1") == []
    assert fake.calls_to("response_url")[-1].args["delete_original"] is True


def test_response_url_refusals(fake):
    url = fake.response_url(user="U1", channel="C1")
    answer = WebhookClient(url).send(blocks=[SECTION])
    assert (answer.status_code, answer.body) == (400, "no_text")
    for _ in range(4):
        WebhookClient(url).send(text="again")
    assert WebhookClient(url).send(text="sixth").status_code == 404  # five uses at most
    assert fake.calls_to("response_url")[0].error == "no_text"


def test_a_commands_response_url_has_no_original_to_replace(fake):
    # As in Slack: a slash command's replies are new messages, and replace_original there
    # does not take the earlier one away.
    url = WebhookClient(fake.response_url(user="U1", channel="C1"))
    url.send(text="Working out the digest…")
    answer = url.send(text="The digest is in #coordinators", replace_original=True)
    assert (answer.status_code, answer.body) == (200, "ok")
    shown = [e["text"] for e in fake.ephemerals("U1")]
    assert shown == ["Working out the digest…", "The digest is in #coordinators"]
    refused = url.send_dict({"delete_original": True})
    assert (refused.status_code, refused.body) == (404, "message_not_found")
    assert len(fake.ephemerals("U1")) == 2
    assert fake.messages("C1") == []


def test_a_click_in_an_ephemeral_replaces_or_deletes_that_ephemeral(fake, client):
    question = client.chat_postEphemeral(
        channel="C1",
        user="U1",
        text="Withdraw HO-0001?",
        blocks=[{"type": "actions", "elements": [BUTTON]}],
    )["message_ts"]
    client.chat_postEphemeral(channel="C1", user="U1", text="A later note")
    url = WebhookClient(fake.response_url("U1", "C1", message_ts=question))

    url.send(text="HO-0001 is withdrawn.", replace_original=True)
    assert [e["text"] for e in fake.ephemerals("U1")] == ["HO-0001 is withdrawn.", "A later note"]
    assert fake.ephemerals("U1")[0]["blocks"] == []  # replaced whole, buttons gone
    assert fake.messages("C1") == []  # still for U1's eyes only

    url.send_dict({"delete_original": True})
    assert [e["text"] for e in fake.ephemerals("U1")] == ["A later note"]
    gone = url.send(text="Again", replace_original=True)
    assert (gone.status_code, gone.body) == (404, "message_not_found")


def test_a_click_on_a_card_is_answered_privately_unless_told_otherwise(fake, client):
    card = post(client, text="HO-0001 needs a provider")
    url = WebhookClient(fake.response_url("U2", "C1", message_ts=card["ts"]))
    url.send(text="Only the provider's members can accept this.")
    assert [m["text"] for m in fake.messages("C1")] == ["HO-0001 needs a provider"]
    assert [e["text"] for e in fake.ephemerals("U2")] == [
        "Only the provider's members can accept this."
    ]
    assert fake.ephemerals("U1") == []
    url.send(text="Priya took HO-0001", response_type="in_channel")
    texts = [m["text"] for m in fake.messages("C1")]
    assert texts == ["HO-0001 needs a provider", "Priya took HO-0001"]


def test_every_response_url_post_is_a_change_a_page_can_see(fake, client):
    url = WebhookClient(fake.response_url(user="U1", channel="C1"))
    before = fake.version
    url.send(text="Your open handovers (1)")
    assert fake.version > before
    card = post(client, text="Card")
    replacing = WebhookClient(fake.response_url("U2", "C1", message_ts=card["ts"]))
    before = fake.version
    replacing.send(text="Card, accepted", replace_original=True)
    assert fake.version > before
    before = fake.version
    replacing.send_dict({"delete_original": True})
    assert fake.version > before
