"""A local HTTP server served from a daemon thread: what the stand-in Slack and the
stand-in GOV.UK Notify are each served by."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer


class BackgroundServer:
    """``httpd`` (on 127.0.0.1), answering from a daemon thread once started."""

    def __init__(self, httpd: ThreadingHTTPServer):
        self._httpd = httpd
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def _serve(self) -> None:
        # shutdown() waits up to one poll interval; the default 0.5 s would add half a
        # second to every test that starts a stand-in.
        self._httpd.serve_forever(poll_interval=0.01)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
