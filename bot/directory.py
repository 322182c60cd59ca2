"""Keep the providers table in step with the network file."""

from __future__ import annotations

from bot.network import Network
from storage import queries
from storage.db import SessionFactory
from storage.models import Provider


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
            )
        )
    with sessions() as session:
        queries.upsert_providers(session=session, providers=rows)
        session.commit()
