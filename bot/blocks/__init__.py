"""Block Kit from pure functions: data in, ``Message`` or view dict out.

Built with ``slack_sdk.models`` so Slack's limits are checked as they are built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import Block as SlackBlock
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

SECTION_TEXT = 3000  # Slack's limit on a section's text


@dataclass(frozen=True)
class Message:
    """A message: the text fallback (notifications, screen readers) and its blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def render(blocks: list[SlackBlock]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def packed_sections(lines: list[str], *, title: str = "") -> list[SectionBlock]:
    """Lines in as few sections as hold them, never cutting a line: long lists stay whole."""
    sections: list[SectionBlock] = []
    chunk = f"{title}\n" if title else ""
    for line in lines:
        line = line if len(line) < SECTION_TEXT else line[: SECTION_TEXT - 2] + "…"
        if chunk and len(chunk) + len(line) + 1 > SECTION_TEXT:
            sections.append(SectionBlock(text=MarkdownTextObject(text=chunk.rstrip("\n"))))
            chunk = ""
        chunk += line + "\n"
    if chunk.strip():
        sections.append(SectionBlock(text=MarkdownTextObject(text=chunk.rstrip("\n"))))
    return sections
