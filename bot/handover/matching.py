"""Which providers fit a handover, best first, and why. Pure: no database, no Slack."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

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
    # Takes only residents with at least one of these circumstances; empty: everyone.
    only_for: tuple[str, ...] = ()
    # Handovers routed to it in a usual four weeks (see usual_volume).
    usual: float = 0.0


@dataclass(frozen=True)
class Need:
    """What the adviser asked for, in the words matching understands."""

    needs: tuple[str, ...]
    district: str | None = None
    age_band: str | None = None
    language: str | None = None
    circumstances: tuple[str, ...] = ()


@dataclass(frozen=True)
class Wording:
    """The network's words for what matching says: its services, and whom each circumstance's
    specialists are for ("disabled residents")."""

    services: Mapping[str, str] = field(default_factory=dict)
    residents: Mapping[str, str] = field(default_factory=dict)

    def service(self, key: str) -> str:
        return self.services.get(key, key)

    def whom(self, keys: Iterable[str]) -> str:
        return " and ".join(self.residents.get(key, key) for key in keys)


@dataclass(frozen=True)
class Candidate:
    provider: ProviderFacts
    covered: tuple[str, ...]
    # The deciding reason, in full words: why it stands where it does in the list.
    reason: str = ""
    # The provider's own `only_for` criteria this resident meets (never anyone else's).
    meets: tuple[str, ...] = ()

    def why(self, wording: Wording) -> str:
        """What the provider's card and the adviser's DM say: the deciding reason, and
        which of the provider's own criteria the resident meets."""
        whom = f"specialist for {wording.whom(self.meets)}" if self.meets else ""
        if whom and whom not in self.reason:
            return f"{self.reason}; {whom}"
        return self.reason


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


# The usual volume is a count of handovers routed to a provider that fades with this time
# constant: at a steady pace it equals the handovers of the last four weeks. It is kept on
# the provider as it is routed (two columns), so nothing counts history per request.
USUAL_PERIOD = timedelta(weeks=4)


def usual_volume(volume: float, since: datetime | None, now: datetime) -> float:
    """The running count ``volume``, written at ``since``, as it stands at ``now``."""
    if since is None or volume <= 0:
        return 0.0
    elapsed = max((now - since) / USUAL_PERIOD, 0.0)
    return volume * math.exp(-elapsed)


def routed_once_more(volume: float, since: datetime | None, now: datetime) -> float:
    """The running count after one more handover is routed at ``now``."""
    return usual_volume(volume, since, now) + 1.0


def meets(provider: ProviderFacts, need: Need) -> tuple[str, ...]:
    """Which of the provider's own criteria the resident meets, in the provider's order."""
    had = set(need.circumstances)
    return tuple(key for key in provider.only_for if key in had)


def exclusion(
    provider: ProviderFacts, need: Need, declined: set[str], wording: Wording | None = None
) -> str | None:
    """Why a provider offering one of the needs is not a candidate; None when it is."""
    wording = wording or Wording()
    if not provider.active:
        return "not taking handovers yet"
    if provider.id in declined:
        return "already declined it"
    if provider.capacity == "paused":
        return "paused"
    if provider.only_for and not meets(provider, need):
        return f"only for {' or '.join(wording.residents.get(k, k) for k in provider.only_for)}"
    if not covers_area(provider.areas, need.district):
        return f"does not cover {need.district}"
    if not serves_age(provider.age_range, need.age_band):
        return f"does not serve ages {need.age_band}"
    if not speaks(provider.languages, need.language):
        return f"does not work in {need.language}"
    return None


def candidates(
    need: Need,
    providers: Iterable[ProviderFacts],
    *,
    declined: Iterable[str] = (),
    wording: Wording | None = None,
) -> list[Candidate]:
    """Providers that fit, best first, each with the reason it stands where it does.

    The order: covers every need before some; a specialist this resident is eligible for
    before a generalist; names the resident's district, then their postcode area, before
    working anywhere; open before limited; the less loaded for its usual volume; then a
    stable turn (never routed, then whoever waited longest, then by id).
    """
    wording = wording or Wording()
    declined = set(declined)
    found: list[Candidate] = []
    for provider in sorted(providers, key=lambda p: p.id):
        covered = tuple(key for key in need.needs if key in provider.services)
        if covered and exclusion(provider, need, declined, wording) is None:
            found.append(Candidate(provider, covered, meets=meets(provider, need)))
    # Each candidate's rank worked out once: the reasons compare neighbours' ranks.
    ranked = sorted(((_rank(c, need), c) for c in found), key=lambda pair: pair[0])
    found = [candidate for _, candidate in ranked]
    ranks = [rank for rank, _ in ranked]
    return [
        replace(candidate, reason=_deciding_reason(found, ranks, index, need, wording))
        for index, candidate in enumerate(found)
    ]


def excluded(
    need: Need,
    providers: Iterable[ProviderFacts],
    *,
    declined: Iterable[str] = (),
    wording: Wording | None = None,
) -> list[tuple[ProviderFacts, str]]:
    """Providers that offer a need but do not fit, each with the reason: what an adviser
    wants to know when the one they expected is not suggested."""
    declined = set(declined)
    found = []
    for provider in sorted(providers, key=lambda p: p.id):
        if set(need.needs) & set(provider.services):
            reason = exclusion(provider, need, declined, wording)
            if reason is not None and provider.active:
                found.append((provider, reason))
    return found


@dataclass(frozen=True)
class Split:
    """One handover per provider when no single provider covers every need."""

    parts: tuple[tuple[tuple[str, ...], Candidate], ...]  # (needs, the provider for them)


def split(
    need: Need, providers: Sequence[ProviderFacts], wording: Wording | None = None
) -> Split | None:
    """Cover every need with as few providers as fit, greedily by the ranking.

    None when one provider covers everything (no split needed) or some need has nobody.
    """
    ranked = candidates(need, providers, wording=wording)
    if not ranked or len(ranked[0].covered) == len(need.needs):
        return None
    left = list(need.needs)
    parts = []
    while left:
        pool = candidates(replace(need, needs=tuple(left)), providers, wording=wording)
        if not pool:
            return None
        best = pool[0]
        parts.append((best.covered, best))
        left = [n for n in left if n not in best.covered]
    return Split(tuple(parts))


# -- the order, and the words for it ------------------------------------------------------

# The levels of the ranking, in order; _rank's tuple has one entry for each.
_COVERAGE, _SPECIALIST, _LOCAL, _CAPACITY, _LOAD, _TURN = range(6)
_LOCAL_DISTRICT, _LOCAL_AREA, _ANYWHERE = range(3)
_NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}


def locality(areas: Iterable[str] | None, district: str | None) -> int:
    """How closely a provider's areas name the resident's district: the district itself
    (or a part of it, W1 for W1A), the postcode area (NW for NW5), or anywhere."""
    if areas is None or district is None:
        return _ANYWHERE
    if any(not area.isalpha() and covers_area((area,), district) for area in areas):
        return _LOCAL_DISTRICT
    return _LOCAL_AREA if covers_area(areas, district) else _ANYWHERE


def relative_load(provider: ProviderFacts) -> float:
    """Open handovers against the usual four weeks' volume (at least one, so a new or quiet
    provider is judged by its open handovers alone)."""
    return provider.open_handovers / max(provider.usual, 1.0)


def _rank(candidate: Candidate, need: Need) -> tuple:
    provider = candidate.provider
    routed = provider.last_routed_at
    return (
        -len(candidate.covered),
        not candidate.meets,
        locality(provider.areas, need.district),
        provider.capacity == "limited",
        round(relative_load(provider), 6),
        # The turn: never routed first, then whoever waited longest, then by id.
        (routed is not None, routed.timestamp() if routed else 0.0, provider.id),
    )


REASON_LIMIT = 75  # the line under a suggestion (Slack's option description)


def _deciding_reason(
    ranked: list[Candidate], ranks: list[tuple], index: int, need: Need, wording: Wording
) -> str:
    """Why this candidate stands where it does, in full words: for the first, the first rule
    on which it beats the second; for the others, the first on which it falls behind the one
    before. A specialist or local provider says so when a later rule decided."""
    me = ranked[index]
    quality = _better(_SPECIALIST, me, need, wording, ranks, index) or _better(
        _LOCAL, me, need, wording, ranks, index
    )
    if len(ranked) == 1:
        return quality or "the only provider that fits"
    mine, theirs = ranks[index], ranks[index + 1] if index == 0 else ranks[index - 1]
    level = next(i for i, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b)
    if index == 0:
        text = _better(level, me, need, wording, ranks, index) or "the best fit"
    else:
        text = _worse(level, me, need, wording)
    if quality and level > _LOCAL and len(quality) + len(text) + 2 <= REASON_LIMIT:
        return f"{quality}, {text}"
    return text


def _better(
    level: int, me: Candidate, need: Need, wording: Wording, ranks: list[tuple], index: int
) -> str | None:
    provider = me.provider
    if level == _COVERAGE:
        if len(me.covered) == len(need.needs):
            return "covers every need asked for"
        return f"covers {len(me.covered)} of the {len(need.needs)} needs"
    if level == _SPECIALIST:
        return f"specialist for {wording.whom(me.meets)}" if me.meets else None
    if level == _LOCAL:
        place = locality(provider.areas, need.district)
        if place == _LOCAL_DISTRICT:
            if len(me.covered) == 1:
                service = short_label(wording.service(me.covered[0]))
                return f"local {service} specialist for {need.district}"
            return f"local provider for {need.district}"
        if place == _LOCAL_AREA:
            return f"works across the {_area_of(need.district)} postcode area"
        return None
    if level == _CAPACITY:
        return "has open capacity"
    if level == _LOAD:
        return "less busy for its usual volume"
    # The turn, among candidates equal on every other rule.
    mine = ranks[index][:_TURN]
    count = sum(1 for rank in ranks if rank[:_TURN] == mine)
    return f"next in turn among {_NUMBERS.get(count, str(count))} equal fits"


def _worse(level: int, me: Candidate, need: Need, wording: Wording) -> str:
    provider = me.provider
    if level == _COVERAGE:
        offers = " and ".join(wording.service(key) for key in me.covered)
        return f"covers only {offers}"
    if level == _SPECIALIST:
        return "works with all residents"
    if level == _LOCAL:
        if locality(provider.areas, need.district) == _LOCAL_AREA:
            return f"works across the {_area_of(need.district)} postcode area"
        return "works in any area"
    if level == _CAPACITY:
        return "limited capacity at the moment"
    if level == _LOAD:
        return "busier for its usual volume"
    return "an equal fit, later in the turn"


def _area_of(district: str | None) -> str:
    letters = _LETTERS.match(district or "")
    return letters.group(0) if letters else (district or "")


def short_label(label: str) -> str:
    """A service's label as it reads inside a phrase: "CV and job applications" -> "CV",
    "English language (ESOL)" -> "ESOL", "Childcare and returning to work" -> "childcare"."""
    bracket = re.search(r"\(([A-Z]{2,})\)", label)
    if bracket:
        return bracket.group(1)
    head = re.split(r" and | \(|, ", label, maxsplit=1)[0].strip()
    if len(head) > 1 and head[0].isupper() and head[1].islower():
        return head[0].lower() + head[1:]
    return head
