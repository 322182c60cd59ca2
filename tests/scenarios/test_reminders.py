"""Follow-up that never forgets: reminders in working time, once, then escalation.

The clock starts on Wednesday 25 November 2026, 10:00 in London; working hours are
Mon-Fri 09:00-17:00, so a working day is 8 hours.
"""

import threading
from datetime import UTC, datetime

import pytest

from tests.network import (
    ADVISER,
    COORD_CHANNEL,
    COORDINATOR,
    CV_CHANNEL,
    CV_STAFF,
    ESOL_CHANNEL,
    OUTSIDER,
)
from tests.scenarios.helpers import last_card, refer


def at(clock, day: int, hour: int, minute: int = 0) -> None:
    """Move the clock to that November 2026 day and London time (GMT in November)."""
    clock._now = datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def thread_reminders(fake, channel=CV_CHANNEL) -> list[str]:
    # The card, not e.g. the provider's weekly line that Monday morning may bring.
    card = next(m for m in reversed(fake.messages(channel)) if m["text"].startswith("Handover "))
    return [m["text"] for m in fake.thread(channel, card["ts"]) if "<!channel>" in m["text"]]


def escalations(fake) -> list[str]:
    return [m["text"] for m in fake.messages(COORD_CHANNEL) if "HO-0001" in m["text"]]


def test_an_unaccepted_handover_is_reminded_once_then_escalated(slack, fake, clock):
    refer(slack)  # Wednesday 10:00
    at(clock, 26, 9, 59)
    slack.app.scheduler.tick()
    assert thread_reminders(fake) == []
    at(clock, 26, 10)  # one working day later
    slack.app.scheduler.tick()
    slack.app.scheduler.tick()  # a second tick, or a second copy of the bot: still once
    (reminder,) = thread_reminders(fake)
    assert "HO-0001" in reminder and "8 working hours" in reminder
    card = last_card(fake, CV_CHANNEL)
    reminder_message = next(
        m for m in fake.thread(CV_CHANNEL, card["ts"]) if "<!channel>" in m["text"]
    )
    assert "Accept" in str(reminder_message["blocks"])  # the card's buttons at hand

    at(clock, 27, 10)  # two working days after it was routed
    slack.app.scheduler.tick()
    (escalated,) = escalations(fake)
    assert "not accepted in time" in escalated
    coordinators_card = fake.messages(COORD_CHANNEL)[-1]
    assert "Route to…" in str(coordinators_card["blocks"]) and "Chase" in str(coordinators_card)
    assert "coordinators are on it" in fake.dms(ADVISER)[-1]["text"]
    slack.app.scheduler.tick()
    assert len(escalations(fake)) == 1


def test_reminders_stop_the_moment_the_handover_moves_on(slack, fake, clock):
    refer(slack)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-12-02"})
    at(clock, 27, 12)
    slack.app.scheduler.tick()
    assert thread_reminders(fake) == [] and escalations(fake) == []


def test_first_contact_nudges_the_worker_can_snooze_then_escalation(slack, fake, clock):
    refer(slack)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-11-27"})  # promised by Friday
    at(clock, 27, 16)
    slack.app.scheduler.tick()
    nudges = [m for m in fake.dms(CV_STAFF) if "promised first contact" in m["text"]]
    assert nudges == []
    at(clock, 30, 9)  # Monday morning: Friday has passed
    slack.app.scheduler.tick()
    nudge = [m for m in fake.dms(CV_STAFF) if "promised first contact" in m["text"]][-1]
    assert "Fri 27 Nov 2026" in nudge["text"]
    snooze = next(
        e for b in nudge["blocks"] if b["type"] == "actions" for e in b["elements"]
        if e["text"]["text"] == "Snooze 1 day"
    )  # fmt: skip
    slack.click(CV_STAFF, snooze["action_id"], value=snooze["value"], message=nudge,
                channel=fake.dm_channel(CV_STAFF))  # fmt: skip
    assert "next reminder comes Tue 1 Dec 09:00" in fake.dms(CV_STAFF)[-1]["text"]
    at(clock, 30, 16)
    slack.app.scheduler.tick()
    assert len([m for m in fake.dms(CV_STAFF) if "promised first contact" in m["text"]]) == 1
    clock._now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    slack.app.scheduler.tick()
    second = [m for m in fake.dms(CV_STAFF) if "promised first contact" in m["text"]][-1]
    assert second["text"].startswith("Second reminder")
    clock._now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    slack.app.scheduler.tick()
    (escalated,) = escalations(fake)
    assert "no first contact recorded" in escalated


def test_only_the_worker_or_their_team_can_snooze(slack, fake, clock):
    refer(slack)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-11-27"})
    at(clock, 30, 9)
    slack.app.scheduler.tick()
    nudge = [m for m in fake.dms(CV_STAFF) if "promised first contact" in m["text"]][-1]
    snooze = next(e for b in nudge["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["text"]["text"] == "Snooze 3 days")  # fmt: skip
    slack.click(OUTSIDER, snooze["action_id"], value=snooze["value"], home=True)
    assert "Only HO-0001's named worker or their team" in fake.dms(OUTSIDER)[-1]["text"]


def test_a_night_away_is_caught_up_in_order_at_the_next_working_start(slack, fake, clock):
    refer(slack)  # Wednesday 10:00; the bot is then down until Saturday night
    at(clock, 28, 23)
    slack.app.scheduler.tick()
    assert thread_reminders(fake) == []  # quiet outside working hours
    at(clock, 30, 9)  # Monday 09:00: the reminder, then the escalation, once each
    slack.app.scheduler.tick()
    assert len(thread_reminders(fake)) == 1 and len(escalations(fake)) == 1
    sent = [c.args.get("text", "") for c in fake.calls_to("chat.postMessage")]
    reminded = next(i for i, t in enumerate(sent) if "<!channel>" in t)
    escalated = next(i for i, t in enumerate(sent) if "not accepted in time" in t)
    assert reminded < escalated


def test_the_outcome_is_asked_for_after_first_contact(slack, fake, clock):
    refer(slack)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-11-27"})
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Made contact")
    clock._now = datetime(2026, 12, 15, 9, 59, tzinfo=UTC)  # 14 working days on, nearly
    slack.app.scheduler.tick()
    assert not [m for m in fake.dms(CV_STAFF) if "What happened?" in m["text"]]
    clock._now = datetime(2026, 12, 15, 10, tzinfo=UTC)
    slack.app.scheduler.tick()
    asked = [m for m in fake.dms(CV_STAFF) if "What happened?" in m["text"]]
    assert len(asked) == 1 and "Record outcome" in str(asked[0]["blocks"])


def test_a_provider_may_have_its_own_reminder_times(slack, fake, clock):
    refer(slack, needs=["esol"], age_band="30-49")  # Riverside ESOL Hub: accept within 2h
    at(clock, 25, 12)
    slack.app.scheduler.tick()
    assert len(thread_reminders(fake, ESOL_CHANNEL)) == 1


def test_a_coordinator_chases_from_the_escalation_and_others_cannot(slack, fake, clock):
    refer(slack)
    at(clock, 27, 10)
    slack.app.scheduler.tick()
    card = fake.messages(COORD_CHANNEL)[-1]
    chase = next(e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"])
    slack.click(OUTSIDER, chase["action_id"], value=chase["value"], message=card,
                channel=COORD_CHANNEL)  # fmt: skip
    assert "Only the network's coordinators can chase" in fake.ephemerals(OUTSIDER)[-1]["text"]
    before = len(thread_reminders(fake))
    slack.click(COORDINATOR, chase["action_id"], value=chase["value"], message=card,
                channel=COORD_CHANNEL)  # fmt: skip
    assert len(thread_reminders(fake)) == before + 1


def test_two_schedulers_ticking_at_once_send_each_reminder_once(slack, fake, clock):
    for _ in range(5):
        refer(slack)
    at(clock, 26, 10)
    barrier = threading.Barrier(2)

    def tick():
        barrier.wait()
        slack.app.scheduler.tick()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reminders = [
        c for c in fake.calls_to("chat.postMessage") if "<!channel>" in c.args.get("text", "")
    ]
    refs = sorted(c.args["text"].split()[1] for c in reminders)
    assert refs == sorted(set(refs)) and len(refs) == 5


def test_a_crash_while_saying_a_reminder_leaves_it_due_and_it_is_said_once(slack, fake, clock):
    refer(slack)
    at(clock, 26, 10)

    def die(session, reminder):
        raise SystemExit("the process died while saying it")

    with pytest.raises(SystemExit):
        slack.app.bot.chaser.send_due(clock.now(), die)
    assert thread_reminders(fake) == []  # nothing said, and nothing settled either
    slack.app.scheduler.tick()  # the bot again: the reminder is still due
    slack.app.scheduler.tick()
    assert len(thread_reminders(fake)) == 1
