"""A generated network: providers with channels and staff, advisers, coordinators."""

from __future__ import annotations

from dataclasses import dataclass

SERVICES = {
    "cv": "CV and job applications",
    "interview": "Interview practice",
    "esol": "English language (ESOL)",
    "digital": "Digital skills",
    "youth": "Youth employment",
    "training": "Training and qualifications",
}
COORDINATOR = "UBCOORD01"
COORD_CHANNEL = "C0BCOORD1"
GENERAL = "C0BGENER1"


@dataclass(frozen=True)
class BenchNetwork:
    providers: int
    advisers: int

    def provider_id(self, i: int) -> str:
        return f"p{i:03d}"

    def channel(self, i: int) -> str:
        return f"C0BP{i:05d}"

    def staff(self, i: int) -> str:
        return f"UBSTAFF{i:03d}"

    def adviser(self, i: int) -> str:
        return f"UBADV{i:04d}"

    @property
    def staff_by_channel(self) -> dict[str, str]:
        return {self.channel(i): self.staff(i) for i in range(self.providers)}

    def yaml(self) -> str:
        services = "\n".join(f"  {key}: {label}" for key, label in SERVICES.items())
        keys = list(SERVICES)
        providers = []
        for i in range(self.providers):
            # Every provider offers cv (what the bench refers for) and two others.
            offered = ["cv", keys[1 + i % 5], keys[1 + (i + 2) % 5]]
            providers.append(
                f"  - id: {self.provider_id(i)}\n"
                f"    name: Bench Provider {i:03d}\n"
                f"    channel: {self.channel(i)}\n"
                f"    services: [{', '.join(dict.fromkeys(offered))}]\n"
            )
        return (
            "network:\n  name: Bench Network\n  timezone: Europe/London\n"
            '  working_hours: "Mon-Fri 09:00-17:00"\n'
            f"services:\n{services}\n"
            f"providers:\n{''.join(providers)}"
            f"coordinators:\n  channel: {COORD_CHANNEL}\n  users: [{COORDINATOR}]\n"
        )

    def seed(self, fake) -> None:
        """The network's people and channels in the fake workspace."""
        everyone = [self.adviser(i) for i in range(self.advisers)]
        for user in everyone:
            fake.add_user(user, name=user.lower())
        for i in range(self.providers):
            fake.add_user(self.staff(i), name=self.staff(i).lower())
            fake.add_channel(self.channel(i), name=f"handovers-p{i:03d}", members=[self.staff(i)])
        fake.add_user(COORDINATOR, name="coordinator")
        fake.add_channel(COORD_CHANNEL, name="coordinators", members=[COORDINATOR])
        fake.add_channel(GENERAL, name="general", members=everyone)
