"""Where a handover goes: the adviser's suggestions before sending, the best candidate when
it is routed or re-routed, and the choices a coordinator routes by hand from.

The rules of who fits and in what order are ``matching``'s, pure; this part gives them
the providers as the database holds them today and records where the handover went.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import Session

from bot.directory.network import Network
from bot.handover.matching import (
    Candidate,
    Need,
    ProviderFacts,
    Split,
    Wording,
    candidates,
    effective_capacity,
    excluded,
    routed_once_more,
    split,
    usual_volume,
)
from bot.handover.referral import Referral
from bot.text import clip
from storage import queries
from storage.db import SessionFactory
from storage.models import EventKind, Handover, Provider, Resident, State

SUGGESTIONS = 3  # how many providers the adviser is offered to choose from
TURN_TRIES = 5  # a provider's turn taken from under a request this often: it goes anyway


def stored_circumstances(resident: Resident | None) -> tuple[str, ...]:
    """The resident's circumstances as stored (encrypted, keys comma-separated)."""
    if resident is None or not resident.circumstances:
        return ()
    return tuple(key for key in resident.circumstances.split(",") if key)


def storable_circumstances(keys: tuple[str, ...]) -> str | None:
    return ",".join(keys) or None


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
    clock: object  # bot.clock.Clock
    # The network file's providers for matching, and the file they were read from.
    _listed_for: tuple[Network, dict[str, dict]] | None = None

    def _today(self) -> date:
        raise NotImplementedError

    def suggest(self, referral: Referral) -> Suggestions:
        """What the adviser sees before sending: the best fits, who was left out and why,
        and a split across providers when no single one covers every need."""
        need = Need(
            referral.needs,
            referral.district,
            referral.age_band,
            referral.language,
            referral.circumstances,
        )
        with self.sessions() as session:
            facts = self._facts(session)
        wording = self.wording
        return Suggestions(
            candidates=candidates(need, facts, wording=wording)[:SUGGESTIONS],
            excluded=excluded(need, facts, wording=wording)[: SUGGESTIONS + 2],
            split=split(need, facts, wording),
        )

    @property
    def wording(self) -> Wording:
        return Wording(services=self.network.services, residents=self.network.residents_phrases)

    def _need(
        self, session: Session, handover: Handover, circumstances: tuple[str, ...] | None = None
    ) -> Need:
        """What the handover asks for; its circumstances are read from the resident's
        (encrypted) details unless given."""
        if circumstances is None:
            resident = (
                queries.get_resident(session=session, handover_id=handover.id)
                if handover.id is not None
                else None
            )
            circumstances = stored_circumstances(resident)
        return Need(
            tuple(handover.needs),
            handover.postcode_district,
            handover.age_band,
            handover.language,
            circumstances,
        )

    def route_choices(self, handover: Handover, *, session: Session | None = None) -> RouteChoices:
        """For routing by hand: who fits, who offers a need but has a catch (and what it is),
        and everyone else."""
        if session is None:
            with self.sessions() as session:
                return self.route_choices(handover, session=session)
        need = self._need(session, handover)
        facts = self._facts(session)
        declined = queries.declined_by(session=session, handover_id=handover.id)
        rows = {p.id: p for p in queries.active_providers(session=session)}
        wording = self.wording
        fit = [
            rows[c.provider.id] for c in candidates(need, facts, declined=declined, wording=wording)
        ]
        caught = [
            (rows[p.id], why)
            for p, why in excluded(need, facts, declined=declined, wording=wording)
        ]
        placed = {p.id for p in fit} | {p.id for p, _ in caught}
        other = sorted((p for p in rows.values() if p.id not in placed), key=lambda p: p.name)
        return RouteChoices(fit, caught, other)

    def _facts(self, session: Session) -> list[ProviderFacts]:
        """Every active provider as matching sees it today: what the network file says of
        it (in memory), with what the database keeps of its day (one narrow read)."""
        today = self._today()
        now = self.clock.now()
        listed = self._listed()
        return [
            ProviderFacts(
                **listed[day.id],
                open_handovers=day.open_handovers,
                last_routed_at=day.last_routed_at,
                capacity=effective_capacity(day.capacity, day.paused_until, today),
                usual=usual_volume(day.routed_volume or 0.0, day.routed_volume_at, now),
            )
            for day in queries.provider_days(session=session)
            # A provider the database lists but this copy's file does not (another replica
            # read a newer file) is left out until this copy reads it too.
            if day.id in listed
        ]

    def _listed(self) -> dict[str, dict]:
        """What the network file says of each active provider, as matching's facts take
        it: worked out once for each network file read."""
        if self._listed_for is not None and self._listed_for[0] is self.network:
            return self._listed_for[1]
        listed = {
            entry.id: {
                "id": entry.id,
                "name": entry.name,
                "services": tuple(entry.services),
                "areas": tuple(entry.areas) if entry.areas is not None else None,
                "age_range": entry.age_range,
                "languages": tuple(entry.languages) if entry.languages else None,
                # From the network file: matching's rules are the file's, today's.
                "only_for": tuple(entry.only_for or ()),
            }
            for entry in self.network.providers
            if entry.active
        }
        self._listed_for = (self.network, listed)
        return listed

    def _candidates(
        self,
        session: Session,
        handover: Handover,
        declined: set[str],
        circumstances: tuple[str, ...] | None = None,
    ):
        need = self._need(session, handover, circumstances)
        return candidates(need, self._facts(session), declined=declined, wording=self.wording)

    def _best_candidate(
        self,
        session,
        handover,
        declined: set[str],
        prefer: str | None = None,
        circumstances: tuple[str, ...] | None = None,
    ) -> Candidate | None:
        """The top candidate, or the adviser's choice while it still fits."""
        found = self._candidates(session, handover, declined, circumstances)
        chosen = next((c for c in found if c.provider.id == prefer), None)
        return chosen or (found[0] if found else None)

    def _place(
        self, session: Session, now, pick: Callable[[], Candidate | None]
    ) -> tuple[Candidate | None, dict, Provider | None]:
        """Where the handover goes: the candidate ``pick`` finds best, its fields, and the
        provider it goes to; or the coordinators (no provider) if none is left.

        Requests sent at the same moment read the same loads and would all pick the same
        provider, so routing decisions are taken one at a time (``hold_routing``), each
        reading the figures after the one before it was stored; and the turn is taken by
        compare-and-set on the provider's last routing, so that a request that finds it
        taken since it read (SQLite, or routing by hand) picks again."""
        queries.hold_routing(session=session)
        for _ in range(TURN_TRIES):
            best = pick()
            if best is None:
                unmatched = {
                    "state": State.UNMATCHED,
                    "provider_id": None,
                    "match_reason": None,
                    "routed_by_hand": False,
                }
                return None, unmatched, None
            provider = self._take_turn(session, best.provider, now)
            if provider is not None:
                break
        else:
            # Taken from under it every time: it goes where it last found best.
            provider = session.get(Provider, best.provider.id, populate_existing=True)
            routed_to(provider, now)
            session.add(provider)
        placed = {
            "state": State.PENDING,
            "provider_id": best.provider.id,
            "match_reason": clip(best.why(self.wording), 500),
            "routed_by_hand": False,
        }
        return best, placed, provider

    def _take_turn(self, session: Session, facts: ProviderFacts, now) -> Provider | None:
        """This provider's turn and usual volume move on, if nobody routed to it since
        ``facts`` were read: the provider as it now is, or None."""
        table = Provider.__table__
        statement = (
            update(Provider)
            .where(
                table.c.id == facts.id,
                table.c.last_routed_at.is_not_distinct_from(facts.last_routed_at),
            )
            # The usual volume as read, one more: unchanged if the turn is.
            .values(last_routed_at=now, routed_volume=facts.usual + 1.0, routed_volume_at=now)
            .returning(Provider)
            .execution_options(populate_existing=True, synchronize_session=False)
        )
        return session.scalars(statement).first()

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


def routed_to(provider: Provider, now) -> None:
    """A handover went to this provider: its turn and its usual volume move on."""
    provider.routed_volume = routed_once_more(
        provider.routed_volume or 0.0, provider.routed_volume_at, now
    )
    provider.routed_volume_at = now
    provider.last_routed_at = now
