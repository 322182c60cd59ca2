"""Directory freshness without Slack: the network file's period, the claim that makes a nudge
go once, confirmations as a compare-and-set, and what the nudge and the lists say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import select

from bot.blocks.directory import (
    confirm_nudge,
    confirmation_words,
    confirmed_nudge,
    overdue_lines,
)
from bot.directory.network import parse_network
from bot.directory.providers import ConfirmRef, Directory, Overdue, sync_directory
from bot.errors import ConfigError, Refused
from bot.ids import Act
from sandbox.slack.blockkit import validate_message_blocks
from storage.db import alembic_config, make_engine, session_factory, upgrade
from storage.models import Provider
from tests.clock import MovableClock
from tests.network import COORDINATOR, CV_STAFF, NETWORK_YAML, OUTSIDER
from tests.network import test_network as network_for_tests

T0 = datetime(2026, 11, 25, 10, tzinfo=UTC)
HOSTILE = "Ping <!channel> and <@U0BADGUY1>"


# -- the network file ------------------------------------------------------------------------


def test_entries_are_confirmed_every_90_days_unless_the_file_says_otherwise():
    assert network_for_tests().directory.confirm_period == timedelta(days=90)
    network = parse_network(NETWORK_YAML + "directory:\n  confirm_every: 30d\n")
    assert network.directory.confirm_period == timedelta(days=30)


@pytest.mark.parametrize(
    ("section", "complaint"),
    [
        ("directory:\n  confirm_every: quarterly\n", "`directory.confirm_every` (line"),
        ("directory:\n  confirm_every: 0d\n", "is no time at all"),
        ("directory:\n  confirm_evry: 30d\n", "is not a key we know"),
    ],
)
def test_a_wrong_confirm_every_is_one_sentence(section, complaint):
    with pytest.raises(ConfigError) as error:
        parse_network(NETWORK_YAML + section, source="network.yaml")
    assert complaint in str(error.value)


# -- the database: claims and confirmations (SQLite and PostgreSQL) -------------------------


@pytest.fixture
def directory(db):
    clock = MovableClock(T0)
    network = network_for_tests()
    sessions = session_factory(db)
    sync_directory(network, sessions=sessions, now=clock.now())
    members = {"C0CVCLINIC": {CV_STAFF}}
    directory = Directory(
        sessions=sessions,
        network=network,
        clock=clock,
        membership=lambda channel, user: user in members.get(channel, set()),
    )
    return directory


def test_a_provider_is_due_a_period_after_it_was_listed_and_claimed_once(directory):
    assert directory.nudges_due(T0 + timedelta(days=89)) == []
    now = T0 + timedelta(days=90)
    due = {p.id: p for p in directory.nudges_due(now)}
    assert set(due) == {"cv-clinic", "esol-hub", "youth-futures", "town-hall"}
    # Two ticks that read the same row: only the first claim wins.
    stale_copy = directory.nudges_due(now)[0]
    said = []
    assert directory.claim_nudge(due[stale_copy.id], now, said.append) is True
    assert directory.claim_nudge(stale_copy, now, said.append) is False
    assert len(said) == 1  # the nudge is written once, by the claim that won
    assert stale_copy.id not in {p.id for p in directory.nudges_due(now + timedelta(days=1))}
    # Unanswered, it is asked again a whole period after the nudge.
    later = now + timedelta(days=90)
    assert stale_copy.id in {p.id for p in directory.nudges_due(later)}


def test_a_confirmation_restarts_the_period_and_applies_once(directory):
    clock = directory.clock
    clock.advance(timedelta(days=100))
    assert [o.provider.id for o in directory.overdue()][:1] == ["cv-clinic"]
    first = directory.confirm("cv-clinic", actor_id=CV_STAFF, seen=None)
    assert not first.repeated and first.provider.confirmed_at == clock.now()
    # The same button again (it showed "never confirmed"): already done, nothing recorded.
    again = directory.confirm("cv-clinic", actor_id=COORDINATOR, seen=None)
    assert again.repeated and again.provider.confirmed_by == CV_STAFF
    assert "cv-clinic" not in {o.provider.id for o in directory.overdue()}
    assert "cv-clinic" not in {p.id for p in directory.nudges_due(clock.now())}
    later = clock.now() + timedelta(days=90)
    assert "cv-clinic" in {p.id for p in directory.nudges_due(later)}


def test_only_the_providers_staff_or_a_coordinator_confirm(directory):
    with pytest.raises(Refused):
        directory.confirm("cv-clinic", actor_id=OUTSIDER, seen=None)
    assert directory.confirm("esol-hub", actor_id=COORDINATOR, seen=None).repeated is False


# -- what people read ----------------------------------------------------------------------


def provider(**changes) -> Provider:
    values = dict(
        id="cv-clinic",
        name="Northside CV Clinic",
        channel="C0CVCLINIC",
        services=["cv", "interview"],
        areas=["NW1", "NW5"],
        created_at=T0,
    )
    return Provider(**{**values, **changes})


def test_the_nudge_shows_the_entry_asks_and_has_one_button_that_carries_what_it_showed():
    network = parse_network(
        NETWORK_YAML.replace(
            "    areas: [NW1, NW5]\n",
            "    areas: [NW1, NW5]\n    hours: Tue and Thu 10-4\n"
            "    eligibility: Universal Credit claimants\n    languages: [English, Polish]\n",
            1,
        )
    )
    shown = provider(languages=["English", "Polish"], confirmed_at=T0)
    message = confirm_nudge(shown, network, "open")
    assert validate_message_blocks(message.blocks) == []
    text = str(message.blocks)
    for fact in (
        "*Hours*: Tue and Thu 10-4",
        "*Eligibility*: Universal Credit claimants",
        "*Languages*: English, Polish",
        "<#C0COORD001>",
    ):
        assert fact in text
    [actions] = [b for b in message.blocks if b["type"] == "actions"]
    [button] = actions["elements"]
    assert button["action_id"] == Act.CONFIRM_DETAILS
    assert ConfirmRef.load(button["value"]) == ConfirmRef(p="cv-clinic", c=T0)


def test_the_answered_nudge_names_who_and_when_and_has_no_button():
    done = provider(confirmed_at=T0, confirmed_by=CV_STAFF)
    message = confirmed_nudge(done, network_for_tests(), "paused")
    assert validate_message_blocks(message.blocks) == []
    assert f"Confirmed by <@{CV_STAFF}> on Wed 25 Nov 2026" in str(message.blocks)
    assert all(b["type"] != "actions" for b in message.blocks)


def test_typed_names_stay_inert_in_the_nudge():
    message = confirm_nudge(provider(name=HOSTILE), network_for_tests(), "open")
    assert "<!channel>" not in message.text + str(message.blocks)


def test_dates_are_in_the_networks_timezone():
    late = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 July in London
    assert confirmation_words(provider(confirmed_at=late), "Europe/London") == (
        "Details confirmed Thu 2 Jul 2026"
    )
    assert confirmation_words(provider(), "Europe/London") == "Details never confirmed"


def test_overdue_lines_say_since_when_and_whether_they_were_asked():
    due = T0 + timedelta(days=90)
    lines = overdue_lines(
        [
            Overdue(provider(confirm_nudged_at=due), due),
            Overdue(provider(name="Old", confirmed_at=T0 - timedelta(days=1)), due),
        ],
        "Europe/London",
    )
    assert lines == [
        "• *Northside CV Clinic*: due since Tue 23 Feb 2027 · never confirmed · asked Tue 23 "
        "Feb 2027",
        "• *Old*: due since Tue 23 Feb 2027 · last confirmed Tue 24 Nov 2026",
    ]


# -- the migration --------------------------------------------------------------------------


def test_upgrading_keeps_providers_and_starts_their_period_at_the_upgrade(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0002")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO provider (id, name, channel, services, active, capacity) "
                "VALUES ('cv-clinic', 'CV Clinic', 'C0CVCLINIC', '[\"cv\"]', 1, 'paused')"
            )
        )
    before = datetime.now(UTC)
    upgrade(engine)
    with session_factory(engine)() as session:
        [row] = session.exec(select(Provider)).all()
    assert (row.id, row.name, row.capacity) == ("cv-clinic", "CV Clinic", "paused")
    assert before <= row.created_at <= datetime.now(UTC)
    assert row.confirmed_at is None and row.confirm_nudged_at is None
    command.downgrade(alembic_config(engine), "0002")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, capacity FROM provider")).one() == (
            "cv-clinic",
            "paused",
        )
