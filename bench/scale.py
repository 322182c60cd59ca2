"""How cost grows with the network: the same questions asked of 10k, 100k and 1M handovers."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet

from bench import generate
from bench.databases import fresh_database
from bench.fake import TimedFake
from bench.network import COORDINATOR, BenchNetwork
from bot.blocks.replies import status_message
from bot.directory.network import parse_network
from bot.followup.digest.figures import compute_digest, last_full_week
from bot.followup.digest.spreadsheet import week_csv
from bot.handover.referral import ReferralForm, check_referral
from handlers.events import publish_home
from server.factory import create_app, make_client
from storage.db import make_engine, upgrade

PROVIDERS = 200  # a very large network
OPERATIONS = {
    "tick": "scheduler tick (what is due)",
    "digest": "weekly digest: figures",
    "digest_csv": "weekly digest: CSV of the week",
    "home_provider": "App Home, busiest provider",
    "home_coordinator": "App Home, coordinator",
    "status": "/handover status",
    "next": "form Next (suggestions, earlier handovers)",
    "send": "choice Send (handover raised)",
}


class FixedClock:
    def now(self):
        return generate.NOW


def timed(work: Callable[[], object], *, budget: float = 6.0, runs: int = 5) -> float:
    """Median seconds of up to ``runs`` runs after a first (warming) one, within ``budget``."""
    started = time.perf_counter()
    work()
    first = time.perf_counter() - started
    times: list[float] = []
    while len(times) < runs and time.perf_counter() - started + first < budget:
        t = time.perf_counter()
        work()
        times.append(time.perf_counter() - t)
    times = sorted(times) or [first]
    return times[len(times) // 2]


def measure(
    fake: TimedFake, *, backend: str, size: int, workdir: Path, profile: bool = False
) -> dict:
    net = BenchNetwork(providers=PROVIDERS, advisers=4)
    net.seed(fake)
    network = parse_network(net.yaml(), source="bench network")
    key = Fernet.generate_key().decode()
    with fresh_database(backend, workdir, f"scale{size}") as url:
        engine = make_engine(url, data_keys=[key])
        upgrade(engine)
        client = make_client(fake.bot_token, fake.api_url)
        app = create_app(network=network, engine=engine, client=client, clock=FixedClock())
        bot = app.bot
        started = time.perf_counter()
        providers = [(net.provider_id(i), net.channel(i)) for i in range(PROVIDERS)]
        rows = generate.Rows(size, providers, data_key=key, working_time=bot.handovers.working_time)
        generate.write(engine, rows)
        generated = time.perf_counter() - started

        start, end = last_full_week(generate.NOW, network.network.timezone)

        def digest() -> None:
            with bot.handovers.sessions() as session:
                compute_digest(
                    session,
                    start=start,
                    end=end,
                    network=network,
                    working_time=bot.handovers.working_time,
                    now=generate.NOW,
                )

        def digest_csv() -> None:
            with bot.handovers.sessions() as session:
                week_csv(session, start=start, end=end, network=network)

        def status() -> None:
            found = bot.handovers.status(size // 2, user_id=COORDINATOR)
            status_message(found, network, can_reopen=True)

        residents = iter(range(10**9))

        def referral():
            # A new resident each time, as a borough's advisers refer them.
            form = ReferralForm(
                needs=["cv"],
                name=f"Scale Resident {next(residents)}",
                phone="07911 123456",
                district="NW1",
                age_band="25-29",
                language="English",
                context="Looking for warehouse work.",
                organisation="Kentish Town Job Club",
                consent=True,
            )
            return check_referral(form, network)

        def next_step() -> None:
            asked = referral()
            bot.handovers.suggest(asked)
            bot.handovers.earlier_handovers(asked, user_id=net.adviser(0))

        sends = iter(range(10**9))
        # Send as the request does it (its card and DM are written to the outbox in its
        # transaction); delivering them is the outbox's, not Send's.
        bot.handovers.committed = None

        def send() -> None:
            asked = referral()
            bot.handovers.earlier_handovers(asked, user_id=net.adviser(0))
            bot.handovers.raise_handover(
                asked, adviser_id=net.adviser(0), request_key=f"scale-send-{next(sends)}"
            )

        if profile:
            _profile(digest, f"digest figures, {size:,} handovers on {backend}")
            _profile(digest_csv, f"digest CSV, {size:,} handovers on {backend}")
            _profile(send, f"choice Send, {size:,} handovers on {backend}")
        before = len(fake.timed)
        seconds = {
            "tick": timed(lambda: app.scheduler.tick(generate.NOW)),
            "digest": timed(digest, budget=15.0, runs=3),
            "digest_csv": timed(digest_csv, budget=15.0, runs=3),
            "home_provider": timed(lambda: publish_home(bot, client, net.staff(0))),
            "home_coordinator": timed(lambda: publish_home(bot, client, COORDINATOR)),
            "status": timed(status),
            "next": timed(next_step, runs=15),
            "send": timed(send, runs=15),
        }
        # The tick had nothing due: it must not have said anything.
        said = [c.method for c in fake.timed[before:] if c.method.startswith("chat.")]
        engine.dispose()
    return {
        "backend": backend,
        "handovers": size,
        "generate_seconds": round(generated, 1),
        "ms": {name: round(s * 1000, 2) for name, s in seconds.items()},
        "tick_said": len(said),
    }


def _profile(work: Callable[[], object], title: str, runs: int = 10) -> None:
    """pyinstrument's view of ``runs`` runs after a warming one, on stderr (``pip install
    -e '.[bench]'``): the steady state the medians measure, not the first run's caches."""
    from pyinstrument import Profiler

    work()
    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(runs):
            work()
    print(f"--- profile: {title}, {runs} runs", file=sys.stderr)
    print(profiler.output_text(unicode=True, color=False), file=sys.stderr)
