"""Directory freshness: providers confirm their entry is right; the scheduler nudges those that
have not within the network's period, once, and coordinators see who is overdue."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.directory.network import parse_network
from tests.network import (
    COORD_CHANNEL,
    COORDINATOR,
    CV_CHANNEL,
    CV_STAFF,
    CV_STAFF2,
    ESOL_CHANNEL,
    NETWORK_YAML,
    OUTSIDER,
)

PERIOD = timedelta(days=90)  # the default confirm_every
NUDGE = "Is Northside CV Clinic's entry in the network's directory still right?"


def nudges(fake, channel: str = CV_CHANNEL) -> list[dict]:
    return [m for m in fake.messages(channel) if "entry in the network's directory" in m["text"]]


def buttons(message: dict) -> list[str]:
    return [
        element["text"]["text"]
        for block in message.get("blocks", [])
        for element in [*block.get("elements", []), block.get("accessory") or {}]
        if element.get("type") == "button"
    ]


def provider_row(db, provider_id: str = "cv-clinic") -> dict:
    with db.connect() as connection:
        row = connection.execute(
            text("SELECT * FROM provider WHERE id = :id"), {"id": provider_id}
        ).one()
    return dict(row._mapping)


def confirmations(db) -> list[tuple]:
    with db.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text("SELECT provider_id, actor_id FROM directory_event WHERE kind = 'confirmed'")
            )
        ]


def test_the_app_exposes_one_scheduler_with_every_due_check(slack):
    assert slack.app.scheduler.checks == [
        "reminders",
        "directory freshness",
        "weekly digest",
        "retention",
        "outbox",
    ]


def test_a_provider_never_confirmed_is_nudged_once_after_the_period(slack, fake, clock):
    clock.advance(PERIOD - timedelta(minutes=1))
    slack.app.scheduler.tick()
    assert nudges(fake) == []

    clock.advance(timedelta(minutes=1))
    slack.app.scheduler.tick()
    [nudge] = nudges(fake)
    assert nudge["text"].startswith(NUDGE)
    shown = str(nudge["blocks"])
    for fact in (
        "*Services*: CV and job applications, Interview practice",
        "*Areas*: NW1, NW5",
        "*Ages*: any age",
        "*Languages*: any",
        "*Eligibility*: no conditions given",
        "*Capacity*: open",
        "Is this still right?",
        f"tell the coordinators what to change in <#{COORD_CHANNEL}>",
    ):
        assert fact in shown, fact
    assert buttons(nudge) == ["Details are right"]
    # Every provider is nudged in its own channel, and only there.
    assert len(nudges(fake, ESOL_CHANNEL)) == 1
    assert "*Ages*: 18+" in str(nudges(fake, ESOL_CHANNEL)[0]["blocks"])

    slack.app.scheduler.tick()
    clock.advance(timedelta(days=1))
    slack.app.scheduler.tick()
    assert len(nudges(fake)) == 1


def test_a_channel_member_confirms_in_one_click_and_the_period_starts_again(slack, fake, clock, db):
    clock.advance(PERIOD)
    slack.app.scheduler.tick()
    [nudge] = nudges(fake)

    clock.advance(timedelta(days=1))  # Wednesday 24 February 2027
    slack.click_button(CV_STAFF, nudge, CV_CHANNEL, "Details are right")

    [updated] = nudges(fake)
    assert updated["ts"] == nudge["ts"]  # in place
    assert f"Confirmed by <@{CV_STAFF}> on Wed 24 Feb 2027" in str(updated["blocks"])
    assert buttons(updated) == []
    assert "is confirmed as right" in fake.ephemerals(CV_STAFF)[-1]["text"]
    assert provider_row(db)["confirmed_by"] == CV_STAFF
    assert confirmations(db) == [("cv-clinic", CV_STAFF)]

    # A colleague pressing the same (stale) button confirms nothing twice.
    slack.click_button(CV_STAFF2, nudge, CV_CHANNEL, "Details are right")
    assert f"already confirmed by <@{CV_STAFF}>" in fake.ephemerals(CV_STAFF2)[-1]["text"]
    assert confirmations(db) == [("cv-clinic", CV_STAFF)]

    # The next nudge is a whole period after the confirmation.
    clock.advance(PERIOD - timedelta(minutes=1))
    slack.app.scheduler.tick()
    assert len(nudges(fake)) == 1
    clock.advance(timedelta(minutes=1))
    slack.app.scheduler.tick()
    assert len(nudges(fake)) == 2
    assert buttons(nudges(fake)[-1]) == ["Details are right"]


def test_someone_outside_the_providers_channel_cannot_confirm_it(slack, fake, clock, db):
    clock.advance(PERIOD)
    slack.app.scheduler.tick()
    [nudge] = nudges(fake)

    slack.click_button(OUTSIDER, nudge, CV_CHANNEL, "Details are right")

    refusal = fake.ephemerals(OUTSIDER)[-1]["text"]
    assert "Only Northside CV Clinic's staff" in refusal and "Nothing was changed" in refusal
    assert provider_row(db)["confirmed_at"] is None
    assert confirmations(db) == []
    assert buttons(nudges(fake)[0]) == ["Details are right"]
    assert fake.calls_to("chat.update") == []


def test_coordinators_see_who_is_overdue_and_since_when(slack, fake, clock):
    slack.open_home(COORDINATOR)
    assert "Overdue for confirmation" not in str(fake.home(COORDINATOR))

    clock.advance(PERIOD)  # Tuesday 23 February 2027
    slack.app.scheduler.tick()
    slack.open_home(COORDINATOR)
    home = str(fake.home(COORDINATOR))
    assert "*Overdue for confirmation* (entries are confirmed every 90d)" in home
    assert "*Northside CV Clinic*: due since Tue 23 Feb 2027 · never confirmed · asked" in home
    assert "*Riverside ESOL Hub*: due since" in home

    slack.click_button(CV_STAFF, nudges(fake)[0], CV_CHANNEL, "Details are right")
    slack.open_home(COORDINATOR)
    home = str(fake.home(COORDINATOR))
    assert "*Northside CV Clinic*: due since" not in home
    assert "*Riverside ESOL Hub*: due since" in home


def test_staff_confirm_from_their_queue_in_app_home_and_the_open_nudge_says_so(
    slack, fake, clock, db
):
    slack.open_home(CV_STAFF)
    home = fake.home(CV_STAFF)
    assert "Details never confirmed" in str(home)
    assert "Details are right" in buttons({"blocks": home["blocks"]})

    clock.advance(PERIOD)
    slack.app.scheduler.tick()
    [nudge] = nudges(fake)
    slack.open_home(CV_STAFF)
    button = next(
        element
        for block in fake.home(CV_STAFF)["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id") == "directory.confirm_details"
    )
    slack.click(CV_STAFF, button["action_id"], value=button["value"], home=True)

    assert "Details confirmed Tue 23 Feb 2027" in str(fake.home(CV_STAFF))
    [updated] = nudges(fake)
    assert updated["ts"] == nudge["ts"] and buttons(updated) == []
    assert f"Confirmed by <@{CV_STAFF}> on Tue 23 Feb 2027" in str(updated["blocks"])
    assert confirmations(db) == [("cv-clinic", CV_STAFF)]


@pytest.mark.parametrize(
    "network", [parse_network(NETWORK_YAML + "directory:\n  confirm_every: 30d\n")]
)
def test_the_network_file_sets_how_often_entries_are_confirmed(slack, fake, clock):
    clock.advance(timedelta(days=29))
    slack.app.scheduler.tick()
    assert nudges(fake) == []
    # Day 30 is Christmas Day and then come the bank holidays: nudges wait for working time.
    clock.advance(timedelta(days=6))  # Wednesday 30 December
    slack.app.scheduler.tick()
    assert len(nudges(fake)) == 1
    slack.open_home(COORDINATOR)
    assert "confirmed every 30d" in str(fake.home(COORDINATOR))


def test_nudges_wait_for_working_hours(slack, fake, clock):
    from datetime import UTC, datetime

    clock._now = datetime(2027, 3, 6, 10, 0, tzinfo=UTC)  # a Saturday, well past the period
    slack.app.scheduler.tick()
    assert nudges(fake) == []
    clock._now = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # Monday morning
    slack.app.scheduler.tick()
    assert nudges(fake) != []
