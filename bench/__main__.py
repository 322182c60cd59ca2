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
    parser.add_argument(
        "--workers", default="1,2", help="app.py --workers N for the closed-loop runs"
    )
    parser.add_argument(
        "--replicas", type=int, default=2, help="also run this many replicas (0: not)"
    )
    parser.add_argument(
        "--rates", default="20,40,60", help="open-loop arrivals, referrals a second"
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections to run")
    parser.add_argument("--json", type=Path, default=Path("bench-results.json"))
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print pyinstrument profiles of the digest, its CSV and Send at each size",
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    sizes = [int(s) for s in (args.sizes or ("1000,10000" if args.quick else "")).split(",") if s]
    sizes = sizes or [10_000, 100_000, 1_000_000]
    handovers = args.handovers or (20 if args.quick else 100)
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
            for backend in backends:
                _say(f"latency: {handovers} handovers on the bot and on bare Bolt ({backend})")
                with fresh_database(backend, workdir, "latency") as url:
                    results["latency"][backend] = latency.measure(
                        fake, net, database_url=url, workdir=workdir, handovers=handovers
                    )
                fake.forget()
        if "load" in sections:
            for run_args in _load_runs(args, backends):
                backend = run_args.pop("backend")
                _say(f"throughput: {_describe(run_args)} ({backend})")
                with fresh_database(backend, workdir, "load") as url:
                    run_ = load.measure(fake, net, database_url=url, workdir=workdir, **run_args)
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


def _load_runs(args: argparse.Namespace, backends: list[str]) -> list[dict]:
    """Closed loop for each number of advisers (one worker), then the most advisers with
    each other number of workers and with replicas; open loop at each rate, with the most
    workers. The database's transactions are counted on the busiest single-worker run.
    Workers, replicas and the open loop run on PostgreSQL (where several processes write
    at once; SQLite takes one writer at a time), or on SQLite when it is all there is."""
    per_run = args.load or (48 if args.quick else 150)
    advisers = [int(a) for a in args.advisers.split(",") if a]
    workers = [int(w) for w in args.workers.split(",") if w]
    rates = [float(r) for r in args.rates.split(",") if r]
    if args.quick:
        rates = rates[:1]
    multi = "postgresql" if "postgresql" in backends else backends[0]
    runs = []
    for backend in backends:
        for n in advisers:
            runs.append(
                {
                    "backend": backend,
                    "advisers": n,
                    "handovers": per_run,
                    "count_transactions": n == max(advisers),
                }
            )
        if backend != multi:
            continue
        for w in workers:
            if w > 1:
                runs.append(
                    {
                        "backend": backend,
                        "advisers": max(advisers),
                        "handovers": per_run,
                        "workers": w,
                    }
                )
        if args.replicas > 1:
            runs.append(
                {
                    "backend": backend,
                    "advisers": max(advisers),
                    "handovers": per_run,
                    "replicas": args.replicas,
                }
            )
        for rate in rates:
            runs.append(
                {
                    "backend": backend,
                    "advisers": max(advisers),
                    "handovers": max(per_run // 2, int(rate * 4)),
                    "workers": max(workers),
                    "rate": rate,
                }
            )
    return runs


def _describe(run: dict) -> str:
    if run.get("rate"):
        how = f"open loop, {run['rate']:g} a second"
    else:
        how = f"{run['advisers']} advisers"
    where = (
        f"{run['replicas']} replicas"
        if run.get("replicas", 1) > 1
        else (f"{run.get('workers', 1)} worker" + ("s" if run.get("workers", 1) > 1 else ""))
    )
    return f"{how}, {run['handovers']} handovers, {where}"


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
