"""python -m bench [--quick] [--sizes 10000,100000,1000000] [--json results.json]"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import latency, load, report, scale
from bench.databases import fresh_database, postgres_unreachable
from bench.fake import TimedFake
from bench.network import BenchNetwork

SECTIONS = ("latency", "load", "scale")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a minute or so")
    parser.add_argument("--sizes", help="handovers in the database for the scale questions")
    parser.add_argument(
        "--sqlite-max",
        type=int,
        default=100_000,
        help="largest scale size also run on SQLite (larger: PostgreSQL only; default 100000)",
    )
    parser.add_argument("--backends", default="sqlite,postgresql", help="databases to use")
    parser.add_argument("--handovers", type=int, help="handovers for the latency comparison")
    parser.add_argument("--load", type=int, help="handovers per throughput run")
    parser.add_argument("--advisers", default="8,32", help="concurrent advisers to run")
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections to run")
    parser.add_argument("--json", type=Path, default=Path("bench-results.json"))
    parser.add_argument(
        "--profile", action="store_true", help="print a pyinstrument profile of each digest"
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    sizes = [int(s) for s in (args.sizes or ("1000,10000" if args.quick else "")).split(",") if s]
    sizes = sizes or [10_000, 100_000, 1_000_000]
    handovers = args.handovers or (20 if args.quick else 200)
    per_run = args.load or (48 if args.quick else 400)
    sections = set(args.only.split(","))
    backends = [b for b in args.backends.split(",") if b]
    notes = []
    if "postgresql" in backends and (why := postgres_unreachable()):
        backends.remove("postgresql")
        notes.append(f"PostgreSQL skipped: {why}")
    results: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "latency": {},
        "load": [],
        "scale": [],
        "notes": notes,
    }
    net = BenchNetwork(providers=40, advisers=32)
    with tempfile.TemporaryDirectory(prefix="bench-") as folder, TimedFake() as fake:
        workdir = Path(folder)
        (workdir / "network.yaml").write_text(net.yaml())
        net.seed(fake)
        if "latency" in sections:
            backend = backends[0]
            _say(f"latency: {handovers} handovers on the bot and on bare Bolt ({backend})")
            with fresh_database(backend, workdir, "latency") as url:
                results["latency"][backend] = latency.measure(
                    fake, net, database_url=url, workdir=workdir, handovers=handovers
                )
            fake.forget()
        if "load" in sections:
            for backend in backends:
                for advisers in [int(a) for a in args.advisers.split(",")]:
                    _say(f"throughput: {advisers} advisers, {per_run} handovers ({backend})")
                    with fresh_database(backend, workdir, "load") as url:
                        run_ = load.measure(
                            fake,
                            net,
                            database_url=url,
                            workdir=workdir,
                            advisers=advisers,
                            handovers=per_run,
                        )
                    results["load"].append({"backend": backend, **run_})
                    fake.forget()
        if "scale" in sections:
            for size in sizes:
                for backend in backends:
                    if backend == "sqlite" and size > args.sqlite_max and len(backends) > 1:
                        notes.append(
                            f"{size:,} handovers on PostgreSQL only (--sqlite-max "
                            f"{args.sqlite_max:,}): generating them in SQLite takes minutes."
                        )
                        continue
                    _say(f"scale: {size:,} handovers ({backend})")
                    results["scale"].append(
                        scale.measure(
                            fake,
                            backend=backend,
                            size=size,
                            workdir=workdir,
                            profile=args.profile,
                        )
                    )
                    fake.forget()
    return results


def _say(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(argv)
    results = run(args)
    print(report.render(results))
    args.json.write_text(json.dumps(results, indent=2))
    print(f"\n(and as JSON in {args.json})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
