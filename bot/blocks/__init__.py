"""Block Kit from pure functions: data in, ``Message`` or view dict out.

Built with ``slack_sdk.models`` so Slack's limits are checked as they are built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import Block as SlackBlock


@dataclass(frozen=True)
class Message:
    """A message: the text fallback (notifications, screen readers) and its blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def render(blocks: list[SlackBlock]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]
