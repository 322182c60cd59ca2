"""Repeated declines of one kind become a suggestion to correct the directory."""

from datetime import timedelta

from tests.network import COORD_CHANNEL, CV_CHANNEL, CV_STAFF
from tests.scenarios.helpers import last_card, refer


def decline_latest(slack, fake, reason="out_of_area"):
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Decline")
    slack.submit(CV_STAFF, {"reason": reason, "reason_note": ""})


def suggestions(fake) -> list[str]:
    return [m["text"] for m in fake.messages(COORD_CHANNEL) if ":bulb:" in m["text"]]


def test_three_out_of_area_declines_suggest_correcting_the_areas_once(slack, fake, clock):
    for district in ("NW1", "NW5", "NW1"):
        refer(slack, district=district)
        decline_latest(slack, fake)
        clock.advance(timedelta(hours=1))
    (hint,) = suggestions(fake)
    assert "Northside CV Clinic" in hint and "3 handovers" in hint and "out of area" in hint
    assert "NW1, NW5" in hint and "`areas` for `cv-clinic`" in hint
    refer(slack, district="NW1")
    decline_latest(slack, fake)
    assert len(suggestions(fake)) == 1  # once per 30 days, not at every decline


def test_other_reasons_and_old_declines_teach_nothing(slack, fake, clock):
    for reason in ("at_capacity", "at_capacity", "service_not_offered"):
        refer(slack)
        decline_latest(slack, fake, reason)
    refer(slack)
    decline_latest(slack, fake, "not_eligible")
    refer(slack)
    decline_latest(slack, fake, "not_eligible")
    clock.advance(timedelta(days=31))
    refer(slack)
    decline_latest(slack, fake, "not_eligible")  # the first two are too old to count
    assert suggestions(fake) == []
