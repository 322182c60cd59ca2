"""Residents' details are encrypted at rest: raw rows hold no plaintext, keys rotate, a wrong
or missing key is a clear error, and the views that need no personal data never touch them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import event, text
from sqlalchemy.exc import StatementError
from sqlmodel import Session

from sandbox.run import sandbox_data_key
from storage import crypto
from storage.db import alembic_config, make_engine, upgrade
from storage.models import Handover, Resident
from tests.harness import DATA_KEY
from tests.network import ADVISER, COORDINATOR, CV_CHANNEL, CV_STAFF
from tests.scenarios.helpers import GOOD_REFERRAL, last_card, refer

PERSONAL = {
    "name": "Sam Resident",
    "phone": "07911 123456",
    "email": "sam@example.org",
    "access_needs": "Step-free access please",
}
NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _add_resident(engine) -> int:
    with Session(engine) as session:
        handover = Handover(
            adviser_id=ADVISER,
            consent_text="agreed",
            consent_at=NOW,
            consent_by=ADVISER,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(handover)
        session.flush()
        session.add(Resident(handover_id=handover.id, **PERSONAL))
        session.commit()
        return handover.id


def _read(engine, handover_id: int) -> dict:
    with Session(engine) as session:
        resident = session.get(Resident, handover_id)
        return {column: getattr(resident, column) for column in PERSONAL}


def _raw(engine) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT name, phone, email, access_needs FROM resident"))
        return [value for row in rows for value in row]


def test_a_referral_is_stored_with_no_plaintext_personal_details(slack, fake, db):
    refer(slack, email="sam@example.org")
    stored = _raw(db)
    assert len(stored) == 4 and all(value.startswith("gAAAAA") for value in stored)
    raw = " ".join(stored)
    # (Whole values: a random token can contain a short piece like "Sam" by chance.)
    for secret in ("Sam Resident", "07911 123456", "sam@example.org", "Step-free access"):
        assert secret not in raw
    # The accepting worker still sees them (tests/scenarios/test_provider.py has the rest).
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    answer = slack.answer(slack.submit(CV_STAFF, {"contact_by": "2026-11-30"}))
    assert GOOD_REFERRAL["name"] in str(answer["view"])


def test_data_written_with_one_key_reads_after_rotation_with_the_new_key_alone(db):
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    written = _add_resident(make_engine(_url(db), data_keys=[key_a]))

    both = make_engine(_url(db), data_keys=f"{key_b}, {key_a}")
    assert _read(both, written) == PERSONAL
    before = _raw(db)
    with both.begin() as connection:
        assert crypto.rotate(connection) == 1
    assert set(_raw(db)).isdisjoint(before)

    assert _read(make_engine(_url(db), data_keys=[key_b]), written) == PERSONAL
    with pytest.raises(crypto.DataKeyError, match="cannot be decrypted"):
        _read(make_engine(_url(db), data_keys=[key_a]), written)


def test_a_wrong_key_is_a_clear_error_not_garbage(db):
    written = _add_resident(db)
    wrong = make_engine(_url(db), data_keys=[Fernet.generate_key().decode()])
    with pytest.raises(crypto.DataKeyError) as error:
        _read(wrong, written)
    assert "HANDOVER_DATA_KEYS" in str(error.value) and "not among them" in str(error.value)
    with pytest.raises(crypto.DataKeyError), wrong.begin() as connection:
        crypto.rotate(connection)
    assert _read(db, written) == PERSONAL  # rotating with the wrong key changed nothing


def test_an_engine_without_keys_stores_nothing_in_plaintext(db):
    keyless = make_engine(_url(db))
    with pytest.raises((crypto.DataKeyError, StatementError), match="no data keys"):
        _add_resident(keyless)
    assert _raw(db) == []


@pytest.mark.parametrize("keys", ["", " , ", "not-a-key", f"{DATA_KEY},short"])
def test_keys_that_are_missing_or_malformed_are_refused(keys):
    with pytest.raises(crypto.DataKeyError, match=r"storage\.crypto new-key"):
        crypto.make_cipher(keys)


def test_new_key_prints_a_fernet_key(capsys):
    assert crypto.main(["new-key"]) == 0
    Fernet(capsys.readouterr().out.strip())  # a usable key


def test_the_rotate_command_uses_the_environment(db, monkeypatch, capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    written = _add_resident(make_engine(_url(db), data_keys=[old]))
    monkeypatch.setenv("DATABASE_URL", _url(db))
    monkeypatch.setenv("HANDOVER_DATA_KEYS", f"{new},{old}")
    assert crypto.main(["rotate"]) == 0
    assert "Re-encrypted 1 " in capsys.readouterr().out
    assert _read(make_engine(_url(db), data_keys=[new]), written) == PERSONAL
    monkeypatch.setenv("HANDOVER_DATA_KEYS", "")
    assert crypto.main(["rotate"]) == 2
    assert "new-key" in capsys.readouterr().err


def test_migration_encrypts_residents_stored_before_it(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0005")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO handover (id, needs, urgency, context, adviser_id, adviser_org, "
                "state, version, routed_by_hand, consent_text, consent_at, created_at, "
                "updated_at) VALUES (1, '[]', 'routine', '', 'U1', '', 'pending', 0, 0, "
                "'agreed', '2026-11-25 10:00:00', '2026-11-25 10:00:00', '2026-11-25 10:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO resident (handover_id, name, phone, email, access_needs) "
                "VALUES (1, :name, :phone, :email, :access_needs)"
            ),
            PERSONAL,
        )
    with pytest.raises(crypto.DataKeyError, match="plaintext: set HANDOVER_DATA_KEYS"):
        upgrade(engine)
    assert PERSONAL["name"] in _raw(engine)  # untouched, still at 0005

    keyed = make_engine(f"sqlite:///{tmp_path / 'old.db'}", data_keys=[DATA_KEY])
    upgrade(keyed)
    assert PERSONAL["name"] not in " ".join(_raw(keyed))
    assert _read(keyed, 1) == PERSONAL
    command.downgrade(alembic_config(keyed), "0005")
    assert PERSONAL["name"] in _raw(keyed)


def test_the_sandbox_makes_its_own_key_once(tmp_path):
    key = sandbox_data_key(tmp_path)
    Fernet(key)
    assert sandbox_data_key(tmp_path) == key
    assert (tmp_path / "data.key").stat().st_mode & 0o077 == 0


def _statements_during(engine, action) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_home_status_mine_and_digest_never_touch_residents(slack, fake, db):
    refer(slack)
    refer(slack, needs=["esol"])
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-11-30"})

    def look_around():
        slack.command(ADVISER, "mine")
        slack.command(ADVISER, "status HO-0001")
        slack.command(CV_STAFF, "status HO-0001")
        slack.command(COORDINATOR, "status HO-0002")
        slack.command(COORDINATOR, "digest")
        for user in (ADVISER, CV_STAFF, COORDINATOR):
            slack.open_home(user)

    statements = _statements_during(db, look_around)
    assert statements, "the listener saw nothing: is it on the right engine?"
    touching = [s for s in statements if "resident" in s.lower()]
    assert touching == [], touching
