"""A resident referred twice is noticed before anything is sent: at Next, and again at Send.

The clock starts on Thursday 3 December 2026, 10:00 (London is on UTC then).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from storage import crypto
from tests.harness import DATA_KEY
from tests.network import ADVISER, ADVISER2, COORD_CHANNEL, COORDINATOR, CV_CHANNEL, CV_STAFF
from tests.scenarios.helpers import GOOD_REFERRAL, duplicate_choice, last_card, refer

ADA = {"name": "Ada Okafor", "phone": "07400 123456", "email": "ada@example.org"}
# The same resident as another adviser types her.
ADA_AGAIN = {"name": "ada  OKAFOR", "phone": "+447400123456", "email": ""}
WARNING = "Already referred: HO-0001 to Northside CV Clinic, accepted 3 Dec"
HELPED = "This resident is already being helped in the network. Ask the coordinators"


@pytest.fixture(autouse=True)
def third_of_december(clock):
    clock.advance(timedelta(days=8))


def next_step(slack, user: str, **resident) -> dict:
    """/handover, fill the form, press Next: the 'where it goes' step."""
    slack.command(user, "")
    answer = slack.answer(slack.submit(user, {**GOOD_REFERRAL, **resident}))
    assert answer["view"]["callback_id"] == "handover.choose", answer
    return answer["view"]


def warning(view: dict) -> str | None:
    """The warning's text, when the step has one (it comes first, before the choices)."""
    if duplicate_choice(view, "stop") is None:
        return None
    return view["blocks"][0]["text"]["text"]


def send(slack, user: str, view: dict, duplicate: str | None = None) -> dict:
    answers = {"destination": "network"}
    if duplicate is not None:
        answers["duplicate"] = duplicate_choice(view, duplicate)
    return slack.answer(slack.submit(user, answers))


def accept_first(slack, fake) -> None:
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-12-07"})


def counts(db) -> tuple[int, int, int]:
    with db.connect() as connection:
        return tuple(
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("handover", "resident", "handover_event")
        )


def test_the_same_adviser_is_told_where_the_first_referral_is_and_may_send_anyway(
    slack, fake, db, clock
):
    refer(slack, **ADA)
    accept_first(slack, fake)
    view = next_step(slack, ADVISER, **ADA_AGAIN)
    assert WARNING in warning(view)

    answer = send(slack, ADVISER, view, "anyway")
    assert answer["view"]["title"]["text"] == "HO-0002 sent"
    # The adviser's choice is on the record: in the history, and the event's note.
    slack.command(ADVISER, "status HO-0002")
    history = str(fake.ephemerals(ADVISER)[-1])
    assert f"sent anyway: the resident already had an open handover by <@{ADVISER}>" in history
    with db.connect() as connection:
        note = connection.execute(
            text("SELECT note FROM handover_event WHERE handover_id = 2 AND kind = 'duplicate'")
        ).scalar_one()
    assert "HO-0001" in note

    # The coordinators' digest of the last seven days counts it.
    clock.advance(timedelta(days=1))
    slack.command(COORDINATOR, "digest")
    digest = next(m for m in fake.messages(COORD_CHANNEL) if "Handover digest" in m["text"])
    assert "*Duplicates caught*\\n1" in str(digest["blocks"])


def test_an_adviser_who_may_not_see_the_first_is_told_only_whom_to_ask(slack, fake):
    refer(slack, **ADA)
    accept_first(slack, fake)
    told = warning(next_step(slack, ADVISER2, **ADA_AGAIN))
    assert HELPED in told and f"<#{COORD_CHANNEL}>" in told and f"<@{COORDINATOR}>" in told
    assert "HO-0001" not in told and "Northside" not in told and "accepted" not in told


def test_stop_closes_the_step_and_stores_nothing(slack, fake, db):
    refer(slack, **ADA)
    before = counts(db)
    messages = len(fake.calls_to("chat.postMessage"))
    view = next_step(slack, ADVISER, **ADA)
    answer = send(slack, ADVISER, view, "stop")
    assert answer == {"response_action": "clear"}
    assert fake.open_views(ADVISER) == []
    assert counts(db) == before
    assert len(fake.calls_to("chat.postMessage")) == messages


def test_a_closed_or_withdrawn_referral_is_no_duplicate(slack, fake):
    refer(slack, **ADA)
    assert warning(next_step(slack, ADVISER, **ADA)) is not None  # while it is open
    receipt = next(m for m in fake.dms(ADVISER) if "Withdraw" in str(m["blocks"]))
    slack.click_button(ADVISER, receipt, fake.dm_channel(ADVISER), "Withdraw")
    assert warning(next_step(slack, ADVISER, **ADA)) is None


def test_another_resident_with_the_same_phone_or_name_is_no_duplicate(slack):
    refer(slack, **ADA)
    assert warning(next_step(slack, ADVISER, **{**ADA, "name": "Obi Okafor"})) is None
    other_contact = {**ADA, "phone": "07911 123456", "email": "someone@example.org"}
    assert warning(next_step(slack, ADVISER, **other_contact)) is None
    # The same e-mail alone is enough (the phone left out).
    assert warning(next_step(slack, ADVISER, **{**ADA, "phone": ""})) is not None


def test_after_erasure_nothing_matches(slack, fake, db):
    refer(slack, **ADA)
    assert warning(next_step(slack, ADVISER, **ADA)) is not None  # before the erasure
    slack.command(COORDINATOR, "erase HO-0001 the resident asked")
    with db.connect() as connection:
        row = connection.execute(text("SELECT match_phone, match_email FROM resident")).one()
    assert tuple(row) == (None, None)
    assert warning(next_step(slack, ADVISER, **ADA)) is None


def test_at_send_a_referral_made_meanwhile_shows_the_warning_again(slack, fake, db):
    view = next_step(slack, ADVISER, **ADA)  # nothing to warn of yet
    assert warning(view) is None
    refer(slack, user=ADVISER2, **ADA_AGAIN)  # another adviser, faster
    before = counts(db)

    answer = send(slack, ADVISER, view)
    again = answer["view"]
    assert answer["response_action"] == "update" and again["callback_id"] == "handover.choose"
    told = warning(again)
    assert "another referral of this resident was sent" in told and HELPED in told
    assert counts(db) == before  # nothing sent

    answer = send(slack, ADVISER, again, "anyway")
    assert answer["view"]["title"]["text"] == "HO-0002 sent"


def test_a_warning_acknowledged_is_not_enough_for_a_referral_made_after_it(slack, fake, db):
    refer(slack, **ADA)
    view = next_step(slack, ADVISER, **ADA)
    refer(slack, user=ADVISER2, duplicate="anyway", **ADA)  # HO-0002, after the warning
    answer = send(slack, ADVISER, view, "anyway")
    assert answer["response_action"] == "update"
    assert "another referral of this resident" in warning(answer["view"])
    assert counts(db)[0] == 2


def test_the_match_survives_a_new_first_key_and_rotate(slack, fake, db):
    refer(slack, **ADA)
    new = Fernet.generate_key().decode()
    try:
        crypto.attach(db, [new, DATA_KEY])
        # Before rotate the old key's values are still found.
        assert WARNING.split(",")[0] in warning(next_step(slack, ADVISER, **ADA))
        with db.begin() as connection:
            crypto.rotate(connection)
        crypto.attach(db, [new])  # the old key gone
        assert "Already referred: HO-0001" in warning(next_step(slack, ADVISER, **ADA_AGAIN))
    finally:
        crypto.attach(db, [DATA_KEY])  # the engine is shared by the session's tests


def test_send_anyway_delivered_twice_by_slack_sends_once(slack, fake, db):
    refer(slack, **ADA)
    view = next_step(slack, ADVISER, **ADA)
    answers = {"destination": "network", "duplicate": duplicate_choice(view, "anyway")}
    first = slack.answer(slack.submit(ADVISER, answers, view=view))
    again = slack.answer(slack.submit(ADVISER, answers, view=view))  # the same submission
    assert first["view"]["title"]["text"] == again["view"]["title"]["text"] == "HO-0002 sent"
    assert counts(db)[0] == 2
