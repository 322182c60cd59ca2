"""``POST /notify/callback``: GOV.UK Notify's delivery receipts for residents' messages.

Notify sends each receipt with ``Authorization: Bearer <NOTIFY_CALLBACK_TOKEN>`` (the
token set on the service's callback page); anything else is a 401, compared in constant
time. A body that is not a receipt is a 400; neither says more than that, and the log line
never holds the body (it names the resident's number or address).
"""

from __future__ import annotations

import hmac
import json
import logging

from bot.residents.receipts import BadReceipt

log = logging.getLogger(__name__)

PATH = "/notify/callback"
MAX_BODY = 64 * 1024  # a receipt is a few hundred bytes


def _answer(start_response, status: str, body: dict, headers=()):
    start_response(status, [("Content-Type", "application/json"), *headers])
    return [json.dumps(body).encode()]


def receive(environ, start_response, bot):
    token = getattr(bot, "notify_callback_token", None) if bot is not None else None
    given = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = given.partition(" ")
    if (
        not token
        or scheme.lower() != "bearer"
        or not hmac.compare_digest(value.strip().encode(), token.encode())
    ):
        log.warning("notify callback refused: no valid bearer token")
        return _answer(
            start_response,
            "401 Unauthorized",
            {"ok": False, "error": "unauthorized"},
            [("WWW-Authenticate", "Bearer")],
        )
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if length < 0 or length > MAX_BODY:
        return _answer(start_response, "400 Bad Request", {"ok": False, "error": "bad_length"})
    body = environ["wsgi.input"].read(length) if length else b""
    try:
        known = bot.receipts.receive(body)
    except BadReceipt as problem:
        log.warning("notify callback refused: %s", problem)
        return _answer(start_response, "400 Bad Request", {"ok": False, "error": "bad_receipt"})
    return _answer(start_response, "200 OK", {"ok": True, "known": known})
