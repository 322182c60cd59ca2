"""The coordinator's mapping file: taxonomy terms -> the network's service keys, phrases of
eligibility -> its circumstances, and which organisations, service areas and provider keys
the import treats specially."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from bot.directory.network import ProviderEntry
from bot.directory.openreferral.errors import HsdsError
from bot.directory.openreferral.feed import Term
from bot.directory.openreferral.text import _district, _norm, _unique
from bot.directory.yamltext import YamlProblem, read_yaml

DEFAULT_PLACEHOLDER = "C0CHANGEME"
# The provider keys an import can set, in the order a new provider is written.
IMPORTED_FIELDS = (
    "name",
    "services",
    "areas",
    "ages",
    "languages",
    "eligibility",
    "only_for",
    "hours",
    "description",
)
_KEEPABLE = tuple(f for f in IMPORTED_FIELDS if f != "name")
_MAPPING_KEYS = (
    "services",
    "vocabularies",
    "circumstances",
    "organisations",
    "areas",
    "channel_placeholder",
    "keep",
)

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class TermMapping:
    """The coordinator's mapping file, read and checked."""

    # normalised term (id, code or name) -> (the entry as written, service keys)
    services: dict[str, tuple[str, tuple[str, ...]]]
    # normalised vocabulary -> its own table, like ``services``
    vocabularies: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = field(default_factory=dict)
    # normalised phrase of a feed's eligibility text -> (the entry as written, circumstance
    # keys): a service whose eligibility says it is only for them gets ``only_for``
    circumstances: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
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

    def circumstances_of(self, eligibility: Iterable[str]) -> tuple[str, ...]:
        """The circumstance keys whose phrases the eligibility texts contain (whole words)."""
        text = " ".join(_norm(line) for line in eligibility)
        found: list[str] = []
        for phrase, (_entry, keys) in self.circumstances.items():
            if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text):
                found.extend(keys)
        return tuple(_unique(found))

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

    def term_table(
        values: dict, path: tuple[str, ...], what: str = "service"
    ) -> dict[str, tuple[str, tuple[str, ...]]]:
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
                raise fail(where, f"must be a {what} key, a list of {what} keys, or []")
            if not all(isinstance(k, str) and k.strip() for k in keys):
                raise fail(where, f"must be a {what} key, a list of {what} keys, or []")
            cleaned = tuple(_unique(k.strip() for k in keys))
            norm = _norm(entry)
            if norm in table and table[norm][1] != cleaned:
                raise fail(where, f"says something else than the entry {table[norm][0]!r}")
            table[norm] = (entry, cleaned)
        return table

    services = term_table(section("services"), ("services",))
    circumstances = term_table(section("circumstances"), ("circumstances",), "circumstance")
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
        circumstances=circumstances,
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


def check_mapping(
    mapping: TermMapping, service_keys: Iterable[str], circumstance_keys: Iterable[str] = ()
) -> None:
    """Refuse a mapping that names a service or a circumstance the network file does not
    have."""
    for entries, known, section in (
        (mapping.entries(), set(service_keys), "services"),
        (mapping.circumstances.values(), set(circumstance_keys), "circumstances"),
    ):
        for entry, keys in entries:
            for key in keys:
                if key not in known:
                    raise HsdsError(
                        f"{mapping.source}: the entry {entry!r} maps to {key!r}, which is not "
                        f"in the network file's `{section}`: add it there first, or fix the "
                        "mapping."
                    )


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
