"""A new sandbox in the browser already has a network's weeks behind it: the digest shows."""

from __future__ import annotations

import io
import re
import threading

import pytest

from sandbox.run import Sandbox
from tests.sandbox.browser import be, open_channel, type_in_composer

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect
Image = pytest.importorskip("PIL.Image")

COORDINATOR = "U0COORD001"


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example network, a fresh .sandbox/
    monkeypatch.delenv("NETWORK_FILE", raising=False)
    running = Sandbox(port=0, folder=tmp_path / ".sandbox")
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    yield running
    running.stop()
    thread.join(timeout=15)


def test_the_coordinators_digest_on_a_new_sandbox_has_figures_and_a_chart(browser, sandbox):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(sandbox.url)
    be(page, COORDINATOR)
    open_channel(page, "coordinators")
    type_in_composer(page, "/handover digest")

    digest = page.locator("#message-list [data-testid=message]").filter(has_text="Handover digest")
    expect(digest.last).to_be_visible(timeout=15_000)
    text = digest.last.inner_text()
    for figure in ("Raised", "Accepted", "Declined"):
        found = re.search(rf"{figure}\s+(\d+)", text)
        assert found and int(found.group(1)) > 0, f"{figure}: {text}"

    # The chart is in the digest's thread, and it is a chart, not a blank image.
    digest.last.get_by_role("button", name=re.compile("open the thread")).click()
    chart = page.locator("#thread-replies img.file-image").first
    expect(chart).to_be_visible(timeout=15_000)
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    png = page.request.get(chart.evaluate("(img) => img.src")).body()
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 16
    context.close()
    assert not errors, f"the page raised: {errors}"
