"""The demo workspace: people and channels for a network, so one person can play every role."""

from __future__ import annotations

import hashlib
import zoneinfo
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.directory.network import Network
from sandbox.slack import FakeSlack

ADVISER_ORG = "Kentish Town Job Club"
_ADVISERS = [("U0ADVISER1", "Ada Okafor"), ("U0ADVISER2", "Ben Hughes")]
_STAFF_NAMES = [
    "Priya Shah", "Tom Walsh", "Grace Adeyemi", "Omar Farah", "Lucy Chen", "Dan Murphy",
    "Sara Novak", "Kwame Boateng", "Hannah Cole", "Ravi Patel", "Ella Brooks", "Yusuf Ali",
    "Nadia Rahman", "Sean Byrne", "Mei Lin", "Tariq Hussain", "Joy Mensah", "Adam Nowak",
]  # fmt: skip
_COORDINATOR_NAMES = ["Cora Mensah", "Colin Reid", "Farah Idris", "Gwen Lloyd"]


COUNCIL = "Council"
# What each role is called in the persona menu: "Priya Shah · Northside CV Clinic · provider staff".
ROLE_TITLES = {"adviser": "adviser", "provider": "provider staff", "coordinator": "coordinator"}


@dataclass(frozen=True)
class Persona:
    id: str
    name: str
    role: str  # adviser | provider | coordinator
    org: str
    title: str  # the role in words (ROLE_TITLES)
    # Another organisation's own Slack workspace (Slack Connect): its team id. None: the
    # network's workspace.
    team: str | None = None


# A partner in its own workspace, who meets the network in a Slack Connect channel.
PARTNER = Persona(
    "U0PARTNER1",
    "Rosa Lindqvist",
    "adviser",
    "Camden Refugee Partnership",
    "adviser, in its own Slack workspace",
    team="T0PARTNER1",
)
SHARED = "C0SHARED00"  # the Slack Connect channel the network shares with its partners


def people(network: Network) -> list[Persona]:
    """Two advisers, one member of staff per provider, and the network's coordinators, in the
    order the persona menu shows them: the advisers' job club, each provider, the council."""

    def persona(user_id: str, name: str, role: str, org: str) -> Persona:
        return Persona(user_id, name, role, org, ROLE_TITLES[role])

    found = [persona(user_id, name, "adviser", ADVISER_ORG) for user_id, name in _ADVISERS]
    # Providers without Slack have nobody in the workspace: their staff use the Inbox.
    for index, provider in enumerate(p for p in network.providers if p.channel):
        name = _STAFF_NAMES[index % len(_STAFF_NAMES)]
        found.append(persona(staff_id(provider.id), name, "provider", provider.name))
    for index, user_id in enumerate(network.coordinators.users):
        name = _COORDINATOR_NAMES[index % len(_COORDINATOR_NAMES)]
        found.append(persona(user_id, name, "coordinator", COUNCIL))
    found.append(PARTNER)
    return found


def network_locale(timezone: str) -> str:
    """The locale the page writes dates and times in, for a network in this time zone.

    English, as the bot writes, with the conventions of the country the zone is in: the
    time zone database's zone.tab says Europe/London is GB, so en-GB (05/03/2025, 17:00);
    America/New_York gives en-US (03/05/2025, 5:00 PM). A zone it does not list (UTC, or
    a system without the file) gives en-GB, the network's home.
    """
    return f"en-{_zone_countries().get(timezone, 'GB')}"


@cache
def _zone_countries() -> dict[str, str]:
    for folder in zoneinfo.TZPATH:
        table = Path(folder) / "zone.tab"
        if table.is_file():
            rows = (line.split("\t") for line in table.read_text().splitlines())
            return {row[2].strip(): row[0] for row in rows if len(row) >= 3 and row[0][:1] != "#"}
    return {}


def staff_id(provider_id: str) -> str:
    """A stable Slack-like user id for a provider's member of staff."""
    return "U0" + hashlib.sha1(provider_id.encode()).hexdigest()[:8].upper()


def channel_name(provider_id: str) -> str:
    return f"handovers-{provider_id}"[:80]


GENERAL = "C0GENERAL0"


def seed(fake: FakeSlack, network: Network, personas: list[Persona]) -> None:
    """Users and channels; idempotent, so a restart (or a changed network) keeps them right."""
    for persona in personas:
        fake.add_user(
            persona.id,
            name=persona.name.split()[0].lower(),
            real_name=persona.name,
            tz=network.network.timezone,
        )
    coordinators = [p.id for p in personas if p.role == "coordinator"]
    for provider in network.providers:
        if not provider.channel:
            continue
        fake.add_channel(
            provider.channel, name=channel_name(provider.id), members=[staff_id(provider.id)]
        )
    fake.add_channel(network.coordinators.channel, name="coordinators", members=coordinators)
    ours = [p.id for p in personas if p.team is None]
    fake.add_channel(GENERAL, name="general", members=ours)
    # Shared with the partners' own workspaces: the coordinators and the partners.
    partners = [p.id for p in personas if p.team is not None]
    fake.add_channel(SHARED, name="partners-shared", members=[*coordinators, *partners])
