"""The door in front of Bolt: a request is Slack's, and readable, before anything parses it.

Bolt decodes the body and parses it (as JSON, or a form whose ``payload`` is JSON) before
its own signature check, so a body that is not what it says (bytes that are not UTF-8,
JSON that is not JSON) escaped it as a 500 with a traceback, signed or not. Here the
signature is checked first, over the raw bytes as Slack signs them
(``v0:timestamp:body``, HMAC-SHA256, a timestamp at most five minutes old); only a
signed request is then decoded and parsed. Whatever is wrong is answered with a 4xx and
one WARNING line that names the problem, never the body (it may hold a resident's
details).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from slack_bolt import BoltRequest
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request import payload_utils

log = logging.getLogger(__name__)

# Slack's biggest requests are modal submissions; even a full one is far below this.
MAX_BODY = 1024 * 1024
MAX_AGE = 5 * 60  # seconds: Slack's own rule for a request's timestamp
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str  # for the log: what was wrong, never what was sent

    @property
    def status_line(self) -> str:
        return {
            400: "400 Bad Request",
            401: "401 Unauthorized",
            413: "413 Content Too Large",
            415: "415 Unsupported Media Type",
        }[self.status]


def media_type(content_type: str) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``."""
    return content_type.split(";", 1)[0].strip().lower()


def body_length(environ) -> int | Refusal:
    raw = environ.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw)
    except ValueError:
        return Refusal(400, "a Content-Length that is not a number")
    if length < 0:
        return Refusal(400, "a negative Content-Length")
    if length > MAX_BODY:
        return Refusal(413, f"a body of {length} bytes (at most {MAX_BODY})")
    return length


def signed(body: bytes, headers, secret: str | None, now: Callable[[], float]) -> Refusal | None:
    """None when Slack signed exactly these bytes, recently; else why not."""
    timestamp = headers.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    signature = headers.get("HTTP_X_SLACK_SIGNATURE")
    if not secret:
        return Refusal(401, "a request, and no signing secret to check it with")
    if not timestamp or not signature:
        return Refusal(401, "an unsigned request")
    if not timestamp.isdigit():
        return Refusal(401, "a request whose timestamp is not a number")
    if abs(now() - int(timestamp)) > MAX_AGE:
        return Refusal(401, "a request whose timestamp is more than five minutes off")
    # Over the raw bytes: slack_sdk's SignatureVerifier decodes the body as UTF-8 first, and
    # a body that is not UTF-8 must be refused as unsigned-or-unreadable, not crash.
    basestring = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), basestring, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return Refusal(401, "a request with a wrong signature")
    return None


def readable(body: bytes, content_type: str) -> Refusal | None:
    """None when Bolt can parse this body the way its Content-Type says; else why not."""
    kind = media_type(content_type)
    if not body:
        return Refusal(400, "an empty body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "a body that is not UTF-8")
    if kind not in (JSON, FORM):
        return Refusal(415, "a body of a type Slack does not send")
    if kind == JSON or text.startswith("{"):  # Bolt reads any body starting so as JSON
        parsed = _json_object(text)
        if parsed is None:
            return Refusal(400, "a JSON body that is not a JSON object")
        if parsed.get("type") == "event_callback" and not isinstance(parsed.get("event"), dict):
            return Refusal(400, "an event callback whose event is not an object")
        return None
    payloads = parse_qs(text, keep_blank_values=True).get("payload", [])
    if any(_json_object(payload) is None for payload in payloads):
        return Refusal(400, "an interaction whose payload is not a JSON object")
    return None


def _json_object(text: str) -> dict | None:
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def admit(environ, secret: str | None, now: Callable[[], float] = time.time):
    """The request to hand to Bolt, or why it is refused."""
    length = body_length(environ)
    if isinstance(length, Refusal):
        return length
    body = environ["wsgi.input"].read(length) if length else b""
    refusal = signed(body, environ, secret, now) or readable(body, environ.get("CONTENT_TYPE", ""))
    if refusal is not None:
        return refusal
    try:
        request = BoltRequest(
            body=body.decode("utf-8"),
            query=environ.get("QUERY_STRING", ""),
            headers=WsgiHttpRequest(environ).get_headers(),
        )
        bolt_reads(request.body)
        return request
    except Exception:
        # Bolt reads its context (team, user, channel) from the body as it builds the
        # request, and a field of a shape Slack never sends breaks that reading.
        return Refusal(400, "a payload whose fields have shapes Slack never sends")


# What Bolt reads of every request's body to hand each middleware and listener its
# arguments, before any of the bot's code sees it (a submitted view without a ``type``,
# say, broke the reading of its ``step``).
BOLT_READS = (
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_action,
    payload_utils.to_view,
    payload_utils.to_command,
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_step,
)


def bolt_reads(body: dict) -> None:
    """Read the body as Bolt will; raises where Bolt would."""
    for read in BOLT_READS:
        read(body)


def refuse(refusal: Refusal, start_response) -> list[bytes]:
    log.warning("refused %s: %s", refusal.status, refusal.reason)
    start_response(refusal.status_line, [("Content-Type", "text/plain; charset=utf-8")])
    return [b"Not a Slack request." if refusal.status == 401 else b"Not a readable request."]
