"""State that travels through Slack (button values, private_metadata), typed and parsed once.

Nothing read here is trusted: it only says which handover a click is about;
the rights and the state are checked against the database.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from bot.errors import DomainError
from bot.referral import Referral


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def load(cls, raw: str | None):
        try:
            return cls.model_validate_json(raw or "")
        except ValidationError:
            raise DomainError(
                "That button or form is out of date or damaged. Nothing was changed."
            ) from None


class CardRef(_Payload):
    """A button on a provider's card (or a DM): which handover, and which provider's card."""

    h: int
    p: str | None = None


class ModalMeta(_Payload):
    """private_metadata of the accept/decline/outcome modals."""

    h: int
    p: str | None = None


_REFERRAL = TypeAdapter(Referral)


def dump_referral(referral: Referral) -> str:
    """The checked referral carried from the form to the 'where it goes' step.

    It rides in the modal's private_metadata, which Slack keeps with the view and sends
    back only to this app; nothing is stored until the adviser presses Send.
    """
    return _REFERRAL.dump_json(referral).decode()


def load_referral(raw: str | None) -> Referral:
    try:
        return _REFERRAL.validate_json(raw or "")
    except ValidationError:
        raise DomainError(
            "That form is out of date or damaged: start again with /handover."
        ) from None
