"""Reading what a person entered in a modal, whatever element held it."""

from __future__ import annotations

from typing import Any

from bot.ids import Act
from bot.text import typed


def _element(view: dict, block_id: str) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values") or {}
    block = values.get(block_id) or {}
    element = block.get(Act.INPUT) or next(iter(block.values()), None)
    return element if isinstance(element, dict) else {}


def text(view: dict, block_id: str) -> str:
    element = _element(view, block_id)
    for key in ("value", "selected_date", "selected_conversation"):
        if isinstance(element.get(key), str):
            return typed(element[key])
    option = element.get("selected_option")
    if isinstance(option, dict) and isinstance(option.get("value"), str):
        return typed(option["value"])
    return ""


def choices(view: dict, block_id: str) -> list[str]:
    options = _element(view, block_id).get("selected_options") or []
    if not isinstance(options, list):
        return []
    return [o["value"] for o in options if isinstance(o, dict) and isinstance(o.get("value"), str)]
