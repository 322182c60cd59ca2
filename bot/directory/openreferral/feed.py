"""Reading an Open Referral UK / HSDS export: what the import uses of each service.

Two shapes of export are read (see docs/hsds-import.md):

- the Open Referral UK API style: a list of service objects, or a page of them
  (``{"content": [...]}``, or ``"contents"`` as in HSDS 3), each with a nested
  ``organization``, ``service_areas``, ``eligibilitys``, ``languages``, ``regular_schedules``
  and ``service_taxonomys`` (each with a nested ``taxonomy``: ``id``, ``name``, ``vocabulary``);
  HSDS 3's ``attributes`` / ``taxonomy_term``, ``schedules`` and service-level
  ``minimum_age`` / ``maximum_age`` are read too;
- the HSDS "tabular" model as one JSON document: top-level arrays ``organizations``,
  ``services``, ``service_areas``, ``service_at_locations``, ``eligibilitys``, ``languages``,
  ``regular_schedules``, ``service_taxonomys`` and ``taxonomy_terms`` linked by ids.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.directory.openreferral.errors import HsdsError
from bot.directory.openreferral.text import _plain, _text, _unique

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_CODES = {
    **{code: n for n, code in enumerate(("MO", "TU", "WE", "TH", "FR", "SA", "SU"))},
    **{day.upper(): n for n, day in enumerate(_DAYS)},
    **{
        name: n
        for n, name in enumerate(
            ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
        )
    },
}
_TIME = re.compile(r"^(\d{1,2})(?::?(\d{2}))(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
# Language codes an export may give instead of a name (ISO 639-1 and -3), for the
# languages most asked for in London; anything else is kept as written.
_LANGUAGE_CODES = {
    "en": "English",
    "eng": "English",
    "ar": "Arabic",
    "ara": "Arabic",
    "bn": "Bengali",
    "ben": "Bengali",
    "so": "Somali",
    "som": "Somali",
    "pl": "Polish",
    "pol": "Polish",
    "ro": "Romanian",
    "ron": "Romanian",
    "ur": "Urdu",
    "urd": "Urdu",
    "tr": "Turkish",
    "tur": "Turkish",
    "pt": "Portuguese",
    "por": "Portuguese",
    "es": "Spanish",
    "spa": "Spanish",
    "fr": "French",
    "fra": "French",
    "ti": "Tigrinya",
    "tir": "Tigrinya",
    "ps": "Pashto",
    "pus": "Pashto",
    "fa": "Persian",
    "fas": "Persian",
    "uk": "Ukrainian",
    "ukr": "Ukrainian",
    "ru": "Russian",
    "rus": "Russian",
    "zh": "Chinese",
    "zho": "Chinese",
    "bfi": "British Sign Language",
}


@dataclass(frozen=True)
class Term:
    """A taxonomy term a service is tagged with."""

    id: str | None = None
    name: str | None = None
    code: str | None = None
    vocabulary: str | None = None

    @property
    def label(self) -> str:
        text = self.name or self.code or self.id or "?"
        return f"{text} ({self.vocabulary})" if self.vocabulary else text


@dataclass(frozen=True)
class Slot:
    """One line of a schedule: days (0 = Monday) and times, or only words."""

    days: tuple[int, ...] = ()
    opens: str | None = None
    closes: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Service:
    """What the import uses of one HSDS service."""

    id: str
    name: str
    organization_id: str | None
    organization_name: str | None
    organization_description: str | None = None
    description: str | None = None
    status: str | None = None
    areas: tuple[str, ...] = ()
    # The widest age range of the service's eligibility: (low, high or None), or None for
    # no age limit.
    ages: tuple[int, int | None] | None = None
    eligibility: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    terms: tuple[Term, ...] = ()
    schedule: tuple[Slot, ...] = ()

    @property
    def active(self) -> bool:
        return self.status is None or self.status.strip().lower() == "active"


@dataclass(frozen=True)
class Export:
    shape: str
    services: tuple[Service, ...]
    notes: tuple[str, ...] = ()


def read_export(text: str, *, source: str = "the export") -> Export:
    """Decode the JSON text of an export and read it (see :func:`parse_export`)."""
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise HsdsError(
            f"{source} is not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from None
    return parse_export(data, source=source)


def parse_export(data: Any, *, source: str = "the export") -> Export:
    """Read decoded JSON in either supported shape; an unknown shape is an HsdsError."""
    notes: list[str] = []
    if isinstance(data, dict) and _is_tabular(data):
        shape = "HSDS tabular shape (arrays linked by ids)"
        raw = _tabular_services(data)
    else:
        shape = "Open Referral UK API shape (services with nested parts)"
        raw = _api_services(data, notes, source=source)
    services = [_service(obj, notes) for obj in raw]
    found = tuple(s for s in services if s is not None)
    if not found:
        raise HsdsError(
            f"{source} holds no services we can read (check it is the export, not an empty page)."
        )
    return Export(shape=shape, services=found, notes=tuple(notes))


_TABLES = {
    "organizations": ("organizations", "organisations", "organization", "organisation"),
    "services": ("services", "service"),
    "service_at_locations": ("service_at_locations", "service_at_location"),
    "service_areas": ("service_areas", "service_area"),
    "eligibilitys": ("eligibilitys", "eligibilities", "eligibility"),
    "languages": ("languages", "language"),
    "schedules": ("regular_schedules", "regular_schedule", "schedules", "schedule"),
    "links": (
        "service_taxonomys",
        "service_taxonomies",
        "service_taxonomy",
        "attributes",
        "attribute",
    ),
    "terms": ("taxonomy_terms", "taxonomy_term", "taxonomys", "taxonomies", "taxonomy"),
    "vocabularies": ("taxonomys", "taxonomies", "taxonomy"),
}
_NESTED = {
    "service_areas": ("service_areas", "service_area", "areas"),
    "eligibilitys": ("eligibilitys", "eligibilities", "eligibility"),
    "languages": ("languages",),
    "schedules": ("regular_schedules", "schedules", "regular_schedule"),
    "links": ("service_taxonomys", "service_taxonomies", "attributes", "taxonomy_terms"),
}


def _is_tabular(data: dict) -> bool:
    if isinstance(data.get("services"), list) and _text(data.get("name")):
        return False  # one organisation with its services nested (HSDS 3 /organizations/{id})
    return any(isinstance(data.get(name), list) for name in (*_TABLES["organizations"], "services"))


def _table(data: dict, kind: str) -> list[dict]:
    for name in _TABLES[kind]:
        rows = data.get(name)
        if isinstance(rows, list):
            return [row for row in rows if isinstance(row, dict)]
    return []


def _nested(obj: dict, kind: str) -> list:
    for name in _NESTED[kind]:
        value = obj.get(name)
        if isinstance(value, list):
            return value
    return []


def _api_services(data: Any, notes: list[str], *, source: str) -> list[dict]:
    if isinstance(data, dict):
        if isinstance(data.get("content"), list) or isinstance(data.get("contents"), list):
            return _page_items(data, notes)
        if isinstance(data.get("organization") or data.get("organisation"), dict):
            return [data]  # one service, as /services/{id} returns it
        if isinstance(data.get("services"), list):
            return _with_organization(data, data["services"])
    if isinstance(data, list):
        items = [item for item in data if isinstance(item, dict)]
        if len(items) < len(data):
            notes.append(f"{len(data) - len(items)} entries of the export are not objects: skipped")
        if items and all(_is_page(item) for item in items):
            return [service for page in items for service in _page_items(page, notes)]
        services: list[dict] = []
        for item in items:
            if isinstance(item.get("services"), list) and "organization" not in item:
                services.extend(_with_organization(item, item["services"]))
            else:
                services.append(item)
        return services
    raise HsdsError(
        f"{source} is not an HSDS export we know: expected a list of services, a page of them "
        'with "content", or a document with "organizations" and "services" arrays.'
    )


def _is_page(item: dict) -> bool:
    return isinstance(item.get("content"), list) or isinstance(item.get("contents"), list)


def _page_items(page: dict, notes: list[str]) -> list[dict]:
    items = page.get("content") if isinstance(page.get("content"), list) else page["contents"]
    total = page.get("total_pages", page.get("totalPages"))
    number = page.get("page_number", page.get("number"))
    if isinstance(total, int) and not isinstance(total, bool) and total > 1:
        where = f"page {number} of {total}" if number is not None else f"one of {total} pages"
        notes.append(
            f"the export is {where} of a paginated API: services on other pages are not included"
        )
    return [item for item in items if isinstance(item, dict)]


def _with_organization(org: dict, services: Iterable[Any]) -> list[dict]:
    summary = {key: org.get(key) for key in ("id", "name", "description")}
    return [{**s, "organization": summary} for s in services if isinstance(s, dict)]


def _tabular_services(data: dict) -> list[dict]:
    """Join the tables into one nested object per service, as the API shape has them."""
    organizations = _table(data, "organizations")
    orgs = {_text(row.get("id")): row for row in organizations if _text(row.get("id"))}
    services = list(_table(data, "services"))
    for org in organizations:  # organisations may carry their services nested
        services.extend(_with_organization(org, org.get("services") or []))
    at_location = {
        _text(row.get("id")): _text(row.get("service_id"))
        for row in _table(data, "service_at_locations")
    }
    term_rows = _table(data, "terms")
    vocab_names: dict[str | None, str | None] = {}
    if any(isinstance(data.get(name), list) for name in ("taxonomy_terms", "taxonomy_term")):
        vocab_names = {
            _text(row.get("id")): _text(row.get("name"))
            for row in _table(data, "vocabularies")
            if _text(row.get("id"))
        }
    terms = {}
    for row in term_rows:
        term_id = _text(row.get("id"))
        if term_id:
            vocabulary = row.get("vocabulary") or row.get("taxonomy")
            if not _text(vocabulary) and row.get("taxonomy_id") in vocab_names:
                vocabulary = vocab_names[row.get("taxonomy_id")]
            terms[term_id] = {**row, "vocabulary": vocabulary}

    linked: dict[str, dict[str, list]] = {}

    def link(kind: str, row: dict) -> None:
        service_id = _text(row.get("service_id"))
        if not service_id and _text(row.get("service_at_location_id")):
            service_id = at_location.get(_text(row.get("service_at_location_id")))
        if not service_id and kind == "links":
            entity = (_text(row.get("link_entity")) or "service").lower()
            service_id = _text(row.get("link_id")) if entity == "service" else None
        if service_id:
            linked.setdefault(service_id, {}).setdefault(kind, []).append(row)

    for kind in ("service_areas", "eligibilitys", "languages", "schedules", "links"):
        for row in _table(data, kind):
            link(kind, row)

    joined = []
    for service in services:
        service_id = _text(service.get("id"))
        extra = linked.get(service_id or "", {})
        obj = dict(service)
        if not isinstance(obj.get("organization"), dict):
            org_id = _text(obj.get("organization_id") or obj.get("organisation_id"))
            if org_id in orgs:
                obj["organization"] = orgs[org_id]
        for kind, rows in extra.items():
            if kind == "links":
                rows = [_resolve_link(row, terms) for row in rows]
            obj[_NESTED[kind][0]] = _nested(service, kind) + rows
        joined.append(obj)
    return joined


def _resolve_link(row: dict, terms: Mapping[str, dict]) -> dict:
    if isinstance(row.get("taxonomy"), dict) or isinstance(row.get("taxonomy_term"), dict):
        return row
    term_id = _text(row.get("taxonomy_id") or row.get("taxonomy_term_id"))
    return {**row, "taxonomy": terms.get(term_id or "", {"id": term_id})}


def _service(obj: dict, notes: list[str]) -> Service | None:
    name = _text(obj.get("name"))
    service_id = _text(obj.get("id")) or name
    if not name:
        notes.append(f"a service with no name (id {service_id or 'none'}) was skipped")
        return None
    org = obj.get("organization") or obj.get("organisation")
    org = org if isinstance(org, dict) else {}
    org_id = _text(org.get("id")) or _text(obj.get("organization_id"))
    if org and not _text(org.get("name")):
        notes.append(f"service {name!r} was not imported: its organisation {org_id} has no name")
        return None
    ages, age_notes = _ages(obj)
    notes.extend(f"service {name!r}: {note}" for note in age_notes)
    eligibility = [_text(obj.get("eligibility_description"))]
    for entry in _nested(obj, "eligibilitys"):
        if isinstance(entry, dict):
            eligibility += [_text(entry.get("eligibility")), _text(entry.get("description"))]
        else:
            eligibility.append(_text(entry))
    return Service(
        id=service_id or name,
        name=name,
        organization_id=org_id,
        organization_name=_text(org.get("name")),
        organization_description=_plain(org.get("description")),
        description=_plain(obj.get("description")),
        status=_text(obj.get("status")),
        areas=tuple(_unique(_area_texts(obj))),
        ages=ages,
        eligibility=tuple(_unique(_plain(text) for text in eligibility)),
        languages=tuple(_unique(_languages(obj), key=str.casefold)),
        terms=tuple(_unique(_terms(obj))),
        schedule=tuple(_slots(obj)),
    )


def _area_texts(obj: dict) -> Iterable[str | None]:
    for entry in _nested(obj, "service_areas"):
        if isinstance(entry, dict):
            yield _text(entry.get("service_area")) or _text(entry.get("name"))
        else:
            yield _text(entry)


def _ages(obj: dict) -> tuple[tuple[int, int | None] | None, list[str]]:
    """The widest age range over the service's eligibility entries, and what was not used."""
    notes: list[str] = []
    ranges: list[tuple[int, int | None]] = []
    sources = [obj, *(e for e in _nested(obj, "eligibilitys") if isinstance(e, dict))]
    for entry in sources:
        low, high = entry.get("minimum_age"), entry.get("maximum_age")
        low_n, high_n = _age(low, notes), _age(high, notes)
        if low_n is None and high_n is None:
            continue
        if low_n is not None and high_n is not None and high_n < low_n:
            notes.append(f"ages {low_n} to {high_n} end before they start: not used")
            continue
        ranges.append((low_n or 0, high_n))
    if not ranges:
        return None, notes
    low = min(r[0] for r in ranges)
    highs = [r[1] for r in ranges]
    high = None if any(h is None for h in highs) else max(h for h in highs if h is not None)
    if low == 0 and high is None:
        return None, notes
    return (low, high), notes


def _age(value: Any, notes: list[str]) -> int | None:
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        notes.append(f"age {value!r} is not a number: not used")
        return None
    if number < 0 or number != int(number):
        notes.append(f"age {value!r} is not a whole number of years: not used")
        return None
    return int(number)


def _languages(obj: dict) -> Iterable[str]:
    for entry in _nested(obj, "languages"):
        if isinstance(entry, dict):
            text = _text(entry.get("language")) or _text(entry.get("name"))
            text = text or _text(entry.get("code"))
        else:
            text = _text(entry)
        if text:
            yield _LANGUAGE_CODES.get(text.lower(), text) if len(text) <= 3 else text


def _terms(obj: dict) -> Iterable[Term]:
    for entry in _nested(obj, "links"):
        if not isinstance(entry, dict):
            continue
        link_type = (_text(entry.get("link_type")) or "").lower()
        if "eligib" in link_type:
            continue  # HSDS 3 attributes can tag who is eligible: not what the service does
        term = entry.get("taxonomy") or entry.get("taxonomy_term")
        if not isinstance(term, dict):
            term = entry if entry.get("name") or entry.get("term") else {}
            term_id = _text(entry.get("taxonomy_id") or entry.get("taxonomy_term_id"))
            if not term and term_id:
                term = {"id": term_id}
        vocabulary = term.get("vocabulary") or term.get("taxonomy")
        detail = term.get("taxonomy_detail")
        if not _text(vocabulary) and isinstance(detail, dict):
            vocabulary = detail.get("name")
        found = Term(
            id=_text(term.get("id")),
            name=_text(term.get("name")) or _text(term.get("term")),
            code=_text(term.get("code")),
            vocabulary=_text(vocabulary),
        )
        if found.id or found.name or found.code:
            yield found


def _slots(obj: dict) -> Iterable[Slot]:
    for entry in _nested(obj, "schedules"):
        if not isinstance(entry, dict):
            continue
        text = _plain(entry.get("description"))
        freq = (_text(entry.get("freq")) or "WEEKLY").upper()
        opens, closes = _time(entry.get("opens_at")), _time(entry.get("closes_at"))
        days: list[int] = []
        readable = freq == "WEEKLY"
        for token in re.split(r"[,\s]+", _text(entry.get("byday")) or ""):
            if not token:
                continue
            if token.upper() in _DAY_CODES:
                days.append(_DAY_CODES[token.upper()])
            else:
                readable = False  # "1MO" (first Monday) and the like: keep the words instead
        if readable and opens and closes:
            yield Slot(days=tuple(sorted(set(days))), opens=opens, closes=closes)
        elif text:
            yield Slot(text=text)


def _time(value: Any) -> str | None:
    text = _text(value)
    match = _TIME.match(text or "")
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return f"{hour:02d}:{minute:02d}" if hour < 25 and minute < 60 else None
