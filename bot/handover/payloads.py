"""State that travels through Slack (button values, private_metadata), typed and parsed once.

Nothing read here is trusted: it only says which handover a click is about;
the rights and the state are checked against the database.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot.errors import DomainError
from bot.handover.referral import Referral


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def load(cls, raw: object):
        try:
            if not isinstance(raw, str | bytes):
                raise ValueError("not text")
            return cls.model_validate_json(raw)
        except (ValidationError, ValueError):
            raise DomainError(
                "That button or form is out of date or damaged. Nothing was changed."
            ) from None


# A handover's id as stored (a 32-bit integer column), and a provider's id or a small word.
HandoverId = Annotated[int, Field(ge=1, le=2**31 - 1, strict=True)]
Word = Annotated[str, Field(max_length=64)]


class CardRef(_Payload):
    """A button on a provider's card (or a DM): which handover, and which provider's card."""

    h: HandoverId
    p: Word | None = None


class ModalMeta(_Payload):
    """private_metadata of the accept/decline/outcome modals."""

    h: HandoverId
    p: Word | None = None


_REFERRAL = TypeAdapter(Referral)


def dump_referral(referral: Referral) -> str:
    """The checked referral carried from the form to the 'where it goes' step.

    It rides in the modal's private_metadata, which Slack keeps with the view and sends
    back only to this app; nothing is stored until the adviser presses Send.
    """
    return _REFERRAL.dump_json(referral).decode()


def load_referral(raw: object) -> Referral:
    try:
        if not isinstance(raw, str | bytes):
            raise ValueError("not text")
        return _REFERRAL.validate_json(raw)
    except (ValidationError, ValueError):
        raise DomainError(
            "That form is out of date or damaged: start again with /handover."
        ) from None
