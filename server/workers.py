"""More than one core in HTTP mode: ``app.py --http --workers N``.

Pre-fork, as gunicorn does it, around the same waitress ``Server`` one process uses: the
parent binds the listening socket once and forks N workers; each builds a whole bot of its
own after the fork (engine, thread pools, scheduler, outbox worker) and serves the shared
socket, and the kernel hands each new connection to whichever worker accepts it first. The
scheduler and the outbox are already safe across replicas (leases, compare-and-set), so
they are safe across workers.

The parent only supervises: it replaces a worker that dies, passes SIGTERM and Ctrl-C on
to every worker and waits for them to finish what is in flight, and gives up, saying so,
when workers keep ending before they can serve.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import ConfigError
from server.web import SHUTDOWN_GRACE

log = logging.getLogger(__name__)

# Workers in a row that end before they serve (a database gone, a token revoked) before the
# parent stops starting more: a fault of the set-up, which another try will not fix.
START_FAILURES = 3
# A worker stopping may take a grace for its requests, one for waitress's threads and one
# for the listeners' work after ack(); past all three the parent stops waiting.
STOP_TIMEOUT = 3 * SHUTDOWN_GRACE + 5
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
POLL = 0.05  # seconds between the parent's looks at its workers

# What a worker runs, given its number and a function to call once it serves; its exit code.
Work = Callable[[int, Callable[[], None]], int]


def can_fork() -> bool:
    return hasattr(os, "fork")


def listen(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """The one listening socket every worker serves, bound before any is forked."""
    family, kind, proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"Cannot listen on {host}:{port} ({exc.strerror or exc}): choose another --port "
            "or stop what is using it."
        ) from None
    return sock


@dataclass
class Worker:
    index: int
    pid: int
    ready: bool = False


class Supervisor:
    """Forks ``count`` workers running ``work`` and keeps that many until told to stop."""

    def __init__(self, work: Work, *, count: int, stop_timeout: float = STOP_TIMEOUT):
        self.work = work
        self.count = count
        self.stop_timeout = stop_timeout
        self.workers: dict[int, Worker] = {}
        self.stopping = False
        self.failed_starts = 0
        self._respawn: list[tuple[float, int]] = []  # (when, worker number)

    def run(self) -> int:
        """Until SIGTERM or Ctrl-C; then 0 when every worker stopped cleanly, else 1.
        Raises ConfigError when workers keep ending before they serve."""
        # Workers say "serving" on one pipe; each holds the read end of another, whose only
        # writer is this process, so that a worker whose parent is gone sees it and stops.
        self._ready_r, self._ready_w = os.pipe()
        self._alive_r, self._alive_w = os.pipe()
        os.set_blocking(self._ready_r, False)
        previous = {sig: signal.signal(sig, self._stop) for sig in STOP_SIGNALS}
        try:
            # What the workers inherit from here stays put: the collector leaves it alone.
            gc.collect()
            gc.freeze()
            for index in range(1, self.count + 1):
                self._spawn(index)
            while not self.stopping:
                self._watch()
                time.sleep(POLL)
        finally:
            clean = self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for fd in (self._ready_r, self._ready_w, self._alive_r, self._alive_w):
                os.close(fd)
            gc.unfreeze()
        if self.failed_starts >= START_FAILURES:
            raise ConfigError(
                f"the workers kept ending before they could serve ({self.failed_starts} in a "
                "row); the lines above say why."
            )
        return 0 if clean else 1

    def _stop(self, *_signal) -> None:
        if not self.stopping:
            log.info("stopping: asking the workers to finish what is in flight")
        self.stopping = True

    # -- the workers' lives --------------------------------------------------------------

    def _spawn(self, index: int) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        # No stop signal may reach the new worker before it has put back the default
        # handlers: the inherited one would only set this object's flag, in its copy.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:
                self._be_worker(index)  # never returns
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        self.workers[pid] = Worker(index, pid)

    def _be_worker(self, index: int) -> None:
        code = 1
        try:
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            os.close(self._ready_r)
            os.close(self._alive_w)
            threading.Thread(target=_stop_when_orphaned, args=(self._alive_r,), daemon=True).start()
            code = self.work(index, self._say_ready)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            log.exception("worker %d failed", index)
        finally:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _say_ready(self) -> None:
        os.write(self._ready_w, f"{os.getpid()}\n".encode())

    def _watch(self) -> None:
        self._read_ready()
        for pid, status in _reap():
            worker = self.workers.pop(pid, None)
            if worker is None or self.stopping:
                continue
            how = _describe(status)
            if worker.ready:
                self.failed_starts = 0
                log.warning("worker %d (pid %d) %s; starting another", worker.index, pid, how)
                self._spawn(worker.index)
                continue
            self.failed_starts += 1
            log.error("worker %d (pid %d) %s before it could serve", worker.index, pid, how)
            if self.failed_starts >= START_FAILURES:
                self.stopping = True
                return
            # A moment's wait, growing, so that a fault that passes can pass.
            self._respawn.append((time.monotonic() + 0.5 * self.failed_starts, worker.index))
        now = time.monotonic()
        for due in [entry for entry in self._respawn if entry[0] <= now]:
            self._respawn.remove(due)
            self._spawn(due[1])

    def _read_ready(self) -> None:
        with contextlib.suppress(BlockingIOError):
            for line in os.read(self._ready_r, 4096).decode().split():
                worker = self.workers.get(int(line))
                if worker is not None:
                    worker.ready = True

    def _stop_all(self) -> bool:
        """SIGTERM to every worker, then wait for them; True when all stopped cleanly."""
        self._respawn.clear()
        for pid in list(self.workers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        clean = True
        deadline = time.monotonic() + self.stop_timeout
        while self.workers and time.monotonic() < deadline:
            for pid, status in _reap():
                worker = self.workers.pop(pid, None)
                # One told to stop while still starting had nothing in flight.
                if worker and _exit_code(status) not in (0, -signal.SIGTERM):
                    log.warning("worker %d (pid %d) %s", worker.index, pid, _describe(status))
                    clean = False
            time.sleep(POLL)
        for pid, worker in list(self.workers.items()):
            log.warning(
                "worker %d (pid %d) still running after %.0f s; killing it",
                worker.index,
                pid,
                self.stop_timeout,
            )
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            clean = False
        self.workers.clear()
        if clean:
            log.info("every worker stopped cleanly")
        return clean


def _stop_when_orphaned(alive: int) -> None:
    """In a worker: the parent gone (killed outright, say), stop as on SIGTERM."""
    while True:
        try:
            if not os.read(alive, 1):
                break
        except InterruptedError:
            continue
    log.warning("the supervising process is gone; stopping")
    os.kill(os.getpid(), signal.SIGTERM)


def _reap() -> list[tuple[int, int]]:
    """The workers that have ended since the last look: (pid, wait status)."""
    ended = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        ended.append((pid, status))
    return ended


def _exit_code(status: int) -> int:
    return os.waitstatus_to_exitcode(status)


def _describe(status: int) -> str:
    code = _exit_code(status)
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"
