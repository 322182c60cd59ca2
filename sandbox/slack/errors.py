"""The one way a fake method refuses a call."""

from __future__ import annotations


class SlackError(Exception):
    """A refusal, answered as ``{"ok": false, "error": ...}`` the way Slack does.

    ``messages`` become ``response_metadata.messages`` (Slack's "[ERROR] ..." details);
    ``status`` matters only where Slack uses HTTP codes, i.e. on response_url posts.
    """

    def __init__(self, error: str, messages: list[str] | None = None, *, status: int = 200):
        super().__init__(error)
        self.error = error
        self.messages = list(messages or [])
        self.status = status

    def body(self) -> dict:
        body: dict = {"ok": False, "error": self.error}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


def invalid_arguments(*details: str) -> SlackError:
    return SlackError("invalid_arguments", [f"[ERROR] {detail}" for detail in details])
