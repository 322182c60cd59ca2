"""Consent: what was agreed, when and by whom is recorded and shown to the accepting worker,
and no path stores a handover without it: not the form, not a forged submission, not a
direct call to the service, not a direct insert into the database."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.errors import Refused
from bot.handover.payloads import dump_referral, load_referral
from bot.handover.referral import CONSENT_TEXT
from storage.models import Handover
from tests.network import ADVISER, CV_CHANNEL, CV_STAFF
from tests.scenarios.helpers import GOOD_REFERRAL, last_card

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)


def handover_count(db) -> int:
    with db.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM handover")).scalar_one()


def test_the_form_without_consent_ticked_says_so_inline_and_stores_nothing(slack, fake, db):
    slack.command(ADVISER, "")
    answer = slack.answer(slack.submit(ADVISER, {**GOOD_REFERRAL, "consent": []}))
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"consent"} and "consent" in answer["errors"]["consent"]
    assert handover_count(db) == 0


def test_a_forged_send_without_consent_is_refused_and_nothing_is_stored(slack, fake, db):
    slack.command(ADVISER, "")
    slack.submit(ADVISER, GOOD_REFERRAL)
    (choose,) = fake.open_views(ADVISER)
    # The same "where it goes" step, its carried referral rewritten to say no consent.
    forged = replace(load_referral(choose["private_metadata"]), consent=False)
    choose = {**choose, "private_metadata": dump_referral(forged)}

    answer = slack.answer(slack.submit(ADVISER, {"destination": "network"}, view=choose))

    assert answer["response_action"] == "update"
    assert "consent is not recorded" in str(answer["view"])
    assert handover_count(db) == 0
    assert fake.messages(CV_CHANNEL) == []
    assert [c for c in fake.calls if c.method == "chat.postMessage"] == []


def test_the_service_refuses_a_referral_without_consent(slack, db):
    handovers = slack.app.bot.handovers
    referral = replace(load_referral(_checked_referral()), consent=False)
    with pytest.raises(Refused, match="consent"):
        handovers.raise_handover(referral, adviser_id=ADVISER)
    with pytest.raises(Refused, match="consent"):
        handovers.raise_split(referral, adviser_id=ADVISER, request_key="V1", plan=_no_plan())
    assert handover_count(db) == 0


@pytest.mark.parametrize(
    "missing",
    [{"consent_text": ""}, {"consent_by": ""}, {"consent_by": None}, {"consent_at": None}],
    ids=["no text", "empty recorder", "no recorder", "no time"],
)
def test_the_database_refuses_a_handover_without_the_consent_record(db, missing):
    values = {
        "adviser_id": ADVISER,
        "consent_text": CONSENT_TEXT,
        "consent_at": NOW,
        "consent_by": ADVISER,
        "created_at": NOW,
        "updated_at": NOW,
        **missing,
    }
    with Session(db) as session, pytest.raises(IntegrityError):
        session.add(Handover(**values))
        session.commit()
    assert handover_count(db) == 0


def test_the_database_refuses_raw_sql_without_consent_and_an_update_that_removes_it(db):
    insert = (
        "INSERT INTO handover (needs, urgency, context, adviser_id, adviser_org, state, "
        "version, routed_by_hand, consent_text, consent_at, consent_by, created_at, "
        "updated_at) VALUES ('[]', 'routine', '', 'U1', '', 'pending', 0, false, "
        ":text, :at, :by, :at, :at)"
    )
    with pytest.raises(IntegrityError), db.begin() as connection:
        connection.execute(text(insert), {"text": "", "at": NOW, "by": "U1"})
    with db.begin() as connection:
        connection.execute(text(insert), {"text": CONSENT_TEXT, "at": NOW, "by": "U1"})
    with pytest.raises(IntegrityError), db.begin() as connection:
        connection.execute(text("UPDATE handover SET consent_by = ''"))
    assert handover_count(db) == 1


def test_the_accepting_worker_sees_what_was_agreed_when_and_by_whom(slack, fake, db):
    from tests.scenarios.helpers import refer

    refer(slack)
    with db.connect() as connection:
        row = connection.execute(
            text("SELECT consent_text, consent_by, consent_at FROM handover")
        ).one()
    assert row[0] == CONSENT_TEXT and row[1] == ADVISER and row[2] is not None

    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    answer = slack.answer(slack.submit(CV_STAFF, {"contact_by": "2026-11-30"}))
    for shown in (str(answer["view"]), str(fake.dms(CV_STAFF))):
        assert f"*Consent* recorded by <@{ADVISER}> on" in shown
        assert CONSENT_TEXT in shown


def _checked_referral() -> str:
    from bot.handover.referral import ReferralForm, check_referral
    from tests.network import test_network

    form = ReferralForm(needs=["cv"], name="Sam Resident", phone="07911 123456", consent=True)
    return dump_referral(check_referral(form, test_network()))


def _no_plan():
    from bot.handover.matching import Split

    return Split(parts=())
