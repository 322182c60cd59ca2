"""Where a handover goes: the adviser's suggestions before sending, the best candidate when
it is routed or re-routed, and the choices a coordinator routes by hand from.

The rules of who fits and in what order are ``matching``'s, pure; this part gives them
the providers as the database holds them today and records where the handover went.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from bot.directory.network import Network
from bot.handover.matching import (
    Candidate,
    Need,
    ProviderFacts,
    Split,
    candidates,
    effective_capacity,
    excluded,
    split,
)
from bot.handover.referral import Referral
from bot.text import clip
from storage import queries
from storage.db import SessionFactory
from storage.models import EventKind, Handover, Provider, State

SUGGESTIONS = 3  # how many providers the adviser is offered to choose from


@dataclass(frozen=True)
class Suggestions:
    candidates: list[Candidate]
    excluded: list[tuple[ProviderFacts, str]]
    split: Split | None


@dataclass(frozen=True)
class RouteChoices:
    fit: list[Provider]
    caught: list[tuple[Provider, str]]  # offers a need, but: paused, out of area, declined…
    other: list[Provider]


class Routing:
    """The routing half of ``Handovers``: it reads providers through ``sessions`` and
    judges them by the network file and today's date."""

    sessions: SessionFactory
    network: Network

    def _today(self) -> date:
        raise NotImplementedError

    def suggest(self, referral: Referral) -> Suggestions:
        """What the adviser sees before sending: the best fits, who was left out and why,
        and a split across providers when no single one covers every need."""
        need = Need(referral.needs, referral.district, referral.age_band, referral.language)
        with self.sessions() as session:
            facts = self._facts(session)
        return Suggestions(
            candidates=candidates(need, facts)[:SUGGESTIONS],
            excluded=excluded(need, facts)[: SUGGESTIONS + 2],
            split=split(need, facts),
        )

    def route_choices(self, handover: Handover, *, session: Session | None = None) -> RouteChoices:
        """For routing by hand: who fits, who offers a need but has a catch (and what it is),
        and everyone else."""
        need = Need(
            tuple(handover.needs), handover.postcode_district, handover.age_band, handover.language
        )
        if session is None:
            with self.sessions() as session:
                return self.route_choices(handover, session=session)
        facts = self._facts(session)
        declined = queries.declined_by(session=session, handover_id=handover.id)
        rows = {p.id: p for p in queries.active_providers(session=session)}
        fit = [rows[c.provider.id] for c in candidates(need, facts, declined=declined)]
        caught = [(rows[p.id], why) for p, why in excluded(need, facts, declined=declined)]
        placed = {p.id for p in fit} | {p.id for p, _ in caught}
        other = sorted((p for p in rows.values() if p.id not in placed), key=lambda p: p.name)
        return RouteChoices(fit, caught, other)

    def _facts(self, session: Session) -> list[ProviderFacts]:
        """Every active provider as matching sees it today."""
        loads = queries.provider_loads(session=session)
        today = self._today()
        return [
            ProviderFacts(
                id=p.id,
                name=p.name,
                services=tuple(p.services),
                areas=tuple(p.areas) if p.areas is not None else None,
                age_range=(p.age_min, p.age_max) if p.age_min is not None else None,
                active=p.active,
                open_handovers=loads.get(p.id, 0),
                last_routed_at=p.last_routed_at,
                capacity=effective_capacity(p.capacity, p.paused_until, today),
                languages=tuple(p.languages) if p.languages else None,
            )
            for p in queries.active_providers(session=session)
        ]

    def _candidates(self, session: Session, handover: Handover, declined: set[str]):
        need = Need(
            tuple(handover.needs), handover.postcode_district, handover.age_band, handover.language
        )
        return candidates(need, self._facts(session), declined=declined)

    def _best_candidate(
        self, session, handover, declined: set[str], prefer: str | None = None
    ) -> Candidate | None:
        """The top candidate, or the adviser's choice while it still fits."""
        found = self._candidates(session, handover, declined)
        chosen = next((c for c in found if c.provider.id == prefer), None)
        return chosen or (found[0] if found else None)

    def _placement(self, session: Session, best: Candidate | None, now) -> dict:
        """Where the handover goes: the best candidate, or the coordinators if none is left."""
        if best is None:
            return {
                "state": State.UNMATCHED,
                "provider_id": None,
                "match_reason": None,
                "routed_by_hand": False,
            }
        provider = session.get(Provider, best.provider.id)
        provider.last_routed_at = now
        session.add(provider)
        return {
            "state": State.PENDING,
            "provider_id": best.provider.id,
            "match_reason": clip(best.why(self.network.services), 500),
            "routed_by_hand": False,
        }

    def _record_routing(self, session, handover, best, now, *, actor_id) -> EventKind:
        kind = EventKind.ROUTED if best is not None else EventKind.UNMATCHED
        queries.record_event(
            session=session,
            handover=handover,
            kind=kind,
            at=now,
            actor_id=actor_id,
            from_state=None,
            note=handover.match_reason,
        )
        return kind
