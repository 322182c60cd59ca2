"""The results as a table a person reads (the JSON beside it holds the same figures)."""

from __future__ import annotations

from bench.latency import STEPS
from bench.scale import OPERATIONS


def _ms(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _dash(value) -> str:
    return "-" if value is None else str(value)


def _mb(value) -> str:
    return f"{value / 1e6:.0f} MB" if value else "-"


def _row(cells, widths) -> str:
    return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"


def table(head: list[str], rows: list[list]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    lines = [_row(head, widths), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    return "\n".join([*lines, *(_row(r, widths) for r in rows)])


def render(results: dict) -> str:
    out = [f"Benchmark of {results['date']} on {results['machine']}", ""]
    for backend, latency in results.get("latency", {}).items():
        out.append(f"Acknowledgement latency, one request at a time ({backend}), ms")
        rows = []
        for step, label in STEPS.items():
            s = latency["steps"][step]
            bot, bare = s["bot"], s["bare"]
            rows.append(
                [
                    label,
                    f"{_ms(bot['median_ms'])} / {_ms(bot['p95_ms'])} / {_ms(bot['p99_ms'])}",
                    f"{_ms(bare['median_ms'])} / {_ms(bare['p95_ms'])} / {_ms(bare['p99_ms'])}",
                    f"{s['ratio_median']}x / {s['ratio_p95']}x / {s['ratio_p99']}x",
                ]
            )
        card = latency["card"]
        rows.append(
            [
                "Send to provider card (median / p95)",
                f"{_ms(card['bot']['median_ms'])} / {_ms(card['bot']['p95_ms'])}",
                f"{_ms(card['bare']['median_ms'])} / {_ms(card['bare']['p95_ms'])}",
                "",
            ]
        )
        head = ["request", "bot med / p95 / p99", "bare Bolt med / p95 / p99", "ratio"]
        memory = latency["memory"]
        out += [
            table(head, rows),
            f"Memory (RSS) idle: bot {_mb(memory['bot_idle_bytes'])}, "
            f"bare Bolt {_mb(memory['bare_idle_bytes'])}",
            "",
        ]
    if results.get("load"):
        out.append(
            "Throughput, end to end (/handover, Next, Send, card at Slack); counted after "
            "the outbox drained"
        )
        rows = []
        for run in results["load"]:
            acks, card, check = run["acks"], run["card"], run["check"]
            if run.get("mode") == "open":
                load_ = f"open {run['rate']:g}/s"
            else:
                load_ = f"{run['advisers']} advisers"
            served = (
                f"{run['replicas']} replicas"
                if run.get("replicas", 1) > 1
                else f"{run.get('workers', 1)} worker" + ("s" if run.get("workers", 1) > 1 else "")
            )
            steps = run.get("acks_by_step", {})
            rows.append(
                [
                    run["backend"],
                    load_,
                    served,
                    f"{run['completed']}/{run['attempted']}",
                    _dash(run.get("answered_per_second")),
                    run["per_second"],
                    f"{_ms(acks['median_ms'])} / {_ms(acks['p99_ms'])}",
                    _ms((steps.get("send") or {}).get("median_ms")),
                    f"{_ms(card['median_ms'])} / {_ms(card['p95_ms'])}",
                    run["bot_cpu_ms_per_handover"],
                    _dash(run.get("postgres_cpu_ms_per_handover")),
                    _dash(run.get("transactions_per_handover")),
                    f"{_mb(run['memory']['bot_idle_bytes'])} -> "
                    f"{_mb(run['memory']['bot_peak_bytes'])}",
                    f"yes ({check.get('posts', '?')} posts, {check.get('dms', '?')} DMs)"
                    if check["ok"]
                    else f"NO {check}",
                ]
            )
        head = [
            "database",
            "load",
            "served by",
            "done",
            "answered/s",
            "carried/s",
            "ack med / p99 ms",
            "Send ack med",
            "card med / p95 ms",
            "bot CPU ms/ho",
            "PG CPU ms/ho",
            "DB xacts/ho",
            "bot RSS idle -> peak",
            "none lost or doubled",
        ]
        out += [table(head, rows), ""]
    if results.get("scale"):
        out.append("Scale: milliseconds per question (median of repeated runs)")
        runs = results["scale"]
        head = ["question", *(f"{r['backend']} {r['handovers']:,}" for r in runs)]
        rows = [[label, *(_ms(r["ms"][op]) for r in runs)] for op, label in OPERATIONS.items()]
        rows.append(["(generating the data, s)", *(r["generate_seconds"] for r in runs)])
        out += [table(head, rows), ""]
    for note in results.get("notes", []):
        out.append(f"Note: {note}")
    return "\n".join(out)
