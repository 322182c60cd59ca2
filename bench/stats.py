"""Percentiles and the process figures the report shows."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from bot.followup.digest.figures import (
    percentile,  # linear between closest ranks, as the digest reports
)


def summary(values: Sequence[float]) -> dict:
    """Median, p95, p99 and the count, in milliseconds."""
    ms = [v * 1000 for v in values]
    return {
        "n": len(ms),
        "median_ms": _round(percentile(ms, 0.5)),
        "p95_ms": _round(percentile(ms, 0.95)),
        "p99_ms": _round(percentile(ms, 0.99)),
        "max_ms": _round(max(ms) if ms else None),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def cpu_seconds(*pids: int) -> float:
    """User plus system CPU time the processes have used (those gone count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (the bench's server is local)."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in ("postgres", "postmaster"):
                found.append(int(comm.parent.name))
        except OSError:
            continue
    return found


class PeakMemory:
    """Samples a process's RSS every ``every`` seconds while in the ``with`` block."""

    def __init__(self, process, every: float = 0.1):
        self.process = process
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.process.rss())
            except OSError:
                return
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
