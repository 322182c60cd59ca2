"""The directory: providers synced from the network file, and their capacity from Slack."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput, Refused
from bot.ids import Block
from bot.matching import effective_capacity
from bot.network import Network
from storage import queries
from storage.db import SessionFactory
from storage.models import Capacity, DirectoryEvent, Provider


def sync_directory(network: Network, *, sessions: SessionFactory) -> None:
    """Upsert every provider by id; those removed from the file stay, marked inactive."""
    rows = []
    for entry in network.providers:
        ages = entry.age_range
        rows.append(
            Provider(
                id=entry.id,
                name=entry.name,
                channel=entry.channel,
                services=list(entry.services),
                areas=list(entry.areas) if entry.areas is not None else None,
                age_min=ages[0] if ages else None,
                age_max=ages[1] if ages else None,
                description=entry.description,
                languages=list(entry.languages) if entry.languages else None,
                active=entry.active,
            )
        )
    with sessions() as session:
        queries.upsert_providers(session=session, providers=rows)
        session.commit()


class Directory:
    """What changes day to day about providers: capacity, set from Slack and audited."""

    def __init__(self, *, sessions: SessionFactory, network: Network, clock, membership):
        self.sessions = sessions
        self.network = network
        self.clock = clock
        self.membership = membership

    def today(self) -> date:
        return self.clock.now().astimezone(ZoneInfo(self.network.network.timezone)).date()

    def may_set(self, provider: Provider, user_id: str) -> bool:
        """A provider's own staff (its channel's members) and the coordinators."""
        return self.network.is_coordinator(user_id) or self.membership(provider.channel, user_id)

    def settable_by(self, user_id: str) -> list[Provider]:
        with self.sessions() as session:
            active = queries.active_providers(session=session)
        if self.network.is_coordinator(user_id):
            return list(active)
        return [p for p in active if self.membership(p.channel, user_id)]

    def capacity(self, provider: Provider) -> str:
        return effective_capacity(provider.capacity, provider.paused_until, self.today())

    def set_capacity(
        self,
        provider_id: str,
        *,
        actor_id: str,
        capacity: str,
        until: date | None = None,
        reason: str = "",
    ) -> Provider:
        try:
            capacity = Capacity(capacity)
        except ValueError:
            raise InvalidInput({Block.CAPACITY: "Choose open, limited or paused."}) from None
        reason = " ".join(reason.split())
        if capacity is Capacity.PAUSED and not reason:
            raise InvalidInput({Block.CAPACITY_REASON: "Say why, so coordinators know."})
        if until is not None and capacity is not Capacity.PAUSED:
            until = None  # only a pause ends on a date
        if until is not None and until <= self.today():
            raise InvalidInput({Block.PAUSED_UNTIL: "Choose a date after today."})
        now = self.clock.now()
        with self.sessions() as session:
            provider = queries.get_provider(session=session, provider_id=provider_id)
            if provider is None or not provider.active:
                raise InvalidInput({Block.PROVIDER: "Choose a provider from the list."})
            if not self.may_set(provider, actor_id):
                raise Refused(
                    f"Only {provider.name}'s staff (its handover channel) or a coordinator can "
                    "change its capacity."
                )
            provider.capacity = capacity
            provider.paused_until = until
            provider.capacity_reason = reason or None
            provider.capacity_changed_at = now
            provider.capacity_changed_by = actor_id
            session.add(provider)
            session.add(
                DirectoryEvent(
                    provider_id=provider.id,
                    at=now,
                    actor_id=actor_id,
                    kind="capacity",
                    detail=describe_capacity(capacity, until, reason),
                )
            )
            session.commit()
            session.refresh(provider)
            return provider


def describe_capacity(capacity: str, until: date | None, reason: str | None) -> str:
    words = {"open": "open", "limited": "limited", "paused": "paused"}[capacity]
    if capacity == Capacity.PAUSED:
        words += f" until {until.strftime('%a %-d %b %Y')}" if until else " until resumed"
    if reason:
        words += f" ({reason})"
    return words
