"""Slack's side: signed requests to an app's ``POST /slack/events``, timed."""

from __future__ import annotations

import http.client
import json
import threading
import time

from sandbox import requests

SIGNING_SECRET = "bench-signing-secret"


class Sender:
    """Posts signed requests over a keep-alive connection per thread; returns what the app
    answered and how long the acknowledgement took."""

    def __init__(self, port: int, *, secret: str = SIGNING_SECRET, timeout: float = 30):
        self.port = port
        self.secret = secret
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def post(self, encoded: tuple[str, str]) -> tuple[int, dict, float]:
        body, content_type = encoded
        headers = {**requests.sign(body, secret=self.secret), "Content-Type": content_type}
        for attempt in (1, 2):
            connection = self._connection()
            started = time.perf_counter()
            try:
                connection.request("POST", "/slack/events", body=body.encode(), headers=headers)
                response = connection.getresponse()
                raw = response.read()
            except (http.client.HTTPException, ConnectionError):
                # The server closed an idle keep-alive connection: open another, once.
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
                continue
            took = time.perf_counter() - started
            answer = json.loads(raw) if raw.strip() else {}
            return response.status, answer, took
        raise AssertionError("unreachable")

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None
