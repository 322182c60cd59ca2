"""State that travels through Slack (button values, private_metadata), typed and parsed once.

Nothing read here is trusted: it only says which handover a click is about;
the rights and the state are checked against the database.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.errors import DomainError


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
