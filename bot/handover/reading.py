"""Reading handovers and providers for what people see: a handover's status and history,
an adviser's open handovers, a provider's queue, the coordinators' view.

The reading half of ``Handovers``: every read goes through ``sessions`` and, where it
shows a handover, through the access matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.handover.access import Access, Right
from storage import queries
from storage.db import SessionFactory
from storage.models import Handover, HandoverEvent, Provider


@dataclass(frozen=True)
class Status:
    handover: Handover
    provider: Provider | None
    events: Sequence[HandoverEvent]
    providers: dict[str, Provider] = field(default_factory=dict)


class Reading:
    sessions: SessionFactory
    access: Access

    def visible(self, session: Session, handover_id: int, user_id: str, right: Right) -> Handover:
        raise NotImplementedError

    def _provider(self, session: Session, provider_id: str | None) -> Provider | None:
        raise NotImplementedError

    def _load(self, session: Session, handover_id: int) -> Handover:
        raise NotImplementedError

    def status(self, handover_id: int, *, user_id: str) -> Status:
        with self.sessions() as session:
            handover = self.visible(session, handover_id, user_id, Right.STATUS)
            provider = self._provider(session, handover.provider_id)
            self.access.require(user_id, Right.STATUS, handover=handover, provider=provider)
            providers = {p.id: p for p in queries.all_providers(session=session)}
            events = queries.events_of(session=session, handover_id=handover.id)
            return Status(handover, provider, events, providers)

    def may_see(self, handover: Handover, provider: Provider | None, user_id: str) -> bool:
        return self.access.may(user_id, Right.STATUS, handover=handover, provider=provider)

    def open_for_adviser(self, user_id: str) -> list[tuple[Handover, Provider | None]]:
        with self.sessions() as session:
            providers = {p.id: p for p in queries.all_providers(session=session)}
            found = queries.open_for_adviser(session=session, adviser_id=user_id)
            return [(h, providers.get(h.provider_id)) for h in found]

    def providers_of(self, user_id: str) -> list[Provider]:
        """The providers whose handover channel this user is a member of."""
        with self.sessions() as session:
            active = queries.active_providers(session=session)
        return [p for p in active if self.access.may(user_id, Right.HOME_QUEUE, provider=p)]

    def queue(self, providers: Sequence[Provider]) -> list[Handover]:
        with self.sessions() as session:
            return list(queries.queue_of(session=session, provider_ids=[p.id for p in providers]))

    def network_view(self) -> tuple[dict[str, int], list[Handover]]:
        """The coordinators' App Home: how many handovers are open in each state (finished
        ones are the digest's), and those waiting to be routed by hand."""
        with self.sessions() as session:
            return (
                queries.count_open_by_state(session=session),
                list(queries.unmatched(session=session)),
            )

    def all_providers(self, *, active_only: bool = True) -> list[Provider]:
        with self.sessions() as session:
            if active_only:
                return list(queries.active_providers(session=session))
            return list(queries.all_providers(session=session))

    def provider(self, provider_id: str | None) -> Provider | None:
        with self.sessions() as session:
            return self._provider(session, provider_id)

    def last_organisation(self, adviser_id: str) -> str:
        """The organisation this adviser gave last time, to save them typing it again."""
        with self.sessions() as session:
            return queries.last_organisation(session=session, adviser_id=adviser_id) or ""

    def handover(self, handover_id: int) -> Handover:
        with self.sessions() as session:
            return self._load(session, handover_id)
