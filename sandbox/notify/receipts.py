"""Delivery receipts: Notify's callback, a JSON POST to the service's URL with its bearer token.

Notify calls the URL the service set up with ``Authorization: Bearer <token>`` and retries
on a 5xx or 429 later (minutes later); the stand-in POSTs once and reports what the bot
answered, so a test can see both the receipt and the bot's reply.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

# Notify gives a service's callback this long to answer.
CALLBACK_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Callback:
    url: str
    bearer_token: str


def post_receipt(callback: Callback, payload: dict) -> tuple[int | None, str | None]:
    """POST one receipt; (the HTTP status the bot answered, or None and why not)."""
    request = urllib.request.Request(
        callback.url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {callback.bearer_token}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT_SECONDS) as response:
            return response.status, None
    except urllib.error.HTTPError as refused:
        return refused.code, None
    except (urllib.error.URLError, OSError) as unreachable:
        # Only the kind of fault: the message could name the bot's host, never a resident.
        return None, type(unreachable).__name__
