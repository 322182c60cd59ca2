"""What advisers and workers read about the messages sent to residents (never the message
itself, nor the number or address)."""

from __future__ import annotations

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.blocks import Message, render

WHAT = {"sms": "text message", "email": "e-mail"}
CHECK = {"sms": "check the number with them", "email": "check the address with them"}
KIND = {"accepted": "saying who will contact them", "check_in": "checking in"}


def _message(text: str) -> Message:
    text = " ".join(text.split())
    return Message(text=text, blocks=render([SectionBlock(text=MarkdownTextObject(text=text))]))


def not_delivered(*, ref: str, channel: str, kind: str) -> Message:
    """To the adviser, and on the card's thread: Notify could not deliver it."""
    what = WHAT.get(channel, "message")
    return _message(
        f":warning: The {what} to the resident for *{ref}* ({KIND.get(kind, 'about it')}) "
        f"could not be delivered: {CHECK.get(channel, 'check their details with them')}."
    )


def not_sent(*, ref: str, channel: str, kind: str, reason: str) -> Message:
    """To the adviser: Notify would not take it at all (it will not be tried again)."""
    what = WHAT.get(channel, "message")
    return _message(
        f":warning: The {what} to the resident for *{ref}* ({KIND.get(kind, 'about it')}) "
        f"could not be sent: GOV.UK Notify said “{reason}”. The handover itself is safe; "
        f"{CHECK.get(channel, 'check their details with them')} and tell them yourself."
    )
