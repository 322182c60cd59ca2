"""The bot (``app.py --http``) and the bare Bolt app, each in a process of its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cryptography.fernet import Fernet

from bench.client import SIGNING_SECRET

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A served app: its port, its process, its memory."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log: Path):
        self.name = name
        self.port = port
        self.log = log
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                url = f"http://127.0.0.1:{self.port}/healthz"
                with urllib.request.urlopen(url, timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer /healthz in {timeout:.0f} s")

    @property
    def pid(self) -> int:
        return self.popen.pid

    def pids(self) -> list[int]:
        """The process and its children (the workers, when it forks them)."""
        found = [self.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                found.append(int(stat.parent.name))
        return found

    def rss(self) -> int:
        """Resident memory in bytes (Linux /proc), of the process and its workers."""
        total = 0
        for pid in self.pids():
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            for line in lines:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        return total

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _env(fake, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    return {
        **env,
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start_bot(
    fake, *, database_url: str, workdir: Path, workers: int = 1, data_key: str | None = None
) -> Process:
    """The bot as it runs in production, on the network in ``workdir/network.yaml``;
    replicas share a database and ``data_key``."""
    port = free_port()
    env = _env(
        fake,
        DATABASE_URL=database_url,
        NETWORK_FILE=str(workdir / "network.yaml"),
        HANDOVER_DATA_KEYS=data_key or Fernet.generate_key().decode(),
    )
    argv = [sys.executable, "app.py", "--http", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        argv += ["--workers", str(workers)]
    log = workdir / f"bot-{port}.log"
    return Process(
        f"the bot ({workers} workers)" if workers > 1 else "the bot", argv, env, port, log
    )


def start_bare(fake, *, samples: Path, workdir: Path) -> Process:
    port = free_port()
    argv = [sys.executable, "-m", "bench.bare", str(samples), str(port)]
    return Process("bare Bolt", argv, _env(fake), port, workdir / "bare.log")
