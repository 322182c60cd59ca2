"""The fake Slack Web API, driven by a real slack_sdk WebClient over HTTP."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from sandbox.slack import FakeSlack
from sandbox.slack.blockkit import validate_message_blocks, validate_view
from sandbox.slack.methods import METHODS, REFERENCE

# slack_sdk warns when blocks come without text; refusing exactly that is under test here.
pytestmark = pytest.mark.filterwarnings("ignore:The top-level `text` argument:UserWarning")

TOKEN = "xoxb-test"
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "A resident needs a CV review"}}
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "New handover"}, "blocks": []}
HOME = {"type": "home", "blocks": [SECTION]}


class FakeClock:
    """A monotonic clock the test moves by hand, so expiry needs no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock):
    with FakeSlack(bot_token=TOKEN, bot_user_id="UBOT", team_id="T0001", clock=clock) as fake:
        fake.add_user("U1", name="alex", real_name="Alex Adviser")
        fake.add_user("U2", name="priya", real_name="Priya Provider")
        fake.add_user("U3", name="sam", real_name="Sam Stranger")
        fake.add_channel("C1", name="cv-clinic", members=["U1", "U2"])
        fake.add_channel("C2", name="job-club", members=["U3"], bot_is_member=False)
        fake.add_channel("G1", name="secret", members=["U3"], is_private=True, bot_is_member=False)
        yield fake


@pytest.fixture
def client(fake) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.api_url)


def refusal(method, **kwargs) -> dict:
    """The body of a refused call, for asserting on its error and details."""
    with pytest.raises(SlackApiError) as raised:
        method(**kwargs)
    return raised.value.response.data


def error_of(method, **kwargs) -> str:
    return refusal(method, **kwargs)["error"]


def post(client: WebClient, **kwargs) -> dict:
    return client.chat_postMessage(**{"channel": "C1", "text": "Hello", **kwargs}).data


# Block Kit builders for the tests below


def button(**extra) -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": "Accept"}, **extra}


def option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def select(options: list, **extra) -> dict:
    return {"type": "static_select", "action_id": "pick", "options": options, **extra}


def actions(*elements) -> dict:
    return {"type": "actions", "elements": list(elements)}


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def text_input(**extra) -> dict:
    element = {"type": "plain_text_input", "action_id": "notes", **extra}
    return {"type": "input", "block_id": "notes", "label": plain("Notes"), "element": element}


def modal(*blocks, **fields) -> dict:
    return {**MODAL, "submit": plain("Send"), "blocks": list(blocks), **fields}


# authentication and arguments


def test_auth_test_answers_as_the_bot(client):
    answer = client.auth_test().data
    assert answer["ok"] is True
    assert (answer["user_id"], answer["team_id"]) == ("UBOT", "T0001")
    assert answer["bot_id"]


def test_missing_and_wrong_tokens_are_refused(fake):
    assert error_of(WebClient(base_url=fake.api_url).auth_test) == "not_authed"
    wrong = WebClient(token="xoxb-wrong", base_url=fake.api_url)
    assert error_of(wrong.auth_test) == "invalid_auth"


def test_token_may_come_as_an_argument(fake):
    anonymous = WebClient(base_url=fake.api_url)
    assert anonymous.api_call("auth.test", params={"token": TOKEN})["ok"] is True
    assert "token" not in fake.calls[-1].args


def test_unknown_method_is_refused(client):
    assert error_of(client.api_call, api_method="handovers.teleport") == "unknown_method"


@pytest.mark.parametrize(
    ("method", "args", "error"),
    [
        ("chat.postMessage", {"text": "hi"}, "channel_not_found"),
        ("chat.postEphemeral", {"channel": "C1", "text": "hi"}, "invalid_arguments"),
        ("chat.update", {"channel": "C1", "text": "hi"}, "invalid_arguments"),
        ("chat.getPermalink", {"channel": "C1"}, "invalid_arguments"),
        ("conversations.members", {}, "channel_not_found"),
        ("users.info", {}, "user_not_found"),
        ("views.open", {"trigger_id": "1.2.3"}, "invalid_arguments"),
        ("views.publish", {"view": HOME}, "invalid_arguments"),
    ],
)
def test_missing_required_argument_is_refused(client, method, args, error):
    assert error_of(client.api_call, api_method=method, json=args) == error


def test_reference_data_covers_every_method():
    assert set(REFERENCE) == set(METHODS)
    assert REFERENCE["chat.update"]["required"] == ["ts", "channel"]


def test_calls_are_recorded_with_json_text_arguments_decoded(fake, client):
    form = {"channel": "C1", "text": "Hello", "blocks": json.dumps([SECTION])}
    client.api_call("chat.postMessage", params=form)
    refusal(client.chat_postMessage, channel="C404", text="Hello")

    sent, refused = fake.calls_to("chat.postMessage")
    assert sent.ok and sent.args["blocks"] == [SECTION]
    assert (refused.ok, refused.error) == (False, "channel_not_found")


# posting messages


def test_posted_message_is_in_the_channel(fake, client):
    answer = post(client, blocks=[SECTION])
    assert answer["channel"] == "C1"
    assert answer["message"]["ts"] == answer["ts"]
    assert fake.messages("C1") == [
        {"ts": answer["ts"], "channel": "C1", "user": "UBOT", "text": "Hello", "blocks": [SECTION]}
    ]


def test_timestamps_are_unique_and_increasing(client):
    stamps = [post(client)["ts"] for _ in range(3)]
    assert stamps == sorted(set(stamps))
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


def test_concurrent_posts_get_distinct_timestamps(fake, client):
    with ThreadPoolExecutor(max_workers=8) as pool:
        stamps = list(pool.map(lambda i: post(client, text=f"post {i}")["ts"], range(16)))
    assert len(set(stamps)) == 16
    assert len(fake.messages("C1")) == 16


@pytest.mark.parametrize("text", [None, "", "   "])
def test_blocks_without_a_text_fallback_are_refused(fake, client, text):
    answer = refusal(client.chat_postMessage, channel="C1", text=text, blocks=[SECTION])
    assert answer["error"] == "no_text"
    assert fake.messages("C1") == []


def test_a_message_with_no_content_is_refused(client):
    assert error_of(client.chat_postMessage, channel="C1") == "no_text"


def test_overlong_text_is_refused(client):
    assert error_of(post, client=client, text="x" * 40_001) == "msg_too_long"


def test_invalid_blocks_are_refused_with_details(fake, client):
    answer = refusal(post, client=client, blocks=[SECTION] * 51)
    assert answer["error"] == "invalid_blocks"
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] must be no more than 50 items [json-pointer:/blocks]"
    ]
    assert fake.messages("C1") == []


@pytest.mark.parametrize(
    ("channel", "error"),
    [("C404", "channel_not_found"), ("C2", "not_in_channel"), ("G1", "channel_not_found")],
)
def test_posting_where_the_bot_cannot_is_refused(client, channel, error):
    assert error_of(post, client=client, channel=channel) == error


def test_update_changes_the_message_and_keeps_its_blocks(fake, client):
    ts = post(client, text="Pending", blocks=[SECTION])["ts"]
    answer = client.chat_update(channel="C1", ts=ts, text="Accepted by Priya").data
    assert (answer["channel"], answer["ts"], answer["text"]) == ("C1", ts, "Accepted by Priya")
    [message] = fake.messages("C1")
    assert (message["text"], message["blocks"]) == ("Accepted by Priya", [SECTION])


def test_update_refusals(fake, client):
    ts = post(client)["ts"]
    theirs = fake.add_message("C1", "I posted this", user="U1")
    update = client.chat_update
    assert error_of(update, channel="C1", ts="1.000001", text="x") == "message_not_found"
    assert error_of(update, channel="C1", ts=theirs, text="x") == "cant_update_message"
    assert error_of(update, channel="C1", ts=ts, blocks=[SECTION]) == "no_text"


def test_thread_replies(fake, client):
    parent = post(client, text="Handover raised")["ts"]
    reply = post(client, text="Accepted", thread_ts=parent)
    assert reply["message"]["thread_ts"] == parent
    assert [m["text"] for m in fake.thread("C1", parent)] == ["Accepted"]
    assert [m["text"] for m in fake.messages("C1")] == ["Handover raised"]


def test_replies_need_a_top_level_parent(client):
    parent = post(client)["ts"]
    reply = post(client, thread_ts=parent)["ts"]
    assert error_of(post, client=client, thread_ts="1.000001") == "thread_not_found"
    assert error_of(post, client=client, thread_ts=reply) == "thread_not_found"


def test_direct_messages_by_user_id_or_dm_id(fake, client):
    dm = client.conversations_open(users="U1").data["channel"]["id"]
    assert dm == fake.dm_channel("U1")
    assert post(client, channel="U1", text="Your handover was accepted")["channel"] == dm
    post(client, channel=dm, text="And contacted")
    assert [m["text"] for m in fake.dms("U1")] == ["Your handover was accepted", "And contacted"]
    assert error_of(client.conversations_open, users="U404") == "user_not_found"


def test_ephemerals_are_shown_to_one_member(fake, client):
    answer = client.chat_postEphemeral(channel="C1", user="U1", text="Only you can see this")
    assert answer["message_ts"]
    assert [e["text"] for e in fake.ephemerals("U1")] == ["Only you can see this"]
    assert fake.ephemerals("U2") == [] and fake.messages("C1") == []
    kwargs = {"channel": "C1", "user": "U3", "text": "x"}
    assert error_of(client.chat_postEphemeral, **kwargs) == "user_not_in_channel"


def test_permalink_of_a_message_and_of_a_reply(client):
    parent = post(client)["ts"]
    reply = post(client, thread_ts=parent)["ts"]
    link = client.chat_getPermalink(channel="C1", message_ts=parent)["permalink"]
    assert link.endswith("/archives/C1/p" + parent.replace(".", ""))
    reply_link = client.chat_getPermalink(channel="C1", message_ts=reply)["permalink"]
    assert f"thread_ts={parent}" in reply_link
    answer = refusal(client.chat_getPermalink, channel="C1", message_ts="1.000001")
    assert answer["error"] == "message_not_found"


# conversations and users


def test_members_are_paginated_with_cursors(fake, client):
    fake.add_channel("C9", name="big", members=["U1", "U2", "U3", "U4"])
    pages, cursor = [], None
    while cursor != "":
        answer = client.conversations_members(channel="C9", limit=2, cursor=cursor).data
        pages.append(answer["members"])
        cursor = answer["response_metadata"]["next_cursor"]
    assert pages == [["U1", "U2"], ["U3", "U4"], ["UBOT"]]
    assert client.conversations_members(channel="C9")["members"][-1] == "UBOT"
    assert error_of(client.conversations_members, channel="C9", cursor="nope") == "invalid_cursor"


def test_conversation_and_user_info(client):
    channel = client.conversations_info(channel="C1", include_num_members=True)["channel"]
    assert (channel["name"], channel["is_member"], channel["num_members"]) == ("cv-clinic", True, 3)
    assert error_of(client.conversations_info, channel="G1") == "channel_not_found"
    user = client.users_info(user="U1")["user"]
    assert (user["name"], user["real_name"], user["is_bot"]) == ("alex", "Alex Adviser", False)
    assert user["profile"]["real_name"] == "Alex Adviser" and user["tz"]
    assert error_of(client.users_info, user="U404") == "user_not_found"


# views


def test_modal_lifecycle(fake, client):
    opened = client.views_open(trigger_id=fake.issue_trigger_id("U1"), view=MODAL)["view"]
    assert opened["id"].startswith("V") and opened["state"] == {"values": {}}
    assert fake.open_views("U1") == [opened]

    retitled = {**MODAL, "title": {"type": "plain_text", "text": "Edited"}}
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=retitled)["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    answer = refusal(client.views_update, view_id=opened["id"], hash=opened["hash"], view=MODAL)
    assert answer["error"] == "hash_conflict"

    pushed = client.views_push(trigger_id=fake.issue_trigger_id("U1"), view=MODAL)["view"]
    assert pushed["root_view_id"] == opened["id"]
    assert [v["id"] for v in fake.open_views("U1")] == [opened["id"], pushed["id"]]
    assert fake.views[pushed["id"]]["stack"] == [opened["id"], pushed["id"]]


def test_update_by_external_id_and_unknown_view(fake, client):
    client.views_open(trigger_id=fake.issue_trigger_id("U1"), view={**MODAL, "external_id": "h1"})
    assert client.views_update(external_id="h1", view=MODAL)["ok"]
    assert error_of(client.views_update, view_id="V404", view=MODAL) == "not_found"
    no_id = refusal(client.api_call, api_method="views.update", json={"view": MODAL})
    assert no_id["error"] == "invalid_arguments"


def test_push_limit(fake, client):
    client.views_open(trigger_id=fake.issue_trigger_id("U1"), view=MODAL)
    for _ in range(2):
        client.views_push(trigger_id=fake.issue_trigger_id("U1"), view=MODAL)
    answer = refusal(client.views_push, trigger_id=fake.issue_trigger_id("U1"), view=MODAL)
    assert answer["error"] == "push_limit_reached"


def test_trigger_ids_are_single_use_and_expire(fake, client, clock):
    used = fake.issue_trigger_id("U1")
    client.views_open(trigger_id=used, view=MODAL)
    assert error_of(client.views_open, trigger_id=used, view=MODAL) == "exchanged_trigger_id"

    late = fake.issue_trigger_id("U1")
    clock.advance(3.1)
    assert error_of(client.views_open, trigger_id=late, view=MODAL) == "expired_trigger_id"
    assert error_of(client.views_open, trigger_id="1.2.3", view=MODAL) == "invalid_trigger_id"


def test_invalid_modal_is_refused_without_using_the_trigger(fake, client):
    trigger = fake.issue_trigger_id("U1")
    too_long = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    answer = refusal(client.views_open, trigger_id=trigger, view=too_long)
    assert answer["error"] == "invalid_arguments"
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] must be at most 24 characters [json-pointer:/view/title/text]"
    ]
    assert client.views_open(trigger_id=trigger, view=MODAL)["ok"]


def test_submission_acks_close_update_or_push_the_modal(fake, client):
    form = modal(text_input())
    opened = client.views_open(trigger_id=fake.issue_trigger_id("U1"), view=form)["view"]
    fake.answer_view_submission("U1", {"response_action": "errors", "errors": {"notes": "?"}})
    assert len(fake.open_views("U1")) == 1
    fake.answer_view_submission("U1", {"response_action": "update", "view": MODAL})
    [shown] = fake.open_views("U1")
    assert shown["id"] == opened["id"] and shown["blocks"] == []
    fake.answer_view_submission("U1", {"response_action": "push", "view": MODAL})
    fake.answer_view_submission("U1", {})
    assert [v["id"] for v in fake.open_views("U1")] == [opened["id"]]
    fake.answer_view_submission("U1", {"response_action": "clear"})
    assert fake.open_views("U1") == []


@pytest.mark.parametrize(
    "ack",
    [
        {"response_action": "errors", "errors": {"not_an_input": "Wrong"}},
        {"response_action": "update", "view": {**MODAL, "title": plain("x" * 25)}},
        {"response_action": "close"},
    ],
)
def test_submission_acks_slack_would_not_accept(fake, client, ack):
    client.views_open(trigger_id=fake.issue_trigger_id("U1"), view=modal(text_input()))
    with pytest.raises(ValueError):
        fake.answer_view_submission("U1", ack)


def test_home_tab_publish(fake, client):
    published = client.views_publish(user_id="U1", view=HOME)["view"]
    assert fake.home("U1") == published and fake.home("U2") is None
    again = client.views_publish(user_id="U1", view=HOME, hash=published["hash"])["view"]
    assert again["id"] == published["id"]
    stale = refusal(client.views_publish, user_id="U1", view=HOME, hash=published["hash"])
    assert stale["error"] == "hash_conflict"
    assert error_of(client.views_publish, user_id="U1", view=MODAL) == "invalid_arguments"
    assert error_of(client.views_publish, user_id="U404", view=HOME) == "invalid_arguments"


# failure injection


def test_injected_rate_limit_answers_429_with_retry_after(fake, client):
    fake.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        post(client)
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert post(client)["ok"]  # only the next call fails


def test_rate_limit_retry_handler_retries_through_a_429(fake, client):
    fake.fail_next("chat.postMessage", retry_after=0)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    assert post(client)["ok"]
    assert [call.error for call in fake.calls_to("chat.postMessage")] == ["ratelimited", None]
    assert len(fake.messages("C1")) == 1


def test_injected_ordinary_error_is_a_200_refusal(fake, client):
    fake.fail_next("users.info", error="fatal_error", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.users_info(user="U1")
        assert raised.value.response.status_code == 200
        assert raised.value.response["error"] == "fatal_error"
    assert client.users_info(user="U1")["ok"]


# reset


def test_reset_keeps_users_and_channels(fake, client):
    post(client)
    fake.reset()
    assert fake.calls == [] and fake.messages("C1") == []
    assert post(client)["ok"] and client.users_info(user="U1")["ok"]


# Block Kit validation on its own


def test_action_ids_need_only_be_unique_within_their_block():
    assert validate_view(modal(text_input(), {**text_input(), "block_id": "more"})) == []
    assert (
        validate_message_blocks([actions(button(action_id="a")), actions(button(action_id="a"))])
        == []
    )


def test_valid_message_blocks_have_no_problems():
    blocks = [
        {"type": "header", "text": plain("New handover")},
        SECTION,
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "from *Alex*"}]},
        actions(
            button(action_id="accept", style="primary", value="h1"),
            select([option("CV clinic", "p1")], initial_option=option("CV clinic", "p1")),
        ),
    ]
    assert validate_message_blocks(blocks) == []


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ([{"type": "carousel"}], "unknown block type"),
        ([{"type": "header", "text": plain("x" * 151)}], "at most 150 characters"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}], "must be one of"),
        ([{"type": "section"}], "must have text or fields"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}], "non-empty"),
        ([{"type": "section", "text": plain("x" * 3001)}], "at most 3000 characters"),
        ([{"type": "section", "fields": [plain("x")] * 11}], "no more than 10 items"),
        ([{"type": "section", "fields": [plain("x" * 2001)]}], "at most 2000 characters"),
        ([{"type": "divider", "block_id": "b"}] * 2, "already used"),
        ([{"type": "divider", "block_id": "b" * 256}], "at most 255 characters"),
        ([actions(*[button()] * 26)], "no more than 25 items"),
        ([{"type": "context", "elements": [plain("x")] * 11}], "no more than 10 items"),
        ([actions(button(text=plain("x" * 76)))], "at most 75 characters"),
        ([actions(button(style="secondary"))], "primary, danger"),
        ([actions(button(action_id="a"), button(action_id="a"))], "already used"),
        ([actions(button(value="x" * 2001))], "at most 2000 characters"),
        ([actions(button(url="x" * 3001))], "at most 3000 characters"),
        ([actions(button(confirm={"title": plain("Sure?"), "text": plain("x")}))], "/deny"),
        ([actions(select([option("x", "v")] * 101))], "no more than 100 items"),
        ([actions(select([option("x" * 76, "v")]))], "at most 75 characters"),
        ([actions(select([option("x", "v" * 151)]))], "at most 150 characters"),
        ([actions(select([option("a", "1")], initial_option=option("b", "2")))], "must match"),
        ([actions(select([option("a", "1")], placeholder=plain("x" * 151)))], "at most 150"),
        (
            [actions({"type": "checkboxes", "action_id": "c", "options": [option("a", "1")] * 11})],
            "no more than 10 items",
        ),
        ([actions({"type": "datepicker", "initial_date": "2024-02-30"})], "YYYY-MM-DD"),
        ([{"type": "input", "label": plain("Name"), "element": {"type": "datepicker"}}], "only"),
    ],
)
def test_invalid_message_blocks(blocks, problem):
    problems = validate_message_blocks(blocks)
    assert any(problem in p for p in problems), problems


def test_valid_modal_and_home_have_no_problems():
    assert validate_view(modal(text_input(max_length=3000, min_length=10))) == []
    assert validate_view({"type": "home", "blocks": [text_input()]}) == []


@pytest.mark.parametrize(
    ("view", "problem"),
    [
        ({"type": "message"}, "must be one of modal, home"),
        ({"type": "modal", "title": plain("No blocks")}, "/view/blocks"),
        ({**MODAL, "blocks": [text_input()]}, "/view/submit"),
        (modal(submit=plain("x" * 25)), "at most 24 characters"),
        (modal(private_metadata="x" * 3001), "at most 3000 characters"),
        (modal(callback_id="x" * 256), "at most 255 characters"),
        (modal(*[{"type": "divider"}] * 101), "no more than 100 items"),
        (modal(text_input(max_length=3001)), "between 1 and 3000"),
        (modal(text_input(min_length=20, max_length=10)), "greater than max_length"),
        (modal({**text_input(), "label": plain("x" * 2001)}), "at most 2000 characters"),
        (modal({**text_input(), "hint": plain("x" * 2001)}), "at most 2000 characters"),
        (modal({"type": "input", "label": plain("Notes")}), "/element"),
    ],
)
def test_invalid_views(view, problem):
    problems = validate_view(view)
    assert any(problem in p for p in problems), problems
