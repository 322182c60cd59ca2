"""Small text helpers the import's parts share: clean words from an export's values, names
compared without case or spacing, provider ids from names, and UK postcode districts."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from bot.text import clip

_TEXT_LIMIT = 300

# Every geographic UK postcode area: a service area of letters alone must be one of these.
_POSTCODE_AREAS = frozenset(
    """AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN
    DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY
    L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM
    S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN
    WR WS WV YO ZE""".split()  # noqa: SIM905
)
_DISTRICT = re.compile(r"^([A-Z]{1,2})(\d[A-Z\d]?)?$")
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)\s*\d[A-Z]{2}$")


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return " ".join(value.split()) or None
    return None


def _plain(value: Any) -> str | None:
    """Words without HTML or Markdown emphasis, on one line."""
    text = _text(value) if not isinstance(value, str) else value
    if not text:
        return None
    text = re.sub(r"<br\s*/?>|</p>|</li>", " ", text, flags=re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    return " ".join(text.split()) or None


def _clip(text: str | None) -> str | None:
    return clip(text, _TEXT_LIMIT) if text else None


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _unique(items: Iterable[Any], key=None) -> list:
    seen: set = set()
    out = []
    for item in items:
        if item is None or item == "":
            continue
        mark = key(item) if key else item
        if mark not in seen:
            seen.add(mark)
            out.append(item)
    return out


def slugify(name: str) -> str:
    """A provider id from a name: ``St Mary's Job Club`` -> ``st-marys-job-club``."""
    text = str(name).replace("&", " and ").replace("'", "").replace("\u2019", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:60].rstrip("-")


def _district(text: str) -> str | None:
    """``nw5`` -> NW5, ``NW5 2AB`` -> NW5 (its district), ``NW`` -> NW; else None."""
    compact = text.strip().upper()
    full = _POSTCODE.match(compact)
    if full:
        compact = full.group(1)
    compact = compact.replace(" ", "")
    match = _DISTRICT.match(compact)
    if not match or match.group(1) not in _POSTCODE_AREAS:
        return None
    return compact
