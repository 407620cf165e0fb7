"""Browser tests: the app served in-process on 127.0.0.1, Debian's Chromium driven by Playwright.

The live server shares the session `app` (and so its database and migrated schema) with the rest of the
suite, with the rule settings shortened for the duration of a test so a whole auction runs in real time:
the countdown in the page runs from the server's clock, so the clock is never frozen here.
Screenshots go to test-artifacts/e2e/<database>/ (a parametrized run's to test-artifacts/e2e/<database>/<run>/).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from trading import clock

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"

# Short rule windows (seconds) for the live flow; restored after each test.
FAST_RULES = {
    "TRADING_MIN_ANNOUNCEMENT_SECONDS": 5,
    "TRADING_PUBLICITY_SECONDS": 3,
    "TRADING_DEFAULT_EXTENSION_SECONDS": 6,
}

@pytest.fixture
def live(app):
    """Serve `app` on a free port in a background thread with the short rule settings."""
    from certificates import keys

    saved = {k: app.config[k] for k in FAST_RULES}
    app.config.update(FAST_RULES)
    clock.freeze(None)
    with app.app_context():
        keys.init_keys(app.config["TRADING_CENTER_NAME"])  # idempotent: the certificate signing keys
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        app.config.update(saved)


@pytest.fixture
def playwright_browser():
    """Per test: sync_playwright keeps an asyncio loop running in this thread until it exits, which would
    break later tests that call asyncio.run() (pyHanko's signature checks)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: `make install` installs Debian's chromium (as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield pw, browser
        finally:
            browser.close()


class Shots:
    """Numbered screenshots of each step; optionally also at the other width, checking for overflow."""

    def __init__(self, app, run: str | None = None):
        """`run` names a parametrized run: its screenshots go to their own folder <database>/<run>/, so the runs
        of one test do not overwrite (or clear) each other's."""
        from trading.extensions import db

        with app.app_context():
            dialect = db.engine.dialect.name
        self.dir = ARTIFACTS / dialect / run if run else ARTIFACTS / dialect
        self.prefix = f"{run}-" if run else ""
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*.png"):
            old.unlink()
        self.n = 0
        self.overflow: list[str] = []

    def __call__(self, page, name: str, both: bool = True) -> None:
        """Screenshot `page` at its width, then (both=True) at the other width and back."""
        size = page.viewport_size or DESKTOP
        self._take(page, name, size["width"])
        if both:
            other = PHONE if size["width"] > PHONE["width"] else DESKTOP
            page.set_viewport_size(other)
            self._take(page, name, other["width"])
            page.set_viewport_size(size)

    def _take(self, page, name: str, width: int) -> None:
        self.n += 1
        slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
        page.screenshot(path=str(self.dir / f"{self.prefix}{self.n:02d}-{slug}-{width}.png"), full_page=True)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            self.overflow.append(f"{name} @{width}px: document is {scroll}px wide ({page.url})")


@pytest.fixture
def shots(app):
    return Shots(app)
