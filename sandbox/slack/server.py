"""HTTP plumbing: a local server that turns requests into calls on the fake and back.

It knows URLs, headers and body encodings, nothing about Slack's rules.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from sandbox.serving import BackgroundServer

API_PREFIX = "/api/"
RESPONSE_URL_PREFIX = "/response/"
# Arguments that clients send as JSON text inside form fields; decoded so recorded calls
# and method code see structures (left as text if they do not parse).
JSON_TEXT_ARGS = ("blocks", "view", "attachments")


@dataclass
class Reply:
    status: int = 200
    # dict/list -> JSON, str -> plain text, bytes -> sent as they are with ``content_type``
    body: dict | list | str | bytes = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = ""


@dataclass(frozen=True)
class Request:
    """Any other request (uploads, files, the sandbox's pages): what a route needs."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


ApiHandler = Callable[[str, dict, str], Reply]  # (method, args, Authorization header)
ResponseUrlHandler = Callable[[str, dict], Reply]  # (url token, JSON payload)
OtherHandler = Callable[[Request], Reply]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a hung client must not keep the test process alive
    # The default backlog of 5 drops connections when an app's listener threads call at
    # once, and the client's TCP retry then stalls for a second.
    request_queue_size = 128

    def __init__(
        self,
        on_api: ApiHandler,
        on_response_url: ResponseUrlHandler,
        on_other: OtherHandler,
        port: int = 0,
    ):
        super().__init__(("127.0.0.1", port), _RequestHandler)  # port 0: any free port
        self.on_api = on_api
        self.on_response_url = on_response_url
        self.on_other = on_other


class Server(BackgroundServer):
    """An HTTP server on 127.0.0.1 and a free port, served from a daemon thread."""

    def __init__(
        self,
        on_api: ApiHandler,
        on_response_url: ResponseUrlHandler,
        on_other: OtherHandler | None = None,
        port: int = 0,
    ):
        super().__init__(
            _HTTPServer(
                on_api, on_response_url, on_other or (lambda request: Reply(404, "not_found")), port
            )
        )


class _RequestHandler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def do_POST(self) -> None:
        self._route()

    # slack_sdk always POSTs, but a browser or curl may GET a method with a query string.
    do_GET = do_POST

    def log_message(self, format: str, *args) -> None:
        pass  # keep test output clean; calls are recorded on the fake instead

    def _route(self) -> None:
        url = urlsplit(self.path)
        if url.path.startswith(API_PREFIX):
            method = url.path[len(API_PREFIX) :]
            args = parse_args(url.query, self.headers.get("Content-Type", ""), self._body())
            reply = self.server.on_api(method, args, self.headers.get("Authorization", ""))
        elif url.path.startswith(RESPONSE_URL_PREFIX):
            token = url.path[len(RESPONSE_URL_PREFIX) :]
            reply = self.server.on_response_url(token, _json_object(self._body()))
        else:
            request = Request(
                self.command, url.path, url.query, dict(self.headers.items()), self._body()
            )
            reply = self.server.on_other(request)
        self._send(reply)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply) -> None:
        if isinstance(reply.body, bytes):
            payload, content_type = reply.body, reply.content_type or "application/octet-stream"
        elif isinstance(reply.body, str):
            payload = reply.body.encode()
            content_type = reply.content_type or "text/plain; charset=utf-8"
        else:
            payload, content_type = json.dumps(reply.body).encode(), "application/json"
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        # The client may have given up waiting (a test of timeouts): it is gone, that is all.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(payload)


def parse_args(query: str, content_type: str, body: bytes) -> dict:
    """Merge query-string and body arguments, as Slack accepts both."""
    args: dict = dict(parse_qsl(query))
    if content_type.startswith("application/json"):
        args.update(_json_object(body))
    else:
        args.update(parse_qsl(body.decode("utf-8")))
    for key in JSON_TEXT_ARGS:
        if isinstance(args.get(key), str):
            args[key] = _try_json(args[key])
    return args


def _json_object(body: bytes) -> dict:
    parsed = _try_json(body.decode("utf-8") or "{}")
    return parsed if isinstance(parsed, dict) else {}


def _try_json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text
