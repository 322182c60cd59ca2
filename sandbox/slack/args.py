"""Reading Web API arguments, which arrive as JSON values or as form-encoded strings."""

from __future__ import annotations

from .errors import SlackError

_TRUE_STRINGS = {"1", "true", "yes"}


def text_arg(args: dict, key: str) -> str:
    """A string argument, '' when absent (slack_sdk drops None values before sending)."""
    value = args.get(key)
    return value if isinstance(value, str) else ""


def bool_arg(args: dict, key: str) -> bool:
    value = args.get(key)
    if isinstance(value, str):
        return value.strip().lower() in _TRUE_STRINGS
    return bool(value)


def int_arg(args: dict, key: str, *, default: int, error: str) -> int:
    value = args.get(key)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SlackError(error) from None


def list_arg(args: dict, key: str) -> list[str]:
    """A list argument, which form-encoded clients send comma-separated."""
    value = args.get(key)
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


def is_missing(args: dict, key: str) -> bool:
    return args.get(key) in (None, "")
