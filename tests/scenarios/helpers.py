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


def refer(
    slack, user: str = ADVISER, destination: str = "network", duplicate: str = "anyway", **changes
):
    """/handover, fill the form, press Next, then Send where ``destination`` says.

    When the resident already has an open handover the step warns of it; ``duplicate`` is
    the adviser's choice then: "anyway" (send it, for another need, as most scenarios that
    refer one resident twice mean) or "stop".

    Returns the answer that matters: the form's inline errors, or what Send answered.
    """
    slack.command(user, "")
    answers = {**GOOD_REFERRAL, **changes}
    first = slack.answer(slack.submit(user, answers))
    if first.get("response_action") == "errors":
        return first
    assert first["view"]["callback_id"] == "handover.choose", first
    choice = {"destination": destination}
    if warned := duplicate_choice(first["view"], duplicate):
        choice["duplicate"] = warned
    return slack.answer(slack.submit(user, choice))


def duplicate_choice(view: dict, starting: str) -> str | None:
    """The value of the duplicate warning's option that starts with ``starting``, if warned."""
    for block in view.get("blocks", []):
        if block.get("block_id") == "duplicate":
            options = block["element"]["options"]
            return next(o["value"] for o in options if o["value"].startswith(starting))
    return None


def last_card(fake, channel: str) -> dict:
    messages = fake.messages(channel)
    assert messages, f"no card in {channel}"
    return messages[-1]


def texts(messages) -> list[str]:
    return [m.get("text", "") for m in messages]
