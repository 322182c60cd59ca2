"""Which providers fit a handover, best first, and why. Pure: no database, no Slack."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

AGE_BANDS = ("16-17", "18-24", "25-29", "30-49", "50-64", "65+")

_LETTERS = re.compile(r"^[A-Z]+")


@dataclass(frozen=True)
class ProviderFacts:
    """What matching needs to know about a provider."""

    id: str
    name: str
    services: tuple[str, ...]
    areas: tuple[str, ...] | None = None
    age_range: tuple[int, int] | None = None
    active: bool = True
    open_handovers: int = 0
    last_routed_at: datetime | None = None
    # Today's capacity, with a pause already lifted if its date has come (see effective_capacity).
    capacity: str = "open"
    languages: tuple[str, ...] | None = None  # None: delivers in any language needed


@dataclass(frozen=True)
class Need:
    """What the adviser asked for, in the words matching understands."""

    needs: tuple[str, ...]
    district: str | None = None
    age_band: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Candidate:
    provider: ProviderFacts
    covered: tuple[str, ...]
    reasons: tuple[str, ...] = field(default=())

    def why(self, labels: Mapping[str, str]) -> str:
        offers = ", ".join(labels.get(key, key) for key in self.covered)
        return "; ".join((f"offers {offers}", *self.reasons))


def band_range(band: str) -> tuple[int, int]:
    if band.endswith("+"):
        return int(band[:-1]), 150
    low, high = band.split("-")
    return int(low), int(high)


def covers_area(areas: Iterable[str] | None, district: str | None) -> bool:
    """A provider with no areas works anywhere; ``NW`` covers ``NW1``; ``EC1`` covers ``EC1A``."""
    if areas is None or district is None:
        return True
    letters = _LETTERS.match(district)
    for area in areas:
        if area == district:
            return True
        if area.isalpha():
            if letters and letters.group(0) == area:
                return True
        elif (
            # Central London districts split by a final letter: W1A is part of W1.
            district.startswith(area) and len(district) == len(area) + 1 and district[-1].isalpha()
        ):
            return True
    return False


def serves_age(age_range: tuple[int, int] | None, band: str | None) -> bool:
    """Eligible when the provider's ages overlap the resident's band."""
    if age_range is None or band is None:
        return True
    low, high = band_range(band)
    return low <= age_range[1] and age_range[0] <= high


def speaks(languages: Iterable[str] | None, language: str | None) -> bool:
    """A provider that lists languages serves residents who need one of them (or English)."""
    if languages is None or not language:
        return True
    wanted = language.strip().casefold()
    return wanted == "english" or wanted in {known.casefold() for known in languages}


def effective_capacity(capacity: str, paused_until: date | None, today: date) -> str:
    """A pause with a date lifts by itself on that date."""
    if capacity == "paused" and paused_until is not None and today >= paused_until:
        return "open"
    return capacity


def exclusion(provider: ProviderFacts, need: Need, declined: set[str]) -> str | None:
    """Why a provider offering one of the needs is not a candidate; None when it is."""
    if not provider.active:
        return "not taking handovers yet"
    if provider.id in declined:
        return "already declined it"
    if provider.capacity == "paused":
        return "paused"
    if not covers_area(provider.areas, need.district):
        return f"does not cover {need.district}"
    if not serves_age(provider.age_range, need.age_band):
        return f"does not serve ages {need.age_band}"
    if not speaks(provider.languages, need.language):
        return f"does not work in {need.language}"
    return None


def candidates(
    need: Need, providers: Iterable[ProviderFacts], *, declined: Iterable[str] = ()
) -> list[Candidate]:
    """Providers that fit, ranked: most needs covered, capacity, load, then round robin."""
    declined = set(declined)
    found: list[Candidate] = []
    for provider in providers:
        covered = tuple(key for key in need.needs if key in provider.services)
        if covered and exclusion(provider, need, declined) is None:
            found.append(Candidate(provider, covered, _reasons(provider, need)))
    found.sort(key=_rank)
    return found


def excluded(
    need: Need, providers: Iterable[ProviderFacts], *, declined: Iterable[str] = ()
) -> list[tuple[ProviderFacts, str]]:
    """Providers that offer a need but do not fit, each with the reason: what an adviser
    wants to know when the one they expected is not suggested."""
    declined = set(declined)
    found = []
    for provider in providers:
        if set(need.needs) & set(provider.services):
            reason = exclusion(provider, need, declined)
            if reason is not None and provider.active:
                found.append((provider, reason))
    return found


@dataclass(frozen=True)
class Split:
    """One handover per provider when no single provider covers every need."""

    parts: tuple[tuple[tuple[str, ...], Candidate], ...]  # (needs, the provider for them)


def split(need: Need, providers: Sequence[ProviderFacts]) -> Split | None:
    """Cover every need with as few providers as fit, greedily by the ranking.

    None when one provider covers everything (no split needed) or some need has nobody.
    """
    ranked = candidates(need, providers)
    if not ranked or len(ranked[0].covered) == len(need.needs):
        return None
    left = list(need.needs)
    parts = []
    while left:
        pool = candidates(replace(need, needs=tuple(left)), providers)
        if not pool:
            return None
        best = pool[0]
        parts.append((best.covered, best))
        left = [n for n in left if n not in best.covered]
    return Split(tuple(parts))


def _rank(candidate: Candidate) -> tuple:
    provider = candidate.provider
    never_routed = provider.last_routed_at is None
    return (
        -len(candidate.covered),
        provider.capacity == "limited",  # open before limited
        provider.open_handovers,
        # Round robin: those never routed to first, then whoever waited longest.
        not never_routed,
        provider.last_routed_at or datetime.min,
        provider.id,
    )


def _reasons(provider: ProviderFacts, need: Need) -> tuple[str, ...]:
    reasons = []
    if need.district:
        reasons.append(f"covers {need.district}" if provider.areas else "works in any area")
    if need.age_band and provider.age_range:
        low, high = provider.age_range
        ages = f"{low}+" if high >= 150 else f"{low}-{high}"
        reasons.append(f"serves ages {ages}")
    if need.language and provider.languages is not None:
        reasons.append(f"works in {need.language}")
    if provider.capacity == "limited":
        reasons.append("limited capacity")
    load = provider.open_handovers
    reasons.append(f"{load} open handover{'s' if load != 1 else ''}")
    return tuple(reasons)
