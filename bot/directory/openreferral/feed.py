"""Import providers from an Open Referral UK / HSDS service directory export.

UK councils publish their service directories in the Open Referral UK data standard (the
UK profile of the Human Services Data Specification, HSDS). This module reads such an
export, turns its organisations into providers of the network file with a mapping the
coordinator edits (taxonomy terms -> our service keys), and merges them into the network file.

    python -m bot.hsds --export EXPORT.json --mapping MAPPING.yaml --network network.yaml \
        [--out network.yaml] [--dry-run]

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

Everything but :func:`main` is pure (text and data in, data out) so it can be tested without
files. Every problem that stops the import is an :class:`HsdsError` holding one sentence.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.errors import ConfigError
from bot.network import ProviderEntry, parse_network
from bot.yamltext import YamlProblem, read_yaml

DEFAULT_PLACEHOLDER = "C0CHANGEME"
# The provider keys an import can set, in the order a new provider is written.
IMPORTED_FIELDS = (
    "name",
    "services",
    "areas",
    "ages",
    "languages",
    "eligibility",
    "hours",
    "description",
)
_KEEPABLE = tuple(f for f in IMPORTED_FIELDS if f != "name")
_NEW_ORDER = ("id", "name", "channel", "active", *IMPORTED_FIELDS[1:])
_MAPPING_KEYS = (
    "services",
    "vocabularies",
    "organisations",
    "areas",
    "channel_placeholder",
    "keep",
)
_TEXT_LIMIT = 300

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
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


# libyaml's parser when PyYAML has it (much faster); the pure-Python one otherwise.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class HsdsError(Exception):
    """The import cannot go on; ``str(self)`` is one sentence for the coordinator."""


# --------------------------------------------------------------------------------------------
# The export


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


# --------------------------------------------------------------------------------------------
# The mapping


@dataclass(frozen=True)
class TermMapping:
    """The coordinator's mapping file, read and checked."""

    # normalised term (id, code or name) -> (the entry as written, service keys)
    services: dict[str, tuple[str, tuple[str, ...]]]
    # normalised vocabulary -> its own table, like ``services``
    vocabularies: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = field(default_factory=dict)
    # normalised organisation name or id -> provider id, or None to leave it out
    organisations: dict[str, str | None] = field(default_factory=dict)
    # normalised service area -> postcode districts (empty: anywhere)
    areas: dict[str, tuple[str, ...]] = field(default_factory=dict)
    channel_placeholder: str = DEFAULT_PLACEHOLDER
    keep: tuple[str, ...] = ()
    source: str = "the mapping"

    def lookup(self, term: Term) -> tuple[str, tuple[str, ...]] | None:
        """(entry, service keys) for a term, or None when the mapping does not know it."""
        tables = []
        if term.vocabulary and _norm(term.vocabulary) in self.vocabularies:
            tables.append(self.vocabularies[_norm(term.vocabulary)])
        tables.append(self.services)
        for table in tables:
            for key in (term.id, term.code, term.name):
                if key and _norm(key) in table:
                    return table[_norm(key)]
        return None

    def entries(self) -> Iterable[tuple[str, tuple[str, ...]]]:
        yield from self.services.values()
        for table in self.vocabularies.values():
            yield from table.values()


def parse_mapping(text: str, *, source: str = "the mapping") -> TermMapping:
    """Read the mapping file's YAML text; every mistake is one HsdsError sentence."""
    try:
        root, data = read_yaml(text, source=source)
    except YamlProblem as problem:
        raise HsdsError(str(problem)) from None
    if not isinstance(data, dict):
        raise HsdsError(f"{source} must be a YAML mapping with a `services` section.")

    def fail(path: tuple[str, ...], message: str) -> HsdsError:
        line = _line(root, path)
        where = f" (line {line})" if line else ""
        return HsdsError(f"{source}: `{'.'.join(path)}`{where} {message}.")

    for key in data:
        if key not in _MAPPING_KEYS:
            raise fail((str(key),), f"is not a key we know (we know {', '.join(_MAPPING_KEYS)})")

    def section(name: str) -> dict:
        value = data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise fail((name,), "must be a mapping of `term: key` lines")
        return value

    def term_table(values: dict, path: tuple[str, ...]) -> dict[str, tuple[str, tuple[str, ...]]]:
        table: dict[str, tuple[str, tuple[str, ...]]] = {}
        for raw_key, value in values.items():
            entry = _entry_key(raw_key, lambda m, k=raw_key: fail((*path, str(k)), m))
            where = (*path, entry)
            if value is None:
                keys: list = []
            elif isinstance(value, str):
                keys = [value]
            elif isinstance(value, list):
                keys = value
            else:
                raise fail(where, "must be a service key, a list of service keys, or []")
            if not all(isinstance(k, str) and k.strip() for k in keys):
                raise fail(where, "must be a service key, a list of service keys, or []")
            cleaned = tuple(_unique(k.strip() for k in keys))
            norm = _norm(entry)
            if norm in table and table[norm][1] != cleaned:
                raise fail(where, f"says something else than the entry {table[norm][0]!r}")
            table[norm] = (entry, cleaned)
        return table

    services = term_table(section("services"), ("services",))
    vocabularies = {}
    for raw_vocab, terms in section("vocabularies").items():
        vocab = _entry_key(raw_vocab, lambda m, k=raw_vocab: fail(("vocabularies", str(k)), m))
        if not isinstance(terms, dict):
            raise fail(("vocabularies", vocab), "must be a mapping of `term: key` lines")
        vocabularies[_norm(vocab)] = term_table(terms, ("vocabularies", vocab))
    if not services and not any(vocabularies.values()):
        raise fail(("services",), "is required: map taxonomy terms to the network's service keys")

    organisations: dict[str, str | None] = {}
    for raw_org, provider_id in section("organisations").items():
        org = _entry_key(raw_org, lambda m, k=raw_org: fail(("organisations", str(k)), m))
        if provider_id is not None and not (
            isinstance(provider_id, str) and _KEY.match(provider_id)
        ):
            raise fail(
                ("organisations", org),
                "must be a provider id (lower-case letters, digits, '-' or '_'), "
                "or empty to leave the organisation out",
            )
        organisations[_norm(org)] = provider_id

    areas: dict[str, tuple[str, ...]] = {}
    for raw_area, value in section("areas").items():
        area = _entry_key(raw_area, lambda m, k=raw_area: fail(("areas", str(k)), m))
        if value is None or (isinstance(value, str) and value.strip().lower() == "anywhere"):
            districts: tuple[str, ...] = ()
        else:
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not values:
                raise fail(("areas", area), "must be a list of postcode districts or `anywhere`")
            found = [_district(str(v)) for v in values]
            if None in found:
                bad = next(v for v, d in zip(values, found, strict=True) if d is None)
                raise fail(("areas", area), f"has {bad!r}, which is not a postcode district")
            districts = tuple(_unique(d for d in found if d))
        areas[_norm(area)] = districts

    placeholder = data.get("channel_placeholder", DEFAULT_PLACEHOLDER)
    if not _is_channel(placeholder):
        raise fail(
            ("channel_placeholder",),
            f"is {placeholder!r}, which is not a Slack channel id (like C0CHANGEME)",
        )

    keep = data.get("keep") or []
    if isinstance(keep, str):
        keep = [keep]
    if not isinstance(keep, list) or any(k not in _KEEPABLE for k in keep):
        raise fail(("keep",), f"must be a list of provider keys from: {', '.join(_KEEPABLE)}")

    return TermMapping(
        services=services,
        vocabularies=vocabularies,
        organisations=organisations,
        areas=areas,
        channel_placeholder=placeholder,
        keep=tuple(keep),
        source=source,
    )


def _entry_key(key: Any, fail) -> str:
    if isinstance(key, bool) or key is None:
        raise fail("is read as yes/no or empty by YAML: put the term in quotes")
    if isinstance(key, int | float):
        return str(key)
    if not isinstance(key, str) or not key.strip():
        raise fail("must be a term written as text")
    return key.strip()


def _is_channel(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ProviderEntry(id="x", name="x", channel=value, services=["x"])
    except ValidationError:
        return False
    return True


def check_mapping(mapping: TermMapping, service_keys: Iterable[str]) -> None:
    """Refuse a mapping that names a service the network file does not have."""
    known = set(service_keys)
    for entry, keys in mapping.entries():
        for key in keys:
            if key not in known:
                raise HsdsError(
                    f"{mapping.source}: the entry {entry!r} maps to {key!r}, which is not in the "
                    "network file's `services`: add it there first, or fix the mapping."
                )


# --------------------------------------------------------------------------------------------
# From services to providers, and the merge


@dataclass
class Outcome:
    """What happened to one provider."""

    id: str
    name: str
    services_from: tuple[str, ...] = ()
    changes: list[str] = field(default_factory=list)
    reason: str | None = None


@dataclass
class ImportResult:
    shape: str
    services_read: int
    text: str  # the network file after the import (the same text when nothing changes)
    changed: bool = False
    added: list[Outcome] = field(default_factory=list)
    updated: list[Outcome] = field(default_factory=list)
    unchanged: list[Outcome] = field(default_factory=list)
    skipped: list[Outcome] = field(default_factory=list)
    untouched: list[str] = field(default_factory=list)
    needs_channel: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Group:
    """The services of one provider-to-be: one organisation, or several the mapping joins."""

    target: str  # provider id
    existing: dict | None
    name: str
    services: list[Service] = field(default_factory=list)


def import_export(
    network_text: str,
    export: Export,
    mapping: TermMapping,
    *,
    source: str = "the network file",
) -> ImportResult:
    """Merge the export's providers into the network file's text; the result always loads."""
    try:
        network = parse_network(network_text, source=source)
    except ConfigError as exc:
        raise HsdsError(f"The network file cannot be read, so nothing was changed: {exc}") from None
    check_mapping(mapping, network.services)
    data = yaml.load(network_text, Loader=_SafeLoader)
    existing: list[dict] = data["providers"]
    service_order = {key: n for n, key in enumerate(network.services)}
    result = ImportResult(shape=export.shape, services_read=len(export.services), text=network_text)
    result.notes.extend(export.notes)

    groups = _group(export, mapping, existing, result)
    merged = [dict(entry) for entry in existing]
    position = {entry["id"]: n for n, entry in enumerate(existing)}
    unmapped: dict[Term, list[str]] = {}
    for group in groups.values():
        fields = _provider_fields(group, mapping, service_order, unmapped, result.notes)
        names = tuple(s.name for s in group.services)
        if fields is None:
            terms = sorted({t.label for s in group.services for t in s.terms})
            why = (
                f"none of its taxonomy terms ({', '.join(terms)}) maps to a service"
                if terms
                else "its services have no taxonomy terms"
            )
            result.skipped.append(Outcome(group.target, group.name, names, reason=why))
            continue
        if group.existing is None:
            entry = {"id": group.target, "name": group.name}
            entry["channel"] = mapping.channel_placeholder
            # Not sent handovers until a coordinator gives it its real channel and activates it.
            entry["active"] = False
            entry.update({k: v for k, v in fields.items() if k != "name" and v is not None})
            entry = {k: entry[k] for k in _NEW_ORDER if k in entry}
            merged.append(entry)
            outcome = Outcome(group.target, group.name, names, _describe_new(entry))
            result.added.append(outcome)
            continue
        entry = merged[position[group.existing["id"]]]
        outcome = Outcome(entry["id"], entry["name"], names)
        for key in IMPORTED_FIELDS[1:]:
            value = fields.get(key)
            if value is None or key in mapping.keep or _same(key, entry.get(key), value):
                continue
            old = entry.get(key)
            if isinstance(old, list) and isinstance(value, list):
                value = _keep_order(old, value)
            outcome.changes.append(f"{key}: {_show(old)} -> {_show(value)}")
            entry[key] = value
        (result.updated if outcome.changes else result.unchanged).append(outcome)

    for term, services in sorted(unmapped.items(), key=lambda item: item[0].label.casefold()):
        used = ", ".join(repr(s) for s in _unique(services))
        result.notes.append(
            f"taxonomy term {term.label!r} is not in the mapping (used by {used}): "
            "add it to the mapping's `services`, or map it to [] to silence this"
        )
    claimed = {g.existing["id"] for g in groups.values() if g.existing is not None}
    result.untouched = [e["id"] for e in existing if e["id"] not in claimed]
    result.needs_channel = [
        e["id"] for e in merged if e.get("channel") == mapping.channel_placeholder
    ]
    if result.added or result.updated:
        text = render_network(network_text, merged)
        try:
            parse_network(text, source="the merged network file")
        except ConfigError as exc:
            raise HsdsError(
                f"The merged network file would not load, so nothing was written: {exc}"
            ) from None
        result.text, result.changed = text, True
    return result


def _group(
    export: Export, mapping: TermMapping, existing: list[dict], result: ImportResult
) -> dict[str, _Group]:
    by_id = {entry["id"]: entry for entry in existing}
    by_name = {_norm(entry["name"]): entry for entry in existing}
    by_slug = {slugify(entry["name"]): entry for entry in existing}
    groups: dict[str, _Group] = {}
    left_out: set[str] = set()
    for service in export.services:
        org_name = service.organization_name
        if not org_name:
            org = f"its organisation {service.organization_id}" if service.organization_id else ""
            missing = f"{org} is not in the export" if org else "it names no organisation"
            result.notes.append(f"service {service.name!r} was not imported: {missing}")
            continue
        if not service.active:
            result.notes.append(
                f"service {service.name!r} of {org_name!r} is {service.status}: not imported"
            )
            continue
        target: str | None
        aliases = [_norm(k) for k in (service.organization_id, org_name) if k]
        alias = next((a for a in aliases if a in mapping.organisations), None)
        if alias is not None:
            target = mapping.organisations[alias]
            if target is None:
                if alias not in left_out:
                    left_out.add(alias)
                    result.skipped.append(
                        Outcome(slugify(org_name), org_name, reason="left out by the mapping")
                    )
                continue
            match = by_id.get(target)
        else:
            match = (
                by_name.get(_norm(org_name))
                or by_slug.get(slugify(org_name))
                or by_id.get(slugify(org_name))
            )
            target = match["id"] if match else slugify(org_name) or _fallback_id(service)
        group = groups.get(target)
        if group is None:
            name = match["name"] if match else org_name
            group = groups[target] = _Group(target=target, existing=match, name=name)
        group.services.append(service)
    return groups


def _fallback_id(service: Service) -> str:
    return "org-" + (slugify(service.organization_id or "") or slugify(service.id) or "unnamed")


def _provider_fields(
    group: _Group,
    mapping: TermMapping,
    service_order: Mapping[str, int],
    unmapped: dict[Term, list[str]],
    notes: list[str],
) -> dict[str, Any] | None:
    """The provider keys the export gives for a group, or None when nothing maps."""
    keys: list[str] = []
    contributing: list[Service] = []
    for service in group.services:
        mapped = False
        for term in service.terms:
            found = mapping.lookup(term)
            if found is None:
                unmapped.setdefault(term, []).append(service.name)
                continue
            mapped = mapped or bool(found[1])
            keys.extend(found[1])
        if mapped:
            contributing.append(service)
    if not contributing:
        return None
    label = group.target

    # Areas: the districts of every contributing service; one that gives none means the
    # provider works anywhere as far as the export knows, so the import sets no areas.
    areas: list[str] = []
    unrestricted: list[str] = []
    for service in contributing:
        own: list[str] = []
        for text in service.areas:
            districts = _area_districts(text, mapping)
            if districts is None:
                notes.append(
                    f"{label}: service area {text!r} of {service.name!r} is not a postcode "
                    "district, so it is not used (give its districts under `areas:` in the "
                    "mapping)"
                )
            elif not districts:
                own = []
                break  # mapped to anywhere
            else:
                own.extend(districts)
        if own:
            areas.extend(own)
        else:
            unrestricted.append(service.name)
    if areas and unrestricted:
        notes.append(
            f"{label}: areas not set, since {', '.join(repr(n) for n in unrestricted)} "
            "gives no postcode district (the others do)"
        )
        areas = []

    ranges = [service.ages for service in contributing]
    ages = None
    if ranges and all(r is not None for r in ranges):
        low = min(r[0] for r in ranges if r is not None)
        highs = [r[1] for r in ranges if r is not None]
        high = None if any(h is None for h in highs) else max(h for h in highs if h is not None)
        ages = f"{low}+" if high is None or high >= 150 else f"{low}-{high}"

    single = contributing[0] if len(contributing) == 1 else None
    description = (single.description if single else None) or (
        contributing[0].organization_description or contributing[0].description
    )
    return {
        "name": group.name,
        "services": sorted(_unique(keys), key=lambda k: service_order.get(k, len(service_order))),
        "areas": list(_unique(areas)) or None,
        "ages": ages,
        "languages": list(_unique((x for s in contributing for x in s.languages), str.casefold))
        or None,
        "eligibility": _clip("; ".join(_unique(x for s in contributing for x in s.eligibility))),
        "hours": format_hours(slot for s in contributing for slot in s.schedule),
        "description": _clip(description),
    }


def _area_districts(text: str, mapping: TermMapping) -> list[str] | None:
    """The postcode districts a service area names; [] for anywhere; None if not postcodes."""
    if _norm(text) in mapping.areas:
        return list(mapping.areas[_norm(text)])
    parts = [p for p in re.split(r"\s*[,;/]\s*|\s+and\s+", text.strip()) if p]
    districts = [_district(p) for p in parts]
    if not districts or None in districts:
        return None
    return [d for d in districts if d]


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


def format_hours(slots: Iterable[Slot]) -> str | None:
    """Schedule lines in plain words: ``Mon-Fri 09:00-17:00; Sat 10:00-13:00``."""
    by_day: dict[int, set[tuple[str, str]]] = {}
    dayless: list[str] = []
    words: list[str] = []
    for slot in slots:
        if slot.opens and slot.closes:
            if slot.days:
                for day in slot.days:
                    by_day.setdefault(day, set()).add((slot.opens, slot.closes))
            else:
                dayless.append(f"{slot.opens}-{slot.closes}")
        elif slot.text:
            words.append(slot.text)
    groups: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for day in sorted(by_day):
        groups.setdefault(tuple(sorted(by_day[day])), []).append(day)
    parts = []
    for times, days in sorted(groups.items(), key=lambda item: item[1][0]):
        spans = ", ".join(f"{opens}-{closes}" for opens, closes in times)
        parts.append(f"{_day_runs(days)} {spans}")
    parts.extend(_unique(dayless))
    parts.extend(_unique(words))
    return _clip("; ".join(parts)) if parts else None


def _day_runs(days: Sequence[int]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = []
    for run in runs:
        if len(run) >= 3:
            names.append(f"{_DAYS[run[0]]}-{_DAYS[run[-1]]}")
        else:
            names.extend(_DAYS[d] for d in run)
    return ", ".join(names)


def _same(key: str, old: Any, new: Any) -> bool:
    if key in ("services", "areas", "languages") and isinstance(old, list):
        return {str(x).casefold() for x in old} == {str(x).casefold() for x in new}
    return old == new


def _keep_order(old: list, new: list) -> list:
    """``new``, with the items it shares with ``old`` first and in ``old``'s order."""
    wanted = {str(item).casefold(): item for item in new}
    kept = [wanted[str(item).casefold()] for item in old if str(item).casefold() in wanted]
    return kept + [item for item in new if item not in kept]


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 60 else text[:57].rstrip() + "..."


def _describe_new(entry: dict) -> list[str]:
    lines = [f"services: {_show(entry['services'])}"]
    lines.append(f"areas: {_show(entry['areas'])}" if "areas" in entry else "areas: anywhere")
    for key in ("ages", "languages", "hours"):
        if key in entry:
            lines.append(f"{key}: {_show(entry[key])}")
    return lines


# --------------------------------------------------------------------------------------------
# Writing the network file


class _Dumper(yaml.SafeDumper):
    """Lists of plain values on one line (``services: [cv, esol]``), as people write them."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(isinstance(item, str | int | float | bool) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def _dump(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=88, indent=2)


def render_providers(providers: Sequence[dict]) -> str:
    """The ``providers:`` block, one blank line between providers."""
    blocks = []
    for entry in providers:
        lines = _dump(entry).rstrip("\n").split("\n")
        blocks.append("\n".join(["  - " + lines[0], *("    " + line for line in lines[1:])]))
    return "providers:\n" + "\n\n".join(blocks) + "\n"


def render_network(text: str, providers: Sequence[dict]) -> str:
    """The network file with its ``providers`` replaced and everything else as it was.

    Only the ``providers:`` block is written anew (its comments are lost); other lines are
    kept byte for byte. A file whose top level is not a plain block mapping is written whole.
    """
    root = yaml.compose(text, Loader=_SafeLoader)
    for key_node, value_node in root.value:
        if key_node.value != "providers":
            continue
        if root.flow_style or key_node.start_mark.column != 0:
            break
        lines = text.splitlines(keepends=True)
        start = key_node.start_mark.line
        end = value_node.end_mark.line + (1 if value_node.end_mark.column else 0)
        end = min(end, len(lines))
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
            end -= 1  # blank lines and comments before the next section stay with it
        head = lines[start]
        block = render_providers(providers)
        if value_node.start_mark.line > start and re.match(r"^providers:\s*(#.*)?$", head):
            block = head.rstrip("\r\n") + "\n" + block.split("\n", 1)[1]  # keep its comment
        before = "".join(lines[:start])
        after = "".join(lines[end:])
        if after and not after.startswith(("\n", "\r\n")):
            block += "\n"
        return before + block + after
    data = yaml.load(text, Loader=_SafeLoader)
    data["providers"] = list(providers)
    return _dump(data)


# --------------------------------------------------------------------------------------------
# Small helpers


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
    if not text:
        return None
    if len(text) <= _TEXT_LIMIT:
        return text
    cut = text[: _TEXT_LIMIT - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


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


def _line(root: yaml.Node | None, path: tuple[str, ...]) -> int | None:
    node, line = root, None
    for part in path:
        if not isinstance(node, yaml.MappingNode):
            break
        for key_node, value_node in node.value:
            if str(key_node.value).strip() == part:
                node, line = value_node, key_node.start_mark.line + 1
                break
        else:
            break
    return line


# --------------------------------------------------------------------------------------------
# The command


def summary(result: ImportResult, *, dry_run: bool, out: str, wrote: bool = False) -> str:
    """What the import did (or would do), in lines a coordinator can read."""
    lines = [
        f"Read {result.services_read} services: {result.shape}.",
    ]

    def section(title: str, outcomes: list[Outcome], sign: str) -> None:
        if not outcomes:
            return
        lines.append(f"{title} ({len(outcomes)}):")
        for outcome in outcomes:
            head = f"  {sign} {outcome.id} ({outcome.name})"
            if outcome.reason:
                lines.append(f"{head}: {outcome.reason}")
                continue
            lines.append(head)
            lines.extend(f"      {change}" for change in outcome.changes)

    section("Added" if not dry_run else "Would add", result.added, "+")
    section("Updated" if not dry_run else "Would update", result.updated, "~")
    section("Skipped", result.skipped, "-")
    if result.unchanged:
        ids = ", ".join(o.id for o in result.unchanged)
        lines.append(f"Unchanged ({len(result.unchanged)}): {ids}")
    if result.untouched:
        lines.append(
            f"Not in the export, left as they are ({len(result.untouched)}): "
            + ", ".join(result.untouched)
        )
    if result.notes:
        lines.append(f"Notes: not used, or worth a look ({len(result.notes)}):")
        lines.extend(f"  ! {note}" for note in result.notes)
    if result.needs_channel:
        lines.append(
            f"Needs a channel ({len(result.needs_channel)}): "
            + ", ".join(result.needs_channel)
            + " (they are written with active: false; set each one's Slack channel id and "
            "remove that line, and they start taking handovers)"
        )
    if dry_run:
        would = f"would write {out}" if result.changed else "nothing would change"
        lines.append(f"Dry run: nothing written ({would}).")
    elif not result.changed:
        copy = f" (wrote it unchanged to {out})" if wrote else ""
        lines.append(f"Nothing to change: the network file is up to date{copy}.")
    else:
        lines.append(f"Wrote {out}.")
    if result.changed:
        lines.append(
            "Comments inside `providers:` are not kept; the rest of the file is as it was."
        )
    return "\n".join(lines)


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one sentence, not usage text and a traceback
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m bot.hsds",
        description="Import providers from an Open Referral UK / HSDS export into the network "
        "file (see docs/hsds-import.md).",
    )
    parser.add_argument("--export", required=True, help="the HSDS / Open Referral UK JSON export")
    parser.add_argument(
        "--mapping", required=True, help="YAML: taxonomy terms -> the network's service keys"
    )
    parser.add_argument(
        "--network",
        default=os.environ.get("NETWORK_FILE", "network.yaml"),
        help="the network file to merge into (default $NETWORK_FILE or network.yaml)",
    )
    parser.add_argument("--out", help="where to write the result (default: --network itself)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change and write nothing"
    )
    return parser


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise HsdsError(f"The {what} {path} does not exist.") from None
    except IsADirectoryError:
        raise HsdsError(f"The {what} {path} is a directory, not a file.") from None
    except UnicodeDecodeError:
        raise HsdsError(f"The {what} {path} is not UTF-8 text.") from None
    except OSError as exc:
        raise HsdsError(f"The {what} {path} cannot be read: {exc.strerror or exc}.") from None


def _write(path: str, text: str) -> None:
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(
            dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}."
        )
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o777)
        os.replace(temporary, target)
    except OSError as exc:
        raise HsdsError(f"{path} cannot be written: {exc.strerror or exc}.") from None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        print(f"python -m bot.hsds: {exc} (see --help).", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    out = args.out or args.network
    try:
        export = read_export(_read(args.export, "export"), source=args.export)
        mapping = parse_mapping(_read(args.mapping, "mapping file"), source=args.mapping)
        network_text = _read(args.network, "network file")
        result = import_export(network_text, export, mapping, source=args.network)
        # --out asks for a file even when nothing changes; in place, an unchanged file stays.
        wrote = not args.dry_run and (result.changed or out != args.network)
        if wrote:
            _write(out, result.text)
    except HsdsError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(summary(result, dry_run=args.dry_run, out=out, wrote=wrote))
    return 0


if __name__ == "__main__":
    sys.exit(main())
