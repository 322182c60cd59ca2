"""``GET /metrics``: the bot's metrics in Prometheus's text format (docs/metrics.md).

With ``METRICS_TOKEN`` set, a scrape must carry ``Authorization: Bearer <token>``
(compared in constant time); without it the endpoint is open, for a network where only
Prometheus can reach it. With several workers (``PROMETHEUS_MULTIPROC_DIR``), whichever
worker a scrape reaches adds up every worker's counters from their files.
"""

from __future__ import annotations

import hmac
import logging

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from bot.clock import SystemClock
from bot.operations import metrics
from bot.operations.figures import Figures

log = logging.getLogger(__name__)

PATH = "/metrics"


class _ThisProcess(Collector):
    """The metrics this process keeps itself (single-process mode)."""

    def collect(self):
        yield from REGISTRY.collect()


def authorised(environ, token: str | None) -> bool:
    if not token:
        return True
    given = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, credentials = given.partition(" ")
    if scheme.lower() != "bearer":
        return False
    # WSGI hands headers over as latin-1 text; compare bytes, so no header can raise.
    return hmac.compare_digest(
        credentials.strip().encode("latin-1", "replace"), token.encode("utf-8")
    )


def registry(app, engine: Engine) -> CollectorRegistry:
    """What one scrape reads: the processes' metrics and the database's figures."""
    scrape = CollectorRegistry(auto_describe=False)
    if metrics.multiprocess():
        MultiProcessCollector(scrape)
    else:
        scrape.register(_ThisProcess())
    bot = getattr(app, "bot", None)
    scrape.register(Figures(engine, bot.clock if bot is not None else SystemClock()))
    return scrape


def scrape(app, engine: Engine, environ, start_response) -> list[bytes]:
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        start_response("405 Method Not Allowed", [("Allow", "GET, HEAD")])
        return [b""]
    if not authorised(environ, getattr(app, "metrics_token", None)):
        log.warning("metrics: refused a scrape without the right METRICS_TOKEN")
        start_response(
            "401 Unauthorized",
            [("WWW-Authenticate", 'Bearer realm="metrics"'), ("Content-Type", "text/plain")],
        )
        return [b"METRICS_TOKEN required\n"]
    body = generate_latest(registry(app, engine))
    start_response(
        "200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))]
    )
    return [body]
