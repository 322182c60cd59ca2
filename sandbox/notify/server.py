"""HTTP plumbing: a local threaded server that hands each request to the fake and back.

It knows sockets, headers and JSON, nothing about Notify's rules. A handler may answer
``DROP`` to close the connection without a reply, as an unreachable Notify would.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from sandbox.serving import BackgroundServer


@dataclass
class Reply:
    status: int = 200
    body: dict | list = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


DROP = object()  # answer nothing and close the connection
Handler = Callable[[Request], object]  # returns a Reply or DROP


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a hung client must not keep the test process alive
    request_queue_size = 128  # the default 5 drops connections when a bot's workers send at once

    def __init__(self, handler: Handler, port: int):
        super().__init__(("127.0.0.1", port), _RequestHandler)  # port 0: any free port
        self.handler = handler


class Server(BackgroundServer):
    """An HTTP server on 127.0.0.1, served from a daemon thread."""

    def __init__(self, handler: Handler, port: int = 0):
        super().__init__(_HTTPServer(handler, port))


class _RequestHandler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def do_GET(self) -> None:
        self._route()

    do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args) -> None:
        pass  # request lines carry residents' details in query strings; never log them

    def _route(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            self.command, url.path, parse_qs(url.query), dict(self.headers.items()), body
        )
        reply = self.server.handler(request)
        if reply is DROP:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)  # the client sees the connection close, unanswered
            return
        assert isinstance(reply, Reply)
        payload = json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        # The client may have given up waiting (a test of timeouts): it is gone, that is all.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(payload)
