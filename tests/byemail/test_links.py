"""The page's links and the e-mails' words, without the app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bot.byemail import mail
from bot.byemail.links import PageLinks
from bot.byemail.writer import working_words
from storage import crypto

ROUTED = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def handover(**changes):
    values = dict(id=42, provider_id="able", routed_at=ROUTED)
    return SimpleNamespace(**{**values, **changes})


def test_a_link_opens_its_handover_only_while_it_is_where_it_was_made_for():
    links = PageLinks(data_keys=[crypto.new_key()], public_url="https://h.example.org/")
    token = links.token(handover(), "able")
    assert links.url(handover(), "able") == f"https://h.example.org/p/{token}"
    claim = links.read(token)
    assert (claim.handover_id, claim.provider_id) == (42, "able")
    assert claim.holds_for(handover())
    assert not claim.holds_for(handover(provider_id="other"))
    # Declined, then routed back by hand later: the old link stays dead.
    assert not claim.holds_for(handover(routed_at=ROUTED + timedelta(days=2)))


def test_a_tampered_token_or_another_bots_is_not_read():
    key = crypto.new_key()
    links = PageLinks(data_keys=[key], public_url="https://h.example.org")
    token = links.token(handover(), "able")
    assert links.read(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert links.read("") is None and links.read("a.b.c") is None
    other = PageLinks(data_keys=[crypto.new_key()], public_url="https://h.example.org")
    assert other.read(token) is None


def test_a_rotated_data_key_keeps_old_links_working_while_it_is_listed():
    old, new = crypto.new_key(), crypto.new_key()
    token = PageLinks(data_keys=[old], public_url="").token(handover(), "able")
    assert PageLinks(data_keys=[new, old], public_url="").read(token) is not None
    assert PageLinks(data_keys=[new], public_url="").read(token) is None


def test_reminder_times_read_as_working_time():
    assert working_words("1d") == "1 working day"
    assert working_words("2d") == "2 working days"
    assert working_words("4h") == "4 working hours"
    assert working_words("30m") == "30 working minutes"


def test_the_left_email_has_no_link_to_follow():
    gone = mail.left(SimpleNamespace(ref="HO-0042"), SimpleNamespace(name="Able"), "withdrawn")
    assert "no longer with Able" in gone.body and "http" not in gone.link
