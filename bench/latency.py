"""Acknowledgement latency of the bot, next to bare Bolt doing the minimum, one request at a
time; and submission to provider card."""

from __future__ import annotations

import json
from pathlib import Path

from bench.client import Sender
from bench.fake import TimedFake
from bench.flows import Flow
from bench.network import BenchNetwork
from bench.servers import start_bare, start_bot
from bench.stats import summary

STEPS = {
    "command": "/handover (modal opens)",
    "next": "form Next (choice modal)",
    "send": "choice Send (handover raised)",
    "accept": "Accept click (modal opens)",
    "accept_submit": "Accept submitted (handover accepted)",
}
BLOCK = 10  # handovers in a row on one app before switching to the other


def measure(
    fake: TimedFake, net: BenchNetwork, *, database_url: str, workdir: Path, handovers: int
) -> dict:
    with start_bot(fake, database_url=database_url, workdir=workdir) as bot:
        ours = Flow(fake, Sender(bot.port), channels=net.staff_by_channel)
        # The first handover warms the bot up, and shows what the floor must say.
        samples = ours.handover(net.adviser(0), accept=True, samples=True).samples
        (workdir / "samples.json").write_text(json.dumps(samples))
        with start_bare(fake, samples=workdir / "samples.json", workdir=workdir) as bare:
            floor = Flow(fake, Sender(bare.port), channels=net.staff_by_channel)
            floor.handover(net.adviser(0), accept=True)
            runs: dict[str, list] = {"bot": [], "bare": []}
            # Interleaved, so drift on the machine touches both alike.
            for block in range(max(1, handovers // BLOCK)):
                adviser = net.adviser(block % net.advisers)
                for name, flow in (("bot", ours), ("bare", floor)):
                    runs[name] += [flow.handover(adviser, accept=True) for _ in range(BLOCK)]
            memory = {"bot_idle_bytes": bot.rss(), "bare_idle_bytes": bare.rss()}
    result: dict = {"steps": {}, "memory": memory}
    for step, label in STEPS.items():
        bot_acks = summary([t.acks[step] for t in runs["bot"]])
        bare_acks = summary([t.acks[step] for t in runs["bare"]])
        result["steps"][step] = {
            "label": label,
            "bot": bot_acks,
            "bare": bare_acks,
            "ratio_median": _ratio(bot_acks["median_ms"], bare_acks["median_ms"]),
            "ratio_p95": _ratio(bot_acks["p95_ms"], bare_acks["p95_ms"]),
            "ratio_p99": _ratio(bot_acks["p99_ms"], bare_acks["p99_ms"]),
        }
    result["card"] = {
        "bot": summary([t.card for t in runs["bot"]]),
        "bare": summary([t.card for t in runs["bare"]]),
    }
    return result


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None
