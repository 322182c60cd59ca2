"""Malformed and hostile payloads, thrown at every handler through the real app.

Missing fields, wrong types, huge strings, unknown ids, forged button values and
``private_metadata`` pointing at handovers the sender may not touch, and Slack markup in free
text. Whatever arrives, the answer is a clear refusal or a safe result: never a 500, never an
unexpected error in the log, never a changed handover, never a broadcast mention.

Examples are few and derandomized, so the file is quick and CI is deterministic; every bug
found this way has a plain regression example below.
"""

from __future__ import annotations

import contextlib
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.ids import Act, Block, Callback
from sandbox import requests
from tests.harness import TEAM
from tests.network import ADVISER2, CV_CHANNEL, CV_STAFF, CV_STAFF2, OUTSIDER
from tests.scenarios.helpers import last_card, refer

HOSTILE = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

INJECTIONS = [
    "<!channel>",
    "<!here|here>",
    "<!everyone>",
    "<!subteam^S0INJECT|@team>",
    "<@UINJECT01>",
    "<http://evil.example|click me>",
    "<https://evil.example>",
    "<#C0COORD001>",
    "&lt;!channel&gt;",
    "<<!channel>>",
    "*bold* _it_ `code` ```block``` ~gone~",
    "\u202eevil\u0000\x07",
]
# What must never reach Slack from typed text: pings to everyone, to someone named by the
# typist, and disguised links.
FORBIDDEN = re.compile(r"<!(?:channel|here|everyone|subteam)|<@UINJECT|<https?://evil")


def rendered(value, *, top: bool = True) -> list[str]:
    """The texts Slack would read as mrkdwn: a message's ``text`` and every mrkdwn text object.
    (plain_text, in headers, buttons and options, shows markup as the characters it is.)"""
    found = []
    if isinstance(value, dict):
        if top and isinstance(value.get("text"), str):
            found.append(value["text"])
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            found.append(value["text"])
        for item in value.values():
            found += rendered(item, top=False)
    elif isinstance(value, list):
        for item in value:
            found += rendered(item, top=False)
    elif isinstance(value, str) and value[:1] in "[{":
        with contextlib.suppress(ValueError):  # blocks sent as a JSON string
            found += rendered(json.loads(value), top=top)
    return found


def leaks(calls) -> list[str]:
    return [
        f"{call.method}: {text[:160]}"
        for call in calls
        for text in rendered(call.args)
        if FORBIDDEN.search(text)
    ]


injection = st.sampled_from(INJECTIONS)
hostile_text = st.one_of(
    st.text(max_size=40),
    injection,
    st.lists(injection, min_size=1, max_size=4).map("".join),
    st.integers(3_000, 60_000).map(lambda n: ("<!channel> " * (n // 11 + 1))[:n]),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), hostile_text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
handover_ids = st.one_of(
    st.sampled_from([1, 2, 0, -1, 999_999]), st.integers(-(2**70), 2**70), hostile_text
)
provider_ids = st.one_of(
    st.sampled_from(["cv-clinic", "esol-hub", "town-hall", "", "1", "3", "99"]), hostile_text
)
forged_refs = st.builds(
    lambda h, p, extra: json.dumps({"h": h, "p": p, **extra}),
    handover_ids,
    provider_ids,
    st.one_of(st.just({}), st.dictionaries(st.sampled_from(["c", "x"]), json_values)),
)
button_values = st.one_of(forged_refs, hostile_text, json_values)
action_ids = st.one_of(
    st.sampled_from([*Act, f"{Act.SNOOZE}.1", f"{Act.SNOOZE}.3", f"{Act.SNOOZE}.9"]),
    st.text(max_size=20),
)
# Only people who may touch neither handover: whatever they send, nothing may change.
strangers = st.sampled_from([OUTSIDER, ADVISER2])


def world(slack, fake) -> None:
    """HO-0001 pending at the CV clinic, HO-0002 accepted there by CV_STAFF."""
    refer(slack, destination="provider:cv-clinic")
    refer(slack, destination="provider:cv-clinic")
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-11-30"})


def snapshot(db) -> tuple:
    with db.connect() as connection:
        return (
            connection.execute(
                text("SELECT id, version, state, provider_id FROM handover ORDER BY id")
            ).all(),
            connection.execute(text("SELECT count(*) FROM handover_event")).scalar(),
            connection.execute(
                text("SELECT id, capacity, confirmed_at FROM provider ORDER BY id")
            ).all(),
        )


class Watch:
    """What the app did in answer to one hostile request."""

    def __init__(self, slack, fake, db):
        self.slack, self.fake, self.db = slack, fake, db
        self.before = snapshot(db)
        self.calls = len(fake.calls)
        self.errors = len(slack.errors.records)

    def check(self, response, *, may_raise: bool = False) -> None:
        assert response.status_code == 200, response.status_code
        body = response.get_data(as_text=True)
        answer = json.loads(body) if body.strip().startswith("{") else {"text": body}
        assert not [t for t in rendered(answer) if FORBIDDEN.search(t)], body[:300]
        logged = [r.getMessage() for r in self.slack.errors.records[self.errors :]]
        assert logged == [], logged
        assert leaks(self.fake.calls[self.calls :]) == []
        after = snapshot(self.db)
        if may_raise:  # anyone may raise a handover: the ones that were there stay the same
            assert after[0][: len(self.before[0])] == self.before[0]
            assert after[2] == self.before[2]
        else:
            assert after == self.before


def _drop(payload: dict, missing: list[str]) -> dict:
    for key in missing:
        payload.pop(key, None)
    return payload


@given(
    user=strangers,
    action_id=action_ids,
    value=button_values,
    where=st.sampled_from(["message", "home", "modal"]),
    shape=st.sampled_from(["button", "select", "select-string", "value-not-string"]),
    missing=st.sampled_from([[], [], [], ["user"], ["trigger_id"], ["actions"], ["container"]]),
)
@HOSTILE
def test_hostile_clicks(slack, fake, db, user, action_id, value, where, shape, missing):
    if not fake.messages(CV_CHANNEL):
        world(slack, fake)
    card = last_card(fake, CV_CHANNEL)
    action = {"action_id": action_id, "block_id": "b", "type": "button"}
    if shape == "button":
        action["value"] = value if isinstance(value, str) else json.dumps(value)
    elif shape == "select":
        action.update(type="static_select", selected_option={"value": value, "text": "x"})
    elif shape == "select-string":
        action.update(type="static_select", selected_option=value)
    else:
        action["value"] = value
    payload = requests.block_actions(
        team=TEAM,
        user=user,
        trigger_id=fake.issue_trigger_id(user),
        action=action,
        channel=CV_CHANNEL if where == "message" else None,
        message=card if where == "message" else None,
        response_url=fake.response_url(user, CV_CHANNEL, card["ts"]),
        view={
            "home": {"type": "home", "id": "VHOME"},
            "modal": {"type": "modal", "id": "VX", "private_metadata": value},
        }.get(where),
    )
    watch = Watch(slack, fake, db)
    watch.check(slack.send(requests.interaction(_drop(payload, missing))))


def _state(answers: dict) -> dict:
    return {block: {Act.INPUT: answer} for block, answer in answers.items()}


element_values = st.one_of(
    json_values.map(lambda v: {"type": "plain_text_input", "value": v}),
    json_values.map(lambda v: {"type": "static_select", "selected_option": v}),
    json_values.map(lambda v: {"type": "static_select", "selected_option": {"value": v}}),
    json_values.map(lambda v: {"type": "checkboxes", "selected_options": v}),
    json_values.map(lambda v: {"type": "datepicker", "selected_date": v}),
    json_values,
)


@given(
    user=strangers,
    callback=st.one_of(st.sampled_from(list(Callback)), st.text(max_size=20)),
    metadata=st.one_of(forged_refs, hostile_text, json_values),
    answers=st.dictionaries(st.sampled_from([*Block, "x"]), element_values, max_size=6),
    view_id=st.one_of(st.just("VSUBMIT"), hostile_text, json_values),
    missing=st.sampled_from([[], [], [], ["user"], ["trigger_id"], ["view"]]),
)
@HOSTILE
def test_hostile_submissions(slack, fake, db, user, callback, metadata, answers, view_id, missing):
    if not fake.messages(CV_CHANNEL):
        world(slack, fake)
    view = {
        "id": view_id,
        "type": "modal",
        "callback_id": callback,
        "private_metadata": metadata,
        "blocks": [],
    }
    payload = requests.view_submission(
        team=TEAM, user=user, trigger_id=fake.issue_trigger_id(user), view=view, values={}
    )
    payload["view"]["state"] = {"values": _state(answers)}
    watch = Watch(slack, fake, db)
    watch.check(slack.send(requests.interaction(_drop(payload, missing))), may_raise=True)


@given(user=strangers, words=st.lists(st.one_of(hostile_text, st.sampled_from(
    ["status", "reopen", "erase", "digest", "capacity", "mine", "providers", "help",
     "HO-0001", "HO-0002", "HO-99999999999", "2"]
)), max_size=4))  # fmt: skip
@HOSTILE
def test_hostile_commands(slack, fake, db, user, words):
    if not fake.messages(CV_CHANNEL):
        world(slack, fake)
    watch = Watch(slack, fake, db)
    watch.check(slack.command(user, " ".join(words)))


@pytest.mark.parametrize(
    "body", ["payload=%7Bnot+json", "payload=", "payload=%5B%5D", "payload=null", "payload=1"]
)
def test_not_json_at_all_is_answered_not_crashed(slack, fake, db, body):
    """Regression: Bolt parsed these before checking anything and the app answered 500."""
    before, calls = snapshot(db), len(fake.calls)
    response = slack.post(body, "application/x-www-form-urlencoded")
    assert response.status_code == 400 and fake.calls[calls:] == []
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "change",
    [{"organisation": "Org " * 400}, {"language": "L" * 500}, {"name": "Sam\x00 Resident"}],
    ids=["long-organisation", "long-language", "nul"],
)
def test_a_forged_referral_in_private_metadata_is_refused(slack, fake, db, change):
    """Regression: the second step trusted the referral carried in private_metadata, so an
    altered one reached the database (PostgreSQL refused it: a 500-like unexpected error)."""
    from bot.handover.payloads import dump_referral
    from bot.handover.referral import Referral
    from storage.models import Urgency

    referral = Referral(
        needs=("cv",), name="Sam Resident", phone="07911 123456", email=None,
        district="NW1", age_band=None, language=None, access_needs=None,
        urgency=Urgency.ROUTINE, context="", organisation="Job Club", consent=True,
    )  # fmt: skip
    forged = dump_referral(Referral(**{**referral.__dict__, **change}))
    view = {"id": "VFORGED", "type": "modal", "callback_id": Callback.CHOOSE,
            "private_metadata": forged, "blocks": []}  # fmt: skip
    payload = requests.view_submission(
        team=TEAM, user=OUTSIDER, trigger_id=fake.issue_trigger_id(OUTSIDER), view=view,
        values=_state({"destination": {"type": "radio_buttons",
                                       "selected_option": {"value": "network"}}}),
    )  # fmt: skip
    watch = Watch(slack, fake, db)
    response = slack.send(requests.interaction(payload))
    watch.check(response, may_raise=True)
    if "name" in change:  # a NUL is dropped, the rest is what was typed
        return
    assert "out of date or damaged" in response.get_data(as_text=True)
    assert snapshot(db)[0] == []


# -- free text shows as typed, never as markup ------------------------------------------------


@pytest.mark.parametrize("typed", INJECTIONS)
def test_free_text_renders_inert_everywhere(slack, fake, db, typed):
    """Every free-text field of a referral, a decline and an outcome, carrying markup: every
    payload the app sends (cards, threads, DMs, modals, App Home, status) keeps it inert."""
    from tests.network import ADVISER, COORDINATOR, COUNCIL_CHANNEL, COUNCIL_STAFF

    refer(
        slack,
        destination="provider:cv-clinic",
        context=f"Context {typed}",
        organisation=f"Org {typed}"[:120],
        name=f"Sam {typed}",
        language=f"Lang {typed}"[:64],
        access_needs=f"Needs {typed}",
    )
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Decline")
    slack.submit(CV_STAFF, {"reason": "other", "reason_note": f"Decline {typed}"})
    slack.click_button(COUNCIL_STAFF, last_card(fake, COUNCIL_CHANNEL), COUNCIL_CHANNEL, "Accept")
    slack.submit(COUNCIL_STAFF, {"contact_by": "2026-11-30"})
    slack.click_button(
        COUNCIL_STAFF, last_card(fake, COUNCIL_CHANNEL), COUNCIL_CHANNEL, "Record outcome"
    )
    slack.submit(COUNCIL_STAFF, {"outcome": "other", "outcome_note": f"Outcome {typed}"})
    slack.command(COORDINATOR, f"reopen HO-0001 Reopen {typed}")
    for user in (ADVISER, COORDINATOR, COUNCIL_STAFF):
        slack.command(user, "status HO-0001")
        slack.command(user, "mine")
        slack.open_home(user)
    slack.command(COORDINATOR, f"erase HO-0001 Erase {typed}")
    slack.command(OUTSIDER, f"status {typed}")
    slack.command(OUTSIDER, f"{typed}")
    slack.command(OUTSIDER, f"providers {typed}")
    assert leaks(fake.calls) == []
    # Shown, escaped, where it should be.
    assert "Decline" in str(fake.dms(ADVISER)) and "Context" in str(fake.messages(CV_CHANNEL))


class TestNamesFromTheNetworkFile:
    """Provider names and service labels come from a file people edit: shown inert too."""

    @pytest.fixture
    def network(self):
        from bot.directory.network import parse_network
        from tests.network import NETWORK_YAML

        hostile = NETWORK_YAML.replace(
            "Northside CV Clinic", '"<!channel> CV <@UINJECT01> <http://evil.example|Clinic>"'
        ).replace("CV and job applications", '"CV <!here> applications"')
        return parse_network(hostile, source="hostile network")

    def test_names_render_inert_everywhere(self, slack, fake, db):
        from tests.network import ADVISER, COORDINATOR, ESOL_STAFF

        refer(slack, destination="provider:cv-clinic")
        card = last_card(fake, CV_CHANNEL)
        slack.click_button(ESOL_STAFF, card, CV_CHANNEL, "Accept")  # refused, naming it
        slack.click_button(CV_STAFF, card, CV_CHANNEL, "Accept")
        slack.submit(CV_STAFF, {"contact_by": "2026-11-30"})
        slack.click_button(ESOL_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Made contact")
        slack.click_button(CV_STAFF2, card, CV_CHANNEL, "Accept")  # already accepted
        for user in (ADVISER, COORDINATOR, CV_STAFF):
            slack.command(user, "status HO-0001")
            slack.command(user, "providers")
            slack.command(user, "providers cv")
            slack.open_home(user)
        slack.command(COORDINATOR, "digest")
        slack.command(CV_STAFF, "capacity")
        slack.submit(CV_STAFF, {"provider": "cv-clinic", "capacity": "limited"})
        slack.click(OUTSIDER, Act.CONFIRM_DETAILS, value='{"p": "cv-clinic"}', home=True)
        assert leaks(fake.calls) == []
        assert "&lt;!channel&gt; CV" in str(fake.messages(CV_CHANNEL))


def test_a_command_without_a_trigger_id_still_answers_and_cannot_open_a_form(slack, fake, db):
    """Regression (found by the full suite): a command needs a trigger_id only to open one."""
    from sandbox.requests import form, slash_command

    fields = slash_command(team=TEAM, user=OUTSIDER, channel="C0GENERAL1", text="help",
                           response_url=fake.response_url(OUTSIDER, "C0GENERAL1"),
                           trigger_id="")  # fmt: skip
    del fields["trigger_id"]
    assert "status HO-0042" in slack.answer(slack.send(form(fields)))["text"]
    slack.send(form({**fields, "text": ""}))
    assert "damaged" in fake.ephemerals(OUTSIDER)[-1]["text"] and fake.open_views(OUTSIDER) == []


raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=80).map(str.encode),
    st.builds(lambda junk: b"payload=" + junk, st.binary(max_size=80)),
    json_values.map(lambda v: json.dumps({"type": "event_callback", "event": v}).encode()),
    json_values.map(lambda v: json.dumps({"type": "block_actions", "user": v}).encode()),
)
content_types = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "application/json; charset=utf-8",
     "text/plain", "", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded\x00"]
)  # fmt: skip


@given(body=raw_bodies, kind=content_types, signed=st.booleans())
@HOSTILE
def test_hostile_bodies(slack, fake, db, body, kind, signed):
    """Bytes of any kind, under any Content-Type, signed or not: never a 500, never an error
    in the log, nothing changed; unsigned is always 401."""
    if not fake.messages(CV_CHANNEL):
        world(slack, fake)
    before, errors = snapshot(db), len(slack.errors.records)
    response = slack.post(body, kind, headers=None if signed else {})
    assert response.status_code < 500
    if not signed:
        assert response.status_code == 401
    assert [r.getMessage() for r in slack.errors.records[errors:]] == []
    assert snapshot(db) == before
