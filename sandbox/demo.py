"""The demo workspace: people and channels for a network, so one person can play every role."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.directory.network import Network
from sandbox.slack import FakeSlack

ADVISER_ORG = "Kentish Town Job Club"
_ADVISERS = [("U0ADVISER1", "Ada Okafor"), ("U0ADVISER2", "Ben Hughes")]
_STAFF_NAMES = [
    "Priya Shah", "Tom Walsh", "Grace Adeyemi", "Omar Farah", "Lucy Chen", "Dan Murphy",
    "Sara Novak", "Kwame Boateng", "Hannah Cole", "Ravi Patel", "Ella Brooks", "Yusuf Ali",
]  # fmt: skip
_COORDINATOR_NAMES = ["Cora Mensah", "Colin Reid", "Farah Idris", "Gwen Lloyd"]


@dataclass(frozen=True)
class Persona:
    id: str
    name: str
    role: str  # adviser | provider | coordinator
    org: str
    title: str


def people(network: Network) -> list[Persona]:
    """Two advisers, one member of staff per provider, and the network's coordinators."""
    found = [
        Persona(user_id, name, "adviser", ADVISER_ORG, f"Adviser at {ADVISER_ORG}")
        for user_id, name in _ADVISERS
    ]
    for index, provider in enumerate(network.providers):
        name = _STAFF_NAMES[index % len(_STAFF_NAMES)]
        found.append(
            Persona(staff_id(provider.id), name, "provider", provider.name, f"{provider.name}")
        )
    council = "Council coordinator"
    for index, user_id in enumerate(network.coordinators.users):
        name = _COORDINATOR_NAMES[index % len(_COORDINATOR_NAMES)]
        found.append(Persona(user_id, name, "coordinator", "Council", council))
    return found


def staff_id(provider_id: str) -> str:
    """A stable Slack-like user id for a provider's member of staff."""
    return "U0" + hashlib.sha1(provider_id.encode()).hexdigest()[:8].upper()


def channel_name(provider_id: str) -> str:
    return f"handovers-{provider_id}"[:80]


GENERAL = "C0GENERAL0"


def seed(fake: FakeSlack, network: Network, personas: list[Persona]) -> None:
    """Users and channels; idempotent, so a restart (or a changed network) keeps them right."""
    for persona in personas:
        fake.add_user(persona.id, name=persona.name.split()[0].lower(), real_name=persona.name)
    coordinators = [p.id for p in personas if p.role == "coordinator"]
    for provider in network.providers:
        fake.add_channel(
            provider.channel, name=channel_name(provider.id), members=[staff_id(provider.id)]
        )
    fake.add_channel(network.coordinators.channel, name="coordinators", members=coordinators)
    fake.add_channel(GENERAL, name="general", members=[p.id for p in personas])
