"""Steps that many scenarios take."""

from __future__ import annotations

from tests.network import ADVISER

GOOD_REFERRAL = {
    "needs": ["cv"],
    "name": "Sam Resident",
    "phone": "07911 123456",
    "email": "",
    "district": "NW1",
    "age_band": "25-29",
    "language": "English",
    "access_needs": "Step-free access please",
    "urgency": "soon",
    "context": "Looking for warehouse work, CV out of date.",
    "organisation": "Kentish Town Job Club",
    "consent": ["yes"],
}


def refer(slack, user: str = ADVISER, **changes):
    """Open the referral modal with /handover and submit it; returns the submission's answer."""
    slack.command(user, "")
    answers = {**GOOD_REFERRAL, **changes}
    return slack.answer(slack.submit(user, answers))


def last_card(fake, channel: str) -> dict:
    messages = fake.messages(channel)
    assert messages, f"no card in {channel}"
    return messages[-1]


def texts(messages) -> list[str]:
    return [m.get("text", "") for m in messages]
