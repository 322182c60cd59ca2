"""The blind index: the same resident typed two ways gives one value, another key another,
and what is stored reveals nothing and cannot be recomputed without the key."""

from __future__ import annotations

import hashlib
import logging

from cryptography.fernet import Fernet
from sqlalchemy import text

from storage.blind import Identity, MatchKeys, derive, normalise_name, normalise_phone
from tests.harness import DATA_KEY
from tests.scenarios.helpers import refer

KEY = MatchKeys([DATA_KEY])


def _values(keys: MatchKeys = KEY, **identity) -> dict:
    return keys.columns(Identity.of(**{"phone": None, "email": None, **identity}))


def test_the_ways_people_type_one_resident_give_one_value():
    one = _values(name="Ada  OKAFOR", phone="07700 900123", email=" Ada.Okafor@Example.ORG ")
    other = _values(name="ada okafor", phone="+447700900123", email="ada.okafor@example.org")
    assert one == other
    assert one["match_phone"] and one["match_email"]
    assert _values(name="Zoë Adébayo", phone="07700900123") == _values(
        name="ZOE ADEBAYO", phone="07700900123"
    )


def test_another_name_phone_or_email_gives_another_value():
    ada = _values(name="Ada Okafor", phone="07700 900123", email="ada@example.org")
    assert _values(name="Ada Okafor", phone="07700 900124")["match_phone"] != ada["match_phone"]
    assert (
        _values(name="Ada Okafor", email="ada2@example.org")["match_email"] != (ada["match_email"])
    )
    assert _values(name="Ade Okafor", phone="07700 900123")["match_phone"] != ada["match_phone"]
    # A phone and an e-mail never collide, even written the same.
    assert (
        _values(name="x", phone="+447700900123")["match_phone"]
        != (_values(name="x", email="+447700900123")["match_email"])
    )


def test_marks_that_are_letters_in_other_scripts_are_kept():
    assert normalise_name("कुमार") != normalise_name("कमार")
    assert normalise_phone("not a number") == ""


def test_another_key_gives_another_value_and_a_plain_hash_is_not_it():
    other = MatchKeys([Fernet.generate_key().decode()])
    ada = {"name": "Ada Okafor", "phone": "07700 900123"}
    assert _values(**ada)["match_phone"] != _values(other, **ada)["match_phone"]
    # Without the key, hashing guessed details does not find the value.
    for guess in ("ada okafor+447700900123", "phone\x1fada okafor\x1f+447700900123"):
        assert hashlib.sha256(guess.encode()).hexdigest() != _values(**ada)["match_phone"]


def test_older_keys_are_looked_up_too_and_the_first_writes():
    new = Fernet.generate_key().decode()
    ada = Identity.of(name="Ada Okafor", phone="07700 900123", email=None)
    written_before = KEY.columns(ada)["match_phone"]
    both = MatchKeys([new, DATA_KEY])
    phones, emails = both.lookups(ada)
    assert written_before in phones and len(phones) == 2 and emails == []
    assert both.columns(ada)["match_phone"] != written_before


def test_no_name_or_no_contact_matches_nothing():
    assert _values(name="", phone="07700 900123") == {"match_phone": None, "match_email": None}
    assert _values(name="Ada Okafor") == {"match_phone": None, "match_email": None}


def test_the_key_never_shows_in_a_repr_or_a_log(caplog):
    key = derive(DATA_KEY)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").debug("keys %r %s %r", key, key, KEY)
    secret = key._secret
    for shown in (repr(key), str(key), repr(KEY), caplog.text):
        assert DATA_KEY not in shown and secret.hex() not in shown and repr(secret) not in shown


def test_nothing_readable_lands_in_the_columns(slack, db):
    refer(slack, name="Ada Okafor", phone="07400 123456", email="ada@example.org")
    with db.connect() as connection:
        row = connection.execute(text("SELECT match_phone, match_email FROM resident")).one()
    # Hex digests only: no letter of a name or an address, whatever was typed.
    for value in row:
        assert len(value) == 64 and set(value) <= set("0123456789abcdef")
    assert tuple(row) == tuple(
        _values(name="Ada Okafor", phone="+447400123456", email="ada@example.org").values()
    )
