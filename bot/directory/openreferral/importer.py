"""From an export's services to the network's provider entries, and the merge.

Each organisation of the export (or several the mapping joins) becomes one provider: a new
entry, written inactive until a coordinator gives it its channel, or the provider the
network file already has, whose imported keys are brought up to date (all but those the
mapping's ``keep`` names).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.directory.network import parse_network
from bot.directory.openreferral.errors import HsdsError
from bot.directory.openreferral.feed import _DAYS, Export, Service, Slot, Term
from bot.directory.openreferral.mapping import IMPORTED_FIELDS, TermMapping, check_mapping
from bot.directory.openreferral.text import _clip, _district, _norm, _unique, slugify
from bot.directory.openreferral.writer import _SafeLoader, render_network
from bot.errors import ConfigError

_NEW_ORDER = ("id", "name", "channel", "active", *IMPORTED_FIELDS[1:])


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
    check_mapping(mapping, network.services, network.circumstances)
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
        "only_for": _only_for(contributing, mapping),
        "hours": format_hours(slot for s in contributing for slot in s.schedule),
        "description": _clip(description),
    }


def _only_for(contributing: Sequence[Service], mapping: TermMapping) -> list[str] | None:
    """The circumstances the provider takes residents for, when every one of its services
    says it is only for some (one service open to all leaves the provider open to all)."""
    found = [mapping.circumstances_of(service.eligibility) for service in contributing]
    if not found or not all(found):
        return None
    return sorted(_unique(key for keys in found for key in keys))


def _area_districts(text: str, mapping: TermMapping) -> list[str] | None:
    """The postcode districts a service area names; [] for anywhere; None if not postcodes."""
    if _norm(text) in mapping.areas:
        return list(mapping.areas[_norm(text)])
    parts = [p for p in re.split(r"\s*[,;/]\s*|\s+and\s+", text.strip()) if p]
    districts = [_district(p) for p in parts]
    if not districts or None in districts:
        return None
    return [d for d in districts if d]


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
