"""The orchestrator's probes: ``GET /livez`` (the process answers) and ``GET /readyz`` (it
can do its work: the database answers, the outbox worker delivers, the scheduler ticks).

Liveness asks nothing of the database: a database outage must not get every replica
restarted, only taken out of the load balancer until it is back, which is readiness.
``GET /healthz`` (server/web.py) stays what it always was, for the checks that use it.
"""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from storage.db import database_answers

LIVEZ, READYZ = "/livez", "/readyz"
PATHS = (LIVEZ, READYZ)
UP, DOWN = "up", "down"


def readiness(app, engine: Engine) -> dict[str, str]:
    """Each part the bot needs, and whether it is ``up`` (else what it is instead)."""
    parts = {"database": UP if database_answers(engine) else DOWN}
    scheduler = getattr(app, "scheduler", None)
    if scheduler is not None:
        parts["scheduler"] = scheduler.health()
    bot = getattr(app, "bot", None)
    if bot is not None:
        worker = bot.outbox.worker
        parts["outbox_worker"] = UP if worker is not None and worker.running else DOWN
    return parts


def answer(path: str, app, engine: Engine, environ, start_response) -> list[bytes]:
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        start_response("405 Method Not Allowed", [("Allow", "GET, HEAD")])
        return [b""]
    if path == LIVEZ:
        return _json(start_response, True, {})
    parts = readiness(app, engine)
    return _json(start_response, all(state == UP for state in parts.values()), parts)


def _json(start_response, ok: bool, parts: dict[str, str]) -> list[bytes]:
    body = json.dumps({"ok": ok, **parts}).encode()
    status = "200 OK" if ok else "503 Service Unavailable"
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
         ("Cache-Control", "no-store")],
    )  # fmt: skip
    return [body]
