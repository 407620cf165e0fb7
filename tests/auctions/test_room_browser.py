"""The live room in a real browser: two bidders, polling, the 大写 confirmation, refusals, 375 px wide."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from trading import clock

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs a Chromium binary for the browser test")


@pytest.fixture
def live(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def _session_cookie(app, username: str) -> str:
    from sqlalchemy import select

    from trading.accounts.models import User
    from trading.extensions import db

    with app.app_context():
        uid = db.session.execute(select(User.id).where(User.username == username)).scalar_one()
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = str(uid)
        s["_fresh"] = True
    return client.get_cookie("session").value


def _bidding_now(hall, app) -> int:
    """A project alice and bob are qualified for, bidding from now for ten minutes. The live server runs in this
    process with the real clock (a frozen one would stop the countdown), so the window is moved to now."""
    from datetime import timedelta

    from trading.extensions import db
    from trading.projects.models import Project

    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.qualify(pid, "bob")
    clock.freeze(None)
    with app.app_context():
        p = db.session.get(Project, pid)
        t = clock.now()
        p.registration_end, p.bidding_start = t - timedelta(minutes=1), t - timedelta(seconds=1)
        p.bidding_end = p.ends_at = t + timedelta(minutes=10)
        db.session.commit()
        db.session.remove()
    return pid


def test_two_bidders_in_the_room(hall, app, live):
    sync_api = pytest.importorskip("playwright.sync_api")
    pid = _bidding_now(hall, app)
    url = f"{live}/auctions/projects/{pid}/room"
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            pages: dict = {}
            errors: list[str] = []
            expect = sync_api.expect
            for name in ("alice", "bob"):
                ctx = browser.new_context(viewport={"width": 375, "height": 800})
                ctx.add_cookies([{"name": "session", "value": _session_cookie(app, name), "url": live}])
                pages[name] = ctx.new_page()
                pages[name].on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                pages[name].goto(url)
            a, b = pages["alice"], pages["bob"]
            a.click("[data-steps='1']")  # first bid: start price
            assert a.input_value("[data-amount]") == "800.00"
            a.click("form[data-bid-form] button[type=submit]")
            a.wait_for_selector("[data-confirm]:not([hidden])")
            assert a.inner_text("[data-confirm-capital]") == "捌佰元整"
            a.click("[data-confirm-yes]")
            a.wait_for_selector("[data-message].flash-success")
            expect(a.locator("[data-my-status]")).to_contain_text("领先")
            # bob's page picks the bid up by polling, then outbids
            expect(b.locator("[data-history] tr")).to_have_count(1, timeout=5000)
            b.fill("[data-amount]", "805")
            b.click("form[data-bid-form] button[type=submit]")
            b.click("[data-confirm-yes]")
            b.wait_for_selector("[data-message].flash-danger")
            assert "整数倍" in b.inner_text("[data-message]")
            b.fill("[data-amount]", "850")
            b.click("form[data-bid-form] button[type=submit]")
            b.wait_for_selector("[data-confirm]:not([hidden])")
            assert b.inner_text("[data-confirm-capital]") == "捌佰伍拾元整"
            b.click("[data-confirm-yes]")
            expect(a.locator("[data-my-status]")).to_contain_text("被超越", timeout=5000)
            assert "850.00" in a.inner_text("[data-current-price]")
            assert a.evaluate("document.documentElement.scrollWidth") <= 375
            assert not [e for e in errors if "Content Security Policy" in e], errors
            if os.environ.get("ROOM_SCREENSHOT"):
                a.screenshot(path=os.environ["ROOM_SCREENSHOT"], full_page=True)
        finally:
            browser.close()
    assert hall.row(pid).bid_count == 2


def test_room_counts_down_to_the_start_before_bidding(hall, app, live):
    sync_api = pytest.importorskip("playwright.sync_api")
    pid = hall.project()
    clock.freeze(None)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800})
            page.goto(f"{live}/auctions/projects/{pid}/room")
            page.wait_for_timeout(1500)  # after the first polls
            cd = page.locator("#auction-room [data-countdown]")
            sync_api.expect(cd.locator(".cd-label")).to_have_text("距开始")
            assert cd.get_attribute("data-countdown").startswith(hall.row(pid).bidding_start.astimezone(
                clock.BEIJING).isoformat()[:19])
            assert page.locator("[data-result-link]").is_hidden()
        finally:
            browser.close()


def test_the_room_uses_the_stream_and_falls_back_to_polling_when_it_is_blocked(hall, app, live):
    """bob's page receives alice's bid through the server-sent events without polling (a page polls once after
    its own bid, to show it at once); alice's page, whose
    stream is refused (a proxy that drops it), falls back to polling GET …/auction and still sees bob's bid."""
    sync_api = pytest.importorskip("playwright.sync_api")
    pid = _bidding_now(hall, app)
    url = f"{live}/auctions/projects/{pid}/room"
    room_api = f"/api/v1/projects/{pid}/auction"
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            expect = sync_api.expect
            polls: dict[str, int] = {"alice": 0, "bob": 0}
            streams: dict[str, int] = {"alice": 0, "bob": 0}
            pages = {}
            for name in ("alice", "bob"):
                ctx = browser.new_context(viewport={"width": 1280, "height": 900})
                ctx.add_cookies([{"name": "session", "value": _session_cookie(app, name), "url": live}])
                if name == "alice":
                    ctx.route("**/auction/events*", lambda route: route.abort())

                def count(req, who=name):
                    path = req.url.split("://", 1)[1].split("/", 1)[1].split("?")[0]
                    if "/" + path == room_api:
                        polls[who] += 1
                    elif "/" + path == room_api + "/events":
                        streams[who] += 1
                ctx.on("request", count)
                pages[name] = ctx.new_page()
                pages[name].goto(url)
            a, b = pages["alice"], pages["bob"]
            expect(a.locator("[data-history] tr")).to_have_count(0)
            a.click("[data-steps='1']")
            a.click("form[data-bid-form] button[type=submit]")
            a.click("[data-confirm-yes]")
            a.wait_for_selector("[data-message].flash-success")
            expect(b.locator("[data-history] tr")).to_have_count(1, timeout=5000)
            assert streams["bob"] >= 1 and polls["bob"] == 0, (streams, polls)  # pushed, not polled
            b.fill("[data-amount]", "850")
            b.click("form[data-bid-form] button[type=submit]")
            b.click("[data-confirm-yes]")
            b.wait_for_selector("[data-message].flash-success")
            expect(a.locator("[data-my-status]")).to_contain_text("被超越", timeout=8000)  # polled
            assert "850.00" in a.inner_text("[data-current-price]")
            assert streams["alice"] >= 1 and polls["alice"] >= 1, (streams, polls)  # tried the stream, then polled
        finally:
            browser.close()
    assert hall.row(pid).bid_count == 2
