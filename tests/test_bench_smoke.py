"""The benchmark runs, end to end, at tiny sizes: it cannot rot unnoticed.

Its figures are not checked here (the machine decides them); what is checked is that every
section ran, that the bot and bare Bolt both answered, and that nothing was lost or doubled.
"""

import json
import subprocess
import sys

from bench.__main__ import main


def test_the_benchmark_runs_at_tiny_sizes(tmp_path, capsys):
    out = tmp_path / "results.json"
    argv = ["--backends", "sqlite", "--sizes", "300", "--handovers", "10", "--load", "6"]
    runs = ["--workers", "1,2", "--replicas", "2", "--rates", "10"]
    assert main([*argv, *runs, "--advisers", "3", "--json", str(out)]) == 0

    results = json.loads(out.read_text())
    steps = results["latency"]["sqlite"]["steps"]
    assert set(steps) == {"command", "next", "send", "accept", "accept_submit"}
    for step in steps.values():
        assert step["bot"]["n"] == step["bare"]["n"] == 10
        assert step["ratio_median"] > 0
    assert results["latency"]["sqlite"]["card"]["bot"]["n"] == 10
    served = [(r["mode"], r["workers"], r["replicas"]) for r in results["load"]]
    assert served == [("closed", 1, 1), ("closed", 2, 1), ("closed", 1, 2), ("open", 2, 1)]
    for run in results["load"]:
        assert run["completed"] == run["attempted"] and run["check"]["ok"], run
        # Every card and DM counted after the outbox drained, once each.
        assert run["check"]["posts"] >= 2 * run["completed"] and run["check"]["dms"] > 0
        assert run["memory"]["bot_peak_bytes"] > 0
    (scale,) = results["scale"]
    assert scale["handovers"] == 300 and scale["tick_said"] == 0
    assert all(ms > 0 for ms in scale["ms"].values())
    table = capsys.readouterr().out
    assert "bare Bolt" in table and "none lost or doubled" in table


def test_the_floor_is_bare_bolt_and_nothing_of_the_bot():
    code = (
        "import sys, bench.bare; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sqlalchemy', 'sqlmodel', 'bot', 'server', 'handlers', 'storage'}))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"
