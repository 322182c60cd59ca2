"""Bodies that are not what their Content-Type says, and events missing their fields.

Each is refused with a 4xx and one WARNING line (never a 500, never a traceback), signed or
not; an unsigned or badly signed one is refused before its body is read as anything. The
bot answers a good request straight after.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from contextlib import contextmanager

import pytest

from sandbox import requests
from server.gate import MAX_BODY
from server.web import Server
from tests.harness import TEAM, sign
from tests.network import ADVISER

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

# (what it is, the body, its Content-Type, the status when signed)
UNREADABLE = [
    ("json-not-json", b"{not json", JSON, 400),
    ("json-an-array", b"[1, 2]", JSON, 400),
    ("json-not-utf8", b'{"type": "event_callback", "x": "\xff\xfe"}', JSON, 400),
    ("form-payload-not-json", b"payload=%7Bnot+json", FORM, 400),
    ("form-payload-empty", b"payload=", FORM, 400),
    ("form-not-utf8", b"payload=\xff\xfe\xfd", FORM, 400),
    ("form-starting-like-json", b"{payload=1", FORM, 400),
    ("empty", b"", FORM, 400),
    ("text-plain", b"command=%2Fhandover&text=help", "text/plain", 415),
    ("no-content-type", b"command=%2Fhandover&text=help", "", 415),
    ("event-not-an-object", b'{"type": "event_callback", "event": "x"}', JSON, 400),
    ("field-of-the-wrong-shape", b'{"type": "event_callback", "event": {}, "user": 5}', JSON, 400),
    (
        "view-without-a-type",
        b"payload="
        + json.dumps(
            {
                "type": "view_submission",
                "user": {"id": "UADVISER1"},
                "trigger_id": "1.2.3",
                "view": {"id": "V1", "callback_id": "handover.choose"},
            }
        ).encode(),
        FORM,
        400,
    ),
    ("huge", b"payload=" + b"x" * MAX_BODY, FORM, 413),
]
CASES = [pytest.param(body, kind, status, id=name) for name, body, kind, status in UNREADABLE]


def _refused_once(caplog) -> None:
    # waitress says when its queue has a request waiting for a thread (a busy machine):
    # about its own load, not about the request.
    said = [
        r for r in caplog.records if r.levelno >= logging.WARNING and r.name != "waitress.queue"
    ]
    assert [r.levelname for r in said] == ["WARNING"], [r.getMessage() for r in said]
    assert said[0].exc_info is None and "Traceback" not in caplog.text


def _still_answers(slack) -> None:
    assert "status HO-0042" in slack.answer(slack.command(ADVISER, "help"))["text"]


@pytest.mark.parametrize(("body", "kind", "status"), CASES)
def test_a_signed_unreadable_body_is_a_4xx_and_one_warning(slack, fake, caplog, body, kind, status):
    calls = len(fake.calls)
    with caplog.at_level(logging.DEBUG):
        response = slack.post(body, kind)
    assert response.status_code == status
    _refused_once(caplog)
    assert [c.method for c in fake.calls[calls:] if c.method != "auth.test"] == []
    _still_answers(slack)


@pytest.mark.parametrize(("body", "kind", "status"), CASES)
@pytest.mark.parametrize("signature", ["none", "wrong", "stale", "not-a-number"])
def test_an_unsigned_body_is_refused_before_it_is_read(
    slack, caplog, body, kind, status, signature
):
    headers = {
        "none": {},
        "wrong": sign(body, secret="not-our-secret"),
        "stale": sign(body, timestamp=int(time.time()) - 6 * 60),
        "not-a-number": {**sign(body), "X-Slack-Request-Timestamp": "soon"},
    }[signature]
    with caplog.at_level(logging.DEBUG):
        response = slack.post(body, kind, headers=headers)
    # Too big to read is refused before anything else; everything else is unsigned first.
    assert response.status_code == (413 if status == 413 else 401)
    _refused_once(caplog)
    _still_answers(slack)


def test_a_signature_is_over_the_raw_bytes(slack):
    """Signed bytes altered on the way (one byte) are refused: nothing is re-encoded."""
    body = f"command=%2Fhandover&text=help&user_id={ADVISER}&team_id={TEAM}".encode()
    headers = sign(body)
    assert slack.post(body.replace(b"help", b"hel\xff"), FORM, headers=headers).status_code == 401
    assert slack.post(body, FORM, headers=headers).status_code == 200


@contextmanager
def served(slack, db):
    server = Server(slack.app, db, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        yield server.port
    finally:
        server.stop()
        thread.join(timeout=15)


def _post(port: int, body: bytes, headers: dict) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/slack/events", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(("body", "kind", "status"), CASES)
def test_the_production_server_refuses_them_too(slack, db, caplog, body, kind, status):
    with served(slack, db) as port:
        for headers, expected in ((sign(body), status), ({}, 413 if status == 413 else 401)):
            caplog.clear()
            with caplog.at_level(logging.DEBUG):
                got, _ = _post(port, body, {**headers, "Content-Type": kind})
            assert got == expected
            _refused_once(caplog)
        good = f"command=%2Fhandover&text=help&user_id={ADVISER}&team_id={TEAM}".encode()
        got, answer = _post(port, good, {**sign(good), "Content-Type": FORM})
        assert got == 200 and "status HO-0042" in json.loads(answer)["text"]


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_home_opened", "tab": "home"},
        {"type": "app_home_opened", "user": ""},
        {"type": "member_joined_channel", "user": "U0BOT00001"},
        {"type": "member_joined_channel", "channel": "C0CV000001"},
        {"type": "channel_unarchive"},
        {"type": "group_unarchive"},
        {},
    ],
    ids=lambda event: "-".join([event.get("type", "untyped"), *sorted(event)[1:]]),
)
def test_an_event_missing_its_fields_is_ignored_quietly(slack, fake, caplog, event):
    calls = len(fake.calls)
    with caplog.at_level(logging.DEBUG):
        response = slack.event(event)
    assert response.status_code == 200
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []
    assert any("ignored an event" in r.getMessage() for r in caplog.records)
    assert [c.method for c in fake.calls[calls:] if c.method != "auth.test"] == []
    slack.open_home(ADVISER)  # the same event, whole, is still answered
    assert fake.calls[-1].method == "views.publish"


def test_a_select_asking_for_options_gets_none_and_logs_nothing(slack, caplog):
    payload = {"type": "block_suggestion", "user": {"id": ADVISER}, "team": {"id": TEAM},
               "action_id": "anything", "block_id": "b", "value": "Sam Resident"}  # fmt: skip
    with caplog.at_level(logging.INFO):
        response = slack.send(requests.interaction(payload))
    assert response.status_code == 200 and slack.answer(response) == {"options": []}
    assert "Sam Resident" not in caplog.text


# -- failures around the acknowledgement of a click ------------------------------------------


@contextmanager
def database_down(engine):
    """Every new connection is refused, as when the database server has gone away."""
    from sqlalchemy import event

    def refuse(dialect, record, cargs, cparams):
        raise dialect.dbapi.OperationalError("connection refused: the database is down")

    engine.dispose()
    event.listen(engine, "do_connect", refuse)
    try:
        yield
    finally:
        event.remove(engine, "do_connect", refuse)
        engine.dispose()


def _incident(slack) -> str:
    """The error id the log gave the last unexpected error."""
    import re

    (record,) = [r for r in slack.errors.records if "unexpected error" in r.getMessage()]
    return re.search(r"E-[0-9a-f]{6}", record.getMessage()).group(0)


def _referred(slack, fake):
    from tests.network import CV_CHANNEL
    from tests.scenarios.helpers import last_card, refer

    refer(slack, destination="provider:cv-clinic")
    return last_card(fake, CV_CHANNEL)


def test_accept_while_the_database_is_down_is_said_to_the_person(slack, fake, db):
    from tests.network import CV_CHANNEL, CV_STAFF

    card = _referred(slack, fake)
    slack.errors_expected = True
    with database_down(db):
        response = slack.click_button(CV_STAFF, card, CV_CHANNEL, "Accept")
    assert response.status_code == 200 and fake.open_views(CV_STAFF) == []
    (said,) = [e for e in fake.ephemerals(CV_STAFF) if e["source"] == "response_url"]
    assert _incident(slack) in said["text"] and "nothing was changed" in said["text"]
    # The database back, the same button works.
    slack.click_button(CV_STAFF, card, CV_CHANNEL, "Accept")
    assert fake.open_views(CV_STAFF)[-1]["title"]["text"].startswith("Accept")


def test_a_click_without_a_response_url_is_answered_in_its_channel_or_dm(slack, fake, db):
    from bot.ids import Act
    from tests.network import CV_CHANNEL, CV_STAFF

    card = _referred(slack, fake)
    slack.errors_expected = True
    action = {"action_id": Act.ACCEPT, "block_id": "b", "type": "button",
              "value": card["blocks"][-1]["elements"][0]["value"]}  # fmt: skip
    in_channel = requests.block_actions(
        team=TEAM, user=CV_STAFF, trigger_id=fake.issue_trigger_id(CV_STAFF), action=action,
        channel=CV_CHANNEL, message=card,
    )  # fmt: skip
    del in_channel["response_url"]
    with database_down(db):
        assert slack.send(requests.interaction(in_channel)).status_code == 200
        first = _incident(slack)
        slack.errors.records.clear()
        slack.click(CV_STAFF, Act.ACCEPT, value=action["value"], home=True)
    assert first in fake.ephemerals(CV_STAFF)[-1]["text"]
    assert fake.ephemerals(CV_STAFF)[-1]["source"] == "chat.postEphemeral"
    assert _incident(slack) in fake.dms(CV_STAFF)[-1]["text"]


def test_an_unexpected_error_in_a_click_is_said_with_its_id(slack, fake, monkeypatch):
    from tests.network import CV_CHANNEL, CV_STAFF

    card = _referred(slack, fake)
    slack.errors_expected = True

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(slack.app.bot.handovers, "precheck", broken)
    slack.click_button(CV_STAFF, card, CV_CHANNEL, "Decline")
    said = fake.ephemerals(CV_STAFF)[-1]["text"]
    assert _incident(slack) in said and "went wrong on our side" in said


def test_a_submission_while_the_database_is_down_says_so_in_the_modal(slack, fake, db):
    from tests.network import CV_CHANNEL, CV_STAFF

    card = _referred(slack, fake)
    slack.click_button(CV_STAFF, card, CV_CHANNEL, "Accept")
    slack.errors_expected = True
    with database_down(db):
        answer = slack.answer(slack.submit(CV_STAFF, {"contact_by": "2026-11-30"}))
    assert answer["response_action"] == "update"
    assert _incident(slack) in json.dumps(answer["view"])


# -- nobody learns where a handover is unless they may ----------------------------------------

PROVIDER_NAMES = ("Northside CV Clinic", "Riverside ESOL Hub", "Youth Futures", "Council")


def _forged_accept(slack, fake, user: str, handover_id: int, provider: str, channel: str):
    from bot.ids import Act

    card = {"ts": "1700000000.000100", "text": "a card", "blocks": []}
    value = json.dumps({"h": handover_id, "p": provider})
    slack.click(user, Act.ACCEPT, value=value, message=card, channel=channel)
    return fake.ephemerals(user)[-1]["text"]


@pytest.mark.parametrize(
    ("who", "card_provider", "channel"),
    [("esol", "esol-hub", "C0ESOLHUB1"), ("outsider", "cv-clinic", "C0GENERAL1")],
)
def test_a_forged_click_gets_one_refusal_whether_the_handover_exists_or_not(
    slack, fake, who, card_provider, channel
):
    """ESOL staff name their own provider on a handover that is elsewhere; an outsider names
    the provider it is with. Before HO-0002 exists, once it is at the CV clinic, and once
    withdrawn, they are told the same, and never where it is."""
    from tests.network import ADVISER, CV_CHANNEL, ESOL_STAFF, OUTSIDER
    from tests.scenarios.helpers import refer

    user = {"esol": ESOL_STAFF, "outsider": OUTSIDER}[who]
    refer(slack, destination="provider:cv-clinic")
    never = _forged_accept(slack, fake, user, 2, card_provider, channel)
    refer(slack, destination="provider:cv-clinic")
    there = _forged_accept(slack, fake, user, 2, card_provider, channel)
    slack.app.bot.handovers.withdraw(2, actor_id=ADVISER)
    withdrawn = _forged_accept(slack, fake, user, 2, card_provider, channel)
    assert never == there == withdrawn, (never, there, withdrawn)
    own = {"esol": "Riverside ESOL Hub", "outsider": "Northside CV Clinic"}[who]
    assert not [name for name in PROVIDER_NAMES if name in never and name != own], never
    assert "withdrawn" not in never and "HO-0002" in never and "Nothing was changed" in never
    assert fake.open_views(user) == [] and CV_CHANNEL not in never


def test_status_of_a_handover_one_may_not_see_reads_as_if_none_existed(slack, fake):
    from tests.network import COORDINATOR, OUTSIDER
    from tests.scenarios.helpers import refer

    slack.command(OUTSIDER, "status HO-0001")
    before = fake.ephemerals(OUTSIDER)[-1]["text"]
    refer(slack, destination="provider:cv-clinic")
    slack.command(OUTSIDER, "status HO-0001")
    assert fake.ephemerals(OUTSIDER)[-1]["text"] == before
    slack.command(COORDINATOR, "status HO-0002")  # the coordinators see the whole network
    assert "There is no such handover" in fake.ephemerals(COORDINATOR)[-1]["text"]


def test_someone_who_may_see_it_is_still_told_where_it_went(slack, fake):
    from tests.network import ADVISER
    from tests.scenarios.helpers import refer

    refer(slack, destination="provider:cv-clinic")
    said = _forged_accept(slack, fake, ADVISER, 1, "esol-hub", "C0ESOLHUB1")
    assert "moved on: it is now with Northside CV Clinic" in said
