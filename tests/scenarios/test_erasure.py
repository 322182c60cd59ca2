"""Residents' details are erased after the retention period, and on request; the anonymous
handover and its history stay, and the worker's private message that showed them is redacted.

The clock starts on Wednesday 25 November 2026, 10:00; the test network keeps details for
the default 90 calendar days after closure.
"""

from datetime import timedelta

from sqlalchemy import text

from tests.network import ADVISER, COORDINATOR, CV_CHANNEL, CV_STAFF
from tests.scenarios.helpers import last_card, refer


def accept(slack, fake) -> dict:
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    return slack.answer(slack.submit(CV_STAFF, {"contact_by": "2026-11-30"}))


def close(slack, fake) -> None:
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Record outcome")
    slack.submit(CV_STAFF, {"outcome": "started_support", "outcome_note": ""})


def details_dm(fake) -> dict:
    return next(m for m in fake.dms(CV_STAFF) if "the resident's details" in m["text"])


def resident_rows(db) -> list[tuple]:
    """The raw rows, as stored: details are Fernet tokens until erased, then NULL."""
    with db.connect() as connection:
        return connection.execute(
            text(
                "SELECT handover_id, name, phone, email, access_needs, erased_at "
                "FROM resident ORDER BY handover_id"
            )
        ).all()


def erased_flags(db) -> list[tuple]:
    """handover.details_erased, which keeps erased handovers out of the retention check."""
    with db.connect() as connection:
        return [
            (handover_id, bool(flag))
            for handover_id, flag in connection.execute(
                text("SELECT id, details_erased FROM handover ORDER BY id")
            )
        ]


def erasures(db) -> list[tuple]:
    with db.connect() as connection:
        return connection.execute(
            text(
                "SELECT handover_id, actor_id, reason, note FROM handover_event "
                "WHERE kind = 'erased' ORDER BY handover_id"
            )
        ).all()


def test_retention_erases_after_the_period_redacts_the_dm_and_keeps_the_history(
    slack, fake, clock, db
):
    refer(slack)
    accept(slack, fake)
    shown = details_dm(fake)
    assert "Sam Resident" in str(shown)
    close(slack, fake)

    clock.advance(timedelta(days=90) - timedelta(minutes=1))
    slack.app.scheduler.tick()
    (row,) = resident_rows(db)
    assert row[1] is not None and row[5] is None  # still there (encrypted)
    assert erasures(db) == [] and erased_flags(db) == [(1, False)]

    clock.advance(timedelta(minutes=1))
    slack.app.scheduler.tick()
    slack.app.scheduler.tick()  # a second tick, or a second copy of the bot: erased once
    (row,) = resident_rows(db)
    assert row[1:5] == (None, None, None, None) and row[5] is not None
    assert erasures(db) == [(1, None, "retention", None)]
    assert erased_flags(db) == [(1, True)]

    redacted = next(m for m in fake.dms(CV_STAFF) if m["ts"] == shown["ts"])
    assert "Details for HO-0001 were erased on 23 February 2027 (retention)" in redacted["text"]
    said = str([redacted["text"], redacted["blocks"]])  # not the ts: its digits vary
    assert "Sam Resident" not in said and "7911" not in said

    # The anonymous handover and its history stay.
    slack.command(COORDINATOR, "status HO-0001")
    status = fake.ephemerals(COORDINATOR)[-1]
    assert "HO-0001" in str(status) and "closed" in str(status)
    assert "details erased (retention period over)" in str(status)


def test_open_handovers_are_not_erased_by_retention(slack, fake, clock, db):
    refer(slack)
    accept(slack, fake)
    clock.advance(timedelta(days=200))
    slack.app.scheduler.tick()
    assert resident_rows(db)[0][1] is not None and erasures(db) == []


def test_withdrawn_handovers_are_erased_too(slack, fake, clock, db):
    refer(slack)
    receipt = next(m for m in fake.dms(ADVISER) if "Withdraw" in str(m["blocks"]))
    slack.click_button(ADVISER, receipt, fake.dm_channel(ADVISER), "Withdraw")
    clock.advance(timedelta(days=91))
    slack.app.scheduler.tick()
    assert resident_rows(db)[0][1] is None and erasures(db) == [(1, None, "retention", None)]
    assert erased_flags(db) == [(1, True)]


def test_a_handover_erased_on_request_is_not_erased_again_when_it_closes(slack, fake, clock, db):
    refer(slack)
    accept(slack, fake)
    slack.command(COORDINATOR, "erase HO-0001 resident asked by phone")
    close(slack, fake)
    clock.advance(timedelta(days=91))
    slack.app.scheduler.tick()
    assert erasures(db) == [(1, COORDINATOR, "on_request", "resident asked by phone")]
    assert erased_flags(db) == [(1, True)]


def test_a_coordinator_erases_a_resident_from_all_their_handovers(slack, fake, db):
    refer(slack)  # HO-0001
    accept(slack, fake)
    shown = details_dm(fake)
    refer(slack, phone="07911123456", email="sam@example.org")  # HO-0002: the same resident
    refer(slack, name="Other Person")  # HO-0003: the same phone, another name
    refer(slack, phone="07000 000000")  # HO-0004: the same name, other contact details

    slack.command(COORDINATOR, "erase HO-0001 resident asked by phone")
    reply = fake.ephemerals(COORDINATOR)[-1]["text"]
    assert "HO-0001, HO-0002" in reply and "HO-0003" not in reply and "HO-0004" not in reply
    assert erased_flags(db) == [(1, True), (2, True), (3, False), (4, False)]

    rows = resident_rows(db)
    assert [r[1] is None for r in rows] == [True, True, False, False]
    assert rows[1][1:5] == (None, None, None, None) and rows[1][5] is not None
    assert erasures(db) == [
        (1, COORDINATOR, "on_request", "resident asked by phone"),
        (2, COORDINATOR, "on_request", "resident asked by phone"),
    ]
    redacted = next(m for m in fake.dms(CV_STAFF) if m["ts"] == shown["ts"])
    assert "Details for HO-0001 were erased on 25 November 2026 (on request)" in redacted["text"]
    assert "Sam Resident" not in str(redacted)

    # Asked again: nothing left to erase.
    slack.command(COORDINATOR, "erase HO-0002 again")
    assert "already erased" in fake.ephemerals(COORDINATOR)[-1]["text"]


def test_residents_stored_before_the_blind_index_are_still_erased_together(slack, fake, db):
    refer(slack)  # HO-0001
    refer(slack, phone="07911123456", email="sam@example.org")  # HO-0002: the same resident
    refer(slack, name="Other Person")  # HO-0003: the same phone, another name
    with db.begin() as connection:  # as a database upgraded before `crypto rotate` has run
        connection.execute(text("UPDATE resident SET match_phone = NULL, match_email = NULL"))

    slack.command(COORDINATOR, "erase HO-0002 resident asked by e-mail")
    reply = fake.ephemerals(COORDINATOR)[-1]["text"]
    assert "HO-0001, HO-0002" in reply and "HO-0003" not in reply
    assert erased_flags(db) == [(1, True), (2, True), (3, False)]


def test_only_coordinators_may_erase_and_they_must_say_why(slack, fake, db):
    refer(slack)
    slack.command(CV_STAFF, "erase HO-0001 because")
    assert "Only the network's coordinators" in fake.ephemerals(CV_STAFF)[-1]["text"]
    slack.command(ADVISER, "erase HO-0001 because")
    assert "Only the network's coordinators" in fake.ephemerals(ADVISER)[-1]["text"]
    slack.command(COORDINATOR, "erase HO-0001")
    assert "Say why" in fake.ephemerals(COORDINATOR)[-1]["text"]
    assert resident_rows(db)[0][1] is not None and erasures(db) == []


def test_accepting_after_erasure_shows_the_erased_note(slack, fake, db):
    refer(slack)
    slack.command(COORDINATOR, "erase HO-0001 resident withdrew consent")
    answer = accept(slack, fake)
    assert "The resident's details were erased" in str(answer["view"])
    assert "Sam Resident" not in str(answer["view"])
    private = details_dm(fake)
    assert "The resident's details were erased" in str(private)
    assert "Sam Resident" not in str(private)


def test_a_details_message_slack_will_not_update_is_logged_and_the_erasure_stands(
    slack, fake, db, caplog
):
    refer(slack)
    accept(slack, fake)
    fake.fail_next("chat.update", error="message_not_found")
    slack.command(COORDINATOR, "erase HO-0001 resident asked in person")
    assert "Erased the resident's details from HO-0001" in fake.ephemerals(COORDINATOR)[-1]["text"]
    assert resident_rows(db)[0][1] is None
    assert "gave up on chat.update about HO-0001" in caplog.text
    assert "message_not_found" in caplog.text
