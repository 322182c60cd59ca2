"""A browser on the sandbox's static files: the page serves over HTTP (ES modules need it)."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sandbox.run import Sandbox

STATIC = Path(__file__).resolve().parents[2] / "sandbox" / "static"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep test output clean
        pass


@pytest.fixture(scope="session")
def static_url():
    handler = functools.partial(_QuietHandler, directory=str(STATIC))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    if not CHROMIUM.exists():
        pytest.skip(f"no system Chromium at {CHROMIUM}; these tests never download a browser")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def _demo_page(browser, static_url):
    """One demo page per module (a fresh page costs most of a second on a slow machine)."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-US", reduced_motion="reduce"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{static_url}/blockkit-demo.html")
    page.wait_for_function("() => window.BK !== undefined")
    yield page, errors
    context.close()


@pytest.fixture
def page(_demo_page):
    """The demo page, emptied, with window.BK loaded and a recorder for what the user did."""
    page, errors = _demo_page
    errors.clear()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.evaluate(
        """() => {
            document.querySelectorAll('dialog').forEach((d) => d.remove());
            document.getElementById('root').replaceChildren();
            document.getElementById('log').replaceChildren();
            document.activeElement?.blur();
            delete window.pwned;
            window.seen = {actions: [], submitted: [], closed: 0};
            window.recorder = (extra = {}) => ({
                ...extra,
                onAction: (action) => window.seen.actions.push(action),
                onSubmit: (values) => window.seen.submitted.push(values),
                onClose: () => { window.seen.closed += 1; },
            });
        }"""
    )
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example network, a fresh .sandbox/
    monkeypatch.delenv("NETWORK_FILE", raising=False)
    # The bare workflow from HO-0001: the demo's history has its own tests (test_history.py).
    running = Sandbox(port=0, folder=tmp_path / ".sandbox", history=False)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    yield running
    running.stop()
    thread.join(timeout=15)


@pytest.fixture
def tab(browser, sandbox):
    # The browser's own locale is en-US: what the page shows must be the network's anyway.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(sandbox.url)
    yield page
    context.close()
    assert not errors, f"the page raised: {errors}"
