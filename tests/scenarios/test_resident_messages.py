"""The resident in the loop: a text or an e-mail through GOV.UK Notify (the stand-in, which
refuses what Notify refuses) when a provider accepts, one check-in if nobody has been in
touch, in daytime only, once only, and what became of each."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from notifications_python_client.notifications import NotificationsAPIClient
from sqlalchemy import text

from bot.directory.network import parse_network
from sandbox import notify_templates
from sandbox.notify import FakeNotify
from tests.harness import Harness
from tests.network import ADVISER, CV_CHANNEL, CV_STAFF, NETWORK_YAML
from tests.scenarios.helpers import last_card, refer
from tests.scenarios.test_provider import accept

TOKEN = "callback-token-for-tests"
MOBILE = "07911 123456"
TEMPLATES = {t.key: t for t in notify_templates.TEMPLATES}


@pytest.fixture(scope="module")
def notify_server():
    with FakeNotify() as fake:
        notify_templates.seed(fake)
        yield fake


@pytest.fixture
def notify(notify_server):
    notify_server.forget()
    yield notify_server
    notify_server.forget()


@pytest.fixture
def network():
    return parse_network(NETWORK_YAML + notify_templates.network_section(), source="test")


def _harness(fake, db, network, clock, notify, *, timeout: float = 5):
    client = NotificationsAPIClient(notify.api_key, base_url=notify.base_url, timeout=timeout)
    return Harness(
        fake=fake, engine=db, network=network, clock=clock, notify=client, callback_token=TOKEN
    )


@pytest.fixture
def slack(fake, db, network, clock, notify):
    harness = _harness(fake, db, network, clock, notify)
    yield harness
    harness.executor.drain()
    harness.executor.shutdown()


def at(clock, day: int, hour: int, minute: int = 0) -> None:
    """That November 2026 day and London time (GMT in November)."""
    clock._now = datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def deliver(slack) -> None:
    slack.app.bot.outbox.deliver()


def records(db) -> list[tuple]:
    with db.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT handover_id, kind, channel, reference, status FROM resident_message "
                    "ORDER BY id"
                )
            )
        ]


# -- the form ------------------------------------------------------------------------------


def test_the_form_asks_how_the_resident_wants_to_hear_and_the_consent_says_so(slack, fake):
    slack.command(ADVISER, "")
    (form,) = fake.open_views(ADVISER)
    block = next(b for b in form["blocks"] if b.get("block_id") == "hear_by")
    assert [o["text"]["text"] for o in block["element"]["options"]] == [
        "Text message",
        "E-mail",
        "Not at all",
    ]
    consent = next(b for b in form["blocks"] if b.get("block_id") == "consent")
    assert "text message or an e-mail" in consent["hint"]["text"]


def test_without_notify_the_form_does_not_ask(fake, db, clock):
    from tests.network import test_network

    harness = Harness(fake=fake, engine=db, network=test_network(), clock=clock)
    harness.command(ADVISER, "")
    (form,) = fake.open_views(ADVISER)
    assert not any(b.get("block_id") == "hear_by" for b in form["blocks"])
    assert "text message" not in str(form)


def test_a_landline_cannot_be_texted_and_the_form_says_so_inline(slack, notify):
    answer = refer(slack, phone="020 7946 0000", hear_by="sms")
    assert answer["response_action"] == "errors"
    assert "landline" in answer["errors"]["hear_by"]
    assert notify.requests() == []


def test_e_mail_chosen_without_an_address_is_said_inline(slack):
    answer = refer(slack, hear_by="email")
    assert "e-mail address" in answer["errors"]["hear_by"]


# -- on Accept -----------------------------------------------------------------------------


def test_on_accept_the_resident_gets_a_text_saying_who_will_contact_them_and_by_when(
    slack, fake, notify, db
):
    refer(slack)  # a mobile, and no choice made: a text message
    assert notify.notifications() == []  # nothing before a provider accepts
    accept(slack, fake, date="2026-11-27")
    (sms,) = notify.sent_to(MOBILE)
    assert sms.template_id == TEMPLATES["accepted_sms"].id
    assert sms.reference == "HO-0001-accepted"
    # The worker's first name (from Slack), the organisation, the date as the network
    # writes dates, and whom to ask.
    assert sms.body.startswith("Cleo from Northside CV Clinic will contact you by Fri 27 Nov 2026")
    assert "Kentish Town Job Club" in sms.body and "HO-0001" in sms.body
    assert records(db) == [(1, "accepted", "sms", "HO-0001-accepted", "sending")]


def test_an_e_mail_when_the_resident_chose_e_mail(slack, fake, notify):
    refer(slack, email="sam@example.org", hear_by="email")
    accept(slack, fake)
    (email,) = notify.sent_to("sam@example.org")
    assert email.template_id == TEMPLATES["accepted_email"].id
    assert email.subject == "Northside CV Clinic will contact you by Fri 27 Nov 2026"
    assert notify.sent_to(MOBILE) == []


def test_nothing_when_the_resident_chose_not_at_all(slack, fake, notify, db):
    refer(slack, hear_by="none")
    accept(slack, fake)
    assert notify.requests() == [] and records(db) == []


def test_a_resident_with_only_a_landline_and_no_choice_hears_nothing(slack, fake, notify):
    refer(slack, phone="020 7946 0000")
    accept(slack, fake)
    assert notify.requests() == []


def test_none_at_night_the_message_waits_for_the_morning(slack, fake, notify, clock):
    refer(slack)
    at(clock, 25, 20, 30)  # 20:30 in London: after the network's daytime
    accept(slack, fake)
    deliver(slack)
    assert notify.requests() == []
    at(clock, 26, 7, 59)
    deliver(slack)
    assert notify.requests() == []
    at(clock, 26, 8, 0)
    deliver(slack)
    assert len(notify.sent_to(MOBILE)) == 1


# -- check-in ------------------------------------------------------------------------------


def test_check_in_once_when_the_promised_date_passes_with_no_contact(slack, fake, notify, clock):
    refer(slack)
    accept(slack, fake, date="2026-11-27")
    at(clock, 27, 16)
    slack.app.scheduler.tick()
    assert [n.reference for n in notify.sent_to(MOBILE)] == ["HO-0001-accepted"]
    at(clock, 30, 9)  # Monday morning: Friday has passed; the worker is nudged
    slack.app.scheduler.tick()
    sent = notify.sent_to(MOBILE)
    assert [n.reference for n in sent] == ["HO-0001-accepted", "HO-0001-check_in"]
    assert sent[-1].body.startswith("Has Northside CV Clinic been in touch")
    at(clock, 30, 16)
    slack.app.scheduler.tick()
    clock.advance(timedelta(days=1))
    slack.app.scheduler.tick()  # the worker is nudged again: the resident is not
    assert len(notify.sent_to(MOBILE)) == 2


def test_no_check_in_once_contact_is_made(slack, fake, notify, clock):
    refer(slack)
    accept(slack, fake, date="2026-11-27")
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Made contact")
    at(clock, 30, 9)
    slack.app.scheduler.tick()
    assert [n.reference for n in notify.sent_to(MOBILE)] == ["HO-0001-accepted"]


def test_a_check_in_due_at_night_is_dropped_if_contact_is_made_before_morning(
    slack, fake, notify, clock, db
):
    refer(slack)
    accept(slack, fake, date="2026-11-27")
    at(clock, 30, 9)
    slack.app.bot.outbox.deliver()
    # The nudge and check-in are written at 09:00 but Notify is down until the evening...
    notify.fail_next(status=500, times=50)
    slack.app.scheduler.tick()
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Made contact")
    at(clock, 30, 12)
    deliver(slack)
    assert [n.reference for n in notify.sent_to(MOBILE)] == ["HO-0001-accepted"]
    assert records(db)[-1][-1] == "dropped"


# -- once only, and failures ---------------------------------------------------------------


def test_retried_after_notify_fails_and_sent_once(slack, fake, notify, clock, db):
    refer(slack)
    notify.fail_next(status=500)
    accept(slack, fake)
    assert notify.sent_to(MOBILE) == []
    assert records(db)[-1][-1] == "waiting"
    clock.advance(timedelta(seconds=5))
    deliver(slack)
    assert len(notify.sent_to(MOBILE)) == 1
    clock.advance(timedelta(minutes=5))
    deliver(slack)
    assert len(notify.sent_to(MOBILE)) == 1


def test_an_answer_that_never_came_is_looked_up_not_sent_again(fake, db, network, clock, notify):
    slack = _harness(fake, db, network, clock, notify, timeout=0.5)
    refer(slack)
    notify.slow_next(1.5)  # Notify takes the text, and its answer is lost to a timeout
    accept(slack, fake)
    assert len(notify.sent_to(MOBILE)) == 1
    assert records(db)[-1][-1] == "waiting"
    clock.advance(timedelta(seconds=5))
    deliver(slack)
    assert len(notify.sent_to(MOBILE)) == 1  # found by its reference
    assert records(db)[-1][-1] == "sending"


def test_a_message_notify_refuses_is_not_retried_and_the_adviser_hears(
    slack, fake, notify, clock, db
):
    refer(slack)
    notify.fail_next(status=400, error="BadRequestError", message="Missing personalisation: x")
    accept(slack, fake)
    clock.advance(timedelta(hours=1))
    deliver(slack)
    assert notify.sent_to(MOBILE) == []
    sends = [r for r in notify.requests() if r.method == "POST"]
    assert len(sends) == 1
    assert records(db)[-1][-1] == "refused"
    told = fake.dms(ADVISER)[-1]["text"]
    assert "HO-0001" in told and "could not be sent" in told and MOBILE not in told


def test_two_copies_of_the_bot_send_it_once(slack, fake, db, network, clock, notify):
    other = _harness(fake, db, network, clock, notify)
    refer(slack)
    at(clock, 25, 21)
    accept(slack, fake)  # at night: waits in the outbox
    at(clock, 26, 9)
    deliver(slack)
    deliver(other)
    slack.app.scheduler.tick()
    other.app.scheduler.tick()
    assert len(notify.sent_to(MOBILE)) == 1


# -- delivery receipts ---------------------------------------------------------------------


def _receipt(notify, status: str) -> dict:
    (sms,) = notify.sent_to(MOBILE)
    return {**notify.notification(sms.id).receipt(), "status": status}


def test_receipts_need_notifys_bearer_token(slack, fake, notify, db):
    refer(slack)
    accept(slack, fake)
    receipt = _receipt(notify, "delivered")
    assert slack.notify_receipt(receipt, None).status_code == 401
    assert slack.notify_receipt(receipt, "wrong").status_code == 401
    assert records(db)[-1][-1] == "sending"
    assert slack.notify_receipt(b"{not json", TOKEN).status_code == 400
    assert slack.notify_receipt({"id": 3}, TOKEN).status_code == 400
    assert slack.notify_receipt(receipt, TOKEN).status_code == 200
    assert records(db)[-1][-1] == "delivered"


def test_a_permanent_failure_is_told_to_the_adviser_and_on_the_card(slack, fake, notify, db):
    refer(slack)
    accept(slack, fake)
    response = slack.notify_receipt(_receipt(notify, "permanent-failure"), TOKEN)
    assert response.status_code == 200
    told = fake.dms(ADVISER)[-1]["text"]
    assert "text message to the resident for *HO-0001*" in told
    assert "check the number with them" in told
    card = last_card(fake, CV_CHANNEL)
    assert any("could not be delivered" in m["text"] for m in fake.thread(CV_CHANNEL, card["ts"]))
    assert MOBILE not in str(fake.messages(CV_CHANNEL))
    # Notify may say it twice: told once.
    slack.notify_receipt(_receipt(notify, "permanent-failure"), TOKEN)
    assert sum("could not be delivered" in m["text"] for m in fake.dms(ADVISER)) == 1


def test_a_temporary_failure_is_noted(slack, fake, notify, db):
    refer(slack)
    accept(slack, fake)
    slack.notify_receipt(_receipt(notify, "temporary-failure"), TOKEN)
    assert records(db)[-1][-1] == "temporary-failure"
    assert not any("could not be delivered" in m["text"] for m in fake.dms(ADVISER))


# -- privacy -------------------------------------------------------------------------------


def test_erasure_drops_a_message_still_waiting(slack, fake, notify, clock, db):
    from tests.network import COORDINATOR

    refer(slack)
    at(clock, 25, 21)
    accept(slack, fake)
    slack.command(COORDINATOR, "erase HO-0001 resident asked by phone")
    at(clock, 26, 9)
    deliver(slack)
    assert notify.requests() == []
    assert records(db)[-1][-1] == "dropped"


def test_no_number_or_address_in_a_log_line_or_an_outbox_row(slack, fake, notify, db, caplog):
    caplog.set_level(logging.INFO)  # as the bot runs; Notify's client logs its refusals
    refer(slack, email="sam@example.org")
    notify.fail_next(status=500)
    accept(slack, fake)
    with db.connect() as connection:
        rows = connection.execute(text("SELECT payload FROM outbox WHERE method LIKE 'notify.%'"))
        stored = [row[0] for row in rows]
    assert stored and all(MOBILE.replace(" ", "") not in (p or "") for p in stored)
    # Decrypted, the waiting message names its template and fields, not where it goes.
    from sqlmodel import Session, select

    from storage.models import OutboxMessage

    with Session(db) as session:
        waiting = session.exec(
            select(OutboxMessage).where(OutboxMessage.method == "notify.sms")
        ).one()
        payload = json.loads(waiting.payload)
    assert "07911" not in json.dumps(payload) and "sam@example.org" not in json.dumps(payload)
    assert payload["reference"] == "HO-0001-accepted"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for needle in ("07911", "7911123456", "sam@example.org"):
        assert needle not in logged


def test_the_audit_trail_lists_each_message_to_the_resident_never_its_content(slack, fake, notify):
    from tests.network import COORDINATOR

    refer(slack)
    accept(slack, fake)
    export = slack.app.bot.audit.export(1, actor_id=COORDINATOR, with_details=False)
    (line,) = [row for row in export.trail.splitlines() if "told the resident" in row]
    assert "accepted by sms: sending" in line
    assert TEMPLATES["accepted_sms"].id in line
    assert "07911" not in export.trail and "Cleo from" not in export.trail


def test_a_check_in_by_e_mail_when_the_resident_chose_e_mail(slack, fake, notify, clock):
    refer(slack, email="sam@example.org", hear_by="email")
    accept(slack, fake, date="2026-11-27")
    at(clock, 30, 9)
    slack.app.scheduler.tick()
    sent = notify.sent_to("sam@example.org")
    assert [n.template_id for n in sent] == [
        TEMPLATES["accepted_email"].id,
        TEMPLATES["check_in_email"].id,
    ]
    assert sent[-1].subject == "Has Northside CV Clinic been in touch about HO-0001?"


def test_notify_unreachable_is_tried_again_later(slack, fake, notify, clock, db):
    refer(slack)
    notify.unreachable = True
    try:
        accept(slack, fake)
    finally:
        notify.unreachable = False
    assert notify.sent_to(MOBILE) == [] and records(db)[-1][-1] == "waiting"
    clock.advance(timedelta(seconds=5))
    deliver(slack)
    assert len(notify.sent_to(MOBILE)) == 1
