"""Logging for the bot and the sandbox: one set-up, and nothing personal or secret in it.

``configure_logging`` puts a handler on the root logger (the human format by default, one
JSON object per line with ``json=True`` or ``LOG_FORMAT=json``) and a ``Redactor`` on every
root handler. The redactor rewrites each record before it is written: Slack tokens, signing
secrets, Fernet keys, ``Bearer`` credentials, e-mail addresses, UK phone numbers and the
values of personal keys (``name``, ``phone``, ``email``, ``access_needs``, ``context``) become
``[redacted]``, in the message, its arguments, ``extra`` fields and tracebacks. Slack's own
libraries dump whole request and response bodies at DEBUG; for their records the free-text
fields of those bodies (``text``, ``value``, ``private_metadata``…) go too, since a message
to the worker who accepts names the resident in its text.
"""

from __future__ import annotations

import json as jsonlib
import logging
import os
import re
import sys
import time
from collections.abc import Iterable
from typing import IO, Any

REDACTED = "[redacted]"
HUMAN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Keys whose values are a resident's personal details wherever they are logged.
PERSONAL_KEY = r"(?:\w+_)?(?:name|phone|email|access_needs|context)"
# Keys of Slack payloads that carry free text someone typed or the bot wrote about a resident.
SLACK_TEXT_KEY = r"(?:text|value|initial_value|private_metadata|alt_text|fallback|pretext)"
SLACK_LOGGERS = ("slack_sdk", "slack_bolt", "slack")

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Slack tokens: bot, user, app-level, refresh and rotating ones.
    (re.compile(r"\b(?:xox[abposre]|xapp|xoxe\.xox[bp])-[A-Za-z0-9-]+"), REDACTED),
    (re.compile(r"\bxoxe[.-][A-Za-z0-9.-]+"), REDACTED),
    (re.compile(r"(?i)\bBearer\s+[^\s\"',;}]+"), f"Bearer {REDACTED}"),
    # Fernet keys (32 bytes, url-safe base64) and tokens (residents' details encrypted).
    (re.compile(r"(?<![\w-])[A-Za-z0-9_-]{43}=(?![\w=-])"), REDACTED),
    (re.compile(r"\bgAAAAA[A-Za-z0-9_-]+=*"), REDACTED),
    # A Slack signing secret is 32 hex digits.
    (re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z])"), REDACTED),
    # E-mail addresses, plain and URL-encoded.
    (re.compile(r"[\w.+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+"), REDACTED),
    # UK phone numbers: 07911 123456, +44 7911 123456, (020) 7946 0018, 0044…; nine or
    # ten digits after the trunk 0 or the country code, spaced, dashed or not.
    (
        re.compile(
            r"(?<![\w+.])(?:(?:\+|%2B|00)44[\s+-]?(?:\(0\)[\s+-]?)?|\(?0)"
            r"\d(?:(?:[\s+-]|\)\s?|%20)?\d){8,9}(?!\d)"
        ),
        REDACTED,
    ),
]


def _key_value(keys: str) -> re.Pattern[str]:
    """``key: "value"``, ``'key': 'value'``, ``\\"key\\": \\"value\\"`` (JSON inside JSON) and
    ``key=value`` (forms, reprs); a nested ``{`` or ``[`` value is handled by ``_nested``."""
    quote = r"(?:\\*[\"'])"
    return re.compile(
        rf"(?P<key>(?<![\w-]){quote}?(?:{keys}){quote}?\s*[:=]\s*)"
        rf"(?P<value>(?P<q>\\*[\"'])(?:(?!(?P=q)).)*?(?P=q)|None|null|[^\s,&;)}}\]\[{{\"']+)",
        re.IGNORECASE,
    )


_PERSONAL_VALUE = _key_value(PERSONAL_KEY)
_SLACK_TEXT_VALUE = _key_value(SLACK_TEXT_KEY)
_PERSONAL_NESTED = re.compile(
    rf"(?<![\w-])(?:\\*[\"'])?{PERSONAL_KEY}(?:\\*[\"'])?\s*:\s*(?=[{{\[])", re.IGNORECASE
)
_PERSONAL_KEY = re.compile(rf"^{PERSONAL_KEY}$", re.IGNORECASE)


def _replace_value(match: re.Match[str]) -> str:
    value, quote = match["value"], match["q"]
    if value in ("None", "null"):
        return match.group(0)
    return f"{match['key']}{quote}{REDACTED}{quote}" if quote else f"{match['key']}{REDACTED}"


def _nested(text: str) -> str:
    """``"name": {"name": {"value": "Sam"}}`` (a view's state): the whole bracketed value."""
    out, position = [], 0
    for match in _PERSONAL_NESTED.finditer(text):
        start = match.end()
        if start < position:
            continue
        depth, end = 0, start
        for end in range(start, len(text)):
            if text[end] in "{[":
                depth += 1
            elif text[end] in "}]":
                depth -= 1
                if depth == 0:
                    break
        out += [text[position:start], f'"{REDACTED}"']
        position = end + 1
    out.append(text[position:])
    return "".join(out)


def redact_text(text: str, *, slack: bool = False, literals: re.Pattern[str] | None = None) -> str:
    """``text`` with secrets and personal details replaced by ``[redacted]``."""
    if "{" in text or "[" in text:
        text = _nested(text)
    text = _PERSONAL_VALUE.sub(_replace_value, text)
    if slack:
        text = _SLACK_TEXT_VALUE.sub(_replace_value, text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    # Last, so that a short secret inside a longer token does not leave the token's tail.
    if literals is not None:
        text = literals.sub(REDACTED, text)
    return text


def redact_value(value: Any, **options) -> Any:
    """A logged argument or ``extra`` field, personal keys' values replaced, texts redacted."""
    if isinstance(value, str):
        return redact_text(value, **options)
    if isinstance(value, dict):
        return {
            k: REDACTED
            if isinstance(k, str) and _PERSONAL_KEY.match(k) and v is not None
            else redact_value(v, **options)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set):
        return type(value)(redact_value(v, **options) for v in value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact_text(str(value), **options)


# The attributes every LogRecord has: anything else came in through ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class Redactor(logging.Filter):
    """Rewrites a record so that nothing personal or secret is written. It runs only for
    records a handler will emit (handlers filter after their level check), and once per
    record however many handlers share it."""

    def __init__(self) -> None:
        super().__init__()
        self._literals: re.Pattern[str] | None = None
        self._secrets: set[str] = set()

    def keep_secret(self, *values: str | None) -> None:
        """Values to redact wherever they appear (the settings' tokens, secret and keys),
        whatever their shape."""
        self._secrets.update(v for v in values if v and len(v) >= 6)
        if self._secrets:
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._literals = re.compile("|".join(re.escape(v) for v in ordered))

    def forget_secrets(self) -> None:
        """Only the patterns again (tests that register secrets of their own)."""
        self._secrets, self._literals = set(), None

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        slack = record.name.split(".", 1)[0] in SLACK_LOGGERS
        options = {"slack": slack, "literals": self._literals}
        args = record.args
        if isinstance(args, dict):
            args = redact_value(args, **options)
        elif args:
            args = tuple(
                a if isinstance(a, int | float) else redact_value(a, **options) for a in args
            )
        try:
            message = record.msg % args if args else str(record.msg)
        except (TypeError, ValueError):
            message = f"{record.msg} {args}"
        record.msg, record.args = redact_text(message, **options), None
        for key in vars(record).keys() - _STANDARD:
            value = getattr(record, key)
            if _PERSONAL_KEY.match(key) and value is not None:
                setattr(record, key, REDACTED)
            else:
                setattr(record, key, redact_value(value, **options))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, **options)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, **options)
        record._redacted = True
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in sorted(vars(record).keys() - _STANDARD - {"_redacted"}):
            entry[key] = getattr(record, key)
        if record.exc_info or record.exc_text:
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = record.stack_info
        return jsonlib.dumps(entry, default=str, ensure_ascii=False)


# One redactor for the process, so secrets registered once apply to every handler.
redactor = Redactor()


def keep_secret(*values: str | None) -> None:
    """Redact these exact values (tokens, signing secret, data keys) from every log line."""
    redactor.keep_secret(*values)


class _Handler(logging.StreamHandler):
    """The handler configure_logging installs, so a second call replaces it."""


def configure_logging(
    level: int | str = logging.INFO,
    json: bool | None = None,
    *,
    fmt: str = HUMAN_FORMAT,
    stream: IO[str] | None = None,
    handlers: Iterable[logging.Handler] = (),
) -> logging.Handler | None:
    """Set up the root logger: ``level``, a handler in the human format ``fmt`` (or JSON when
    ``json`` is true, or is None and ``LOG_FORMAT=json``), and the redactor on every root
    handler. Like ``logging.basicConfig``, it adds no handler of its own when something else
    (a test runner) already has one on the root, unless it is given a ``stream``; the
    redactor is installed either way. Returns the handler it added, if any."""
    if json is None:
        json = os.environ.get("LOG_FORMAT", "").strip().lower() == "json"
    root = logging.getLogger()
    root.setLevel(level)
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    added = None
    if stream is not None or not root.handlers:
        added = _Handler(stream if stream is not None else sys.stderr)
        added.setFormatter(JsonFormatter() if json else logging.Formatter(fmt))
        root.addHandler(added)
    for handler in [*root.handlers, *handlers]:
        if redactor not in handler.filters:
            handler.addFilter(redactor)
    return added
