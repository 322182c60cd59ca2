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


def refer(slack, user: str = ADVISER, destination: str = "network", **changes):
    """/handover, fill the form, press Next, then Send where ``destination`` says.

    Returns the answer that matters: the form's inline errors, or what Send answered.
    """
    slack.command(user, "")
    answers = {**GOOD_REFERRAL, **changes}
    first = slack.answer(slack.submit(user, answers))
    if first.get("response_action") == "errors":
        return first
    assert first["view"]["callback_id"] == "handover.choose", first
    return slack.answer(slack.submit(user, {"destination": destination}))


def last_card(fake, channel: str) -> dict:
    messages = fake.messages(channel)
    assert messages, f"no card in {channel}"
    return messages[-1]


def texts(messages) -> list[str]:
    return [m.get("text", "") for m in messages]
