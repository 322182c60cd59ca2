"""The benchmark runs, end to end, at tiny sizes: it cannot rot unnoticed.

Its figures are not checked here (the machine decides them); what is checked is that every
section ran, that the bot and bare Bolt both answered, and that nothing was lost or doubled.
"""

import json

from bench.__main__ import main


def test_the_benchmark_runs_at_tiny_sizes(tmp_path, capsys):
    out = tmp_path / "results.json"
    argv = ["--backends", "sqlite", "--sizes", "300", "--handovers", "10", "--load", "6"]
    assert main([*argv, "--advisers", "3", "--json", str(out)]) == 0

    results = json.loads(out.read_text())
    steps = results["latency"]["sqlite"]["steps"]
    assert set(steps) == {"command", "next", "send", "accept"}
    for step in steps.values():
        assert step["bot"]["n"] == step["bare"]["n"] == 10
        assert step["ratio_median"] > 0
    assert results["latency"]["sqlite"]["card"]["bot"]["n"] == 10
    (run,) = results["load"]
    assert run["completed"] == 6 and run["check"]["ok"], run
    assert run["memory"]["bot_peak_bytes"] > 0
    (scale,) = results["scale"]
    assert scale["handovers"] == 300 and scale["tick_said"] == 0
    assert all(ms > 0 for ms in scale["ms"].values())
    table = capsys.readouterr().out
    assert "bare Bolt" in table and "none lost or doubled" in table
