"""Screenshots of the inbox, the staff to-do desk, the supervisor's page and the expert pool at 1280 and 375 px (demo data),
with no horizontal overflow at either width. Files: test-artifacts/e2e/<database>/oversight/."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, DESKTOP, PHONE

pytestmark = pytest.mark.e2e
DEMO_PASSWORD = "tradehall2026"


@pytest.fixture
def demo(app, runner):
    from trading.extensions import db

    with app.app_context():
        assert runner.invoke(args=["keys", "init"]).exit_code == 0
        out = runner.invoke(args=["demo"])
        assert out.exit_code == 0, out.output
        db.session.remove()


def _login(page, live, username):
    page.goto(f"{live}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]:has-text('登录')")
    page.wait_for_url(lambda url: "/login" not in url)


def test_oversight_pages_at_desktop_and_phone_widths(demo, live, playwright_browser, app):
    from trading.extensions import db

    with app.app_context():
        out_dir = ARTIFACTS / db.engine.dialect.name / "oversight"
    out_dir.mkdir(parents=True, exist_ok=True)
    _pw, browser = playwright_browser
    overflow = []
    pages = (("center", "/staff/desk", "desk", "我的待办"), ("coop-longtian", "/me/notifications", "inbox", "我的消息"),
             ("supervisor", "/staff/supervision?verify=1", "supervision", "行政监督"),
             ("center", "/staff/experts", "experts", "评标专家库"))
    for username, path, name, heading in pages:
        for size in (DESKTOP, PHONE):
            ctx = browser.new_context(viewport=size, locale="zh-CN")
            page = ctx.new_page()
            _login(page, live, username)
            page.goto(f"{live}{path}")
            assert heading in page.inner_text("h1")
            if name == "inbox":
                assert page.locator(".notice").count() >= 1
                unread = page.locator(".nav-inbox").get_attribute("data-unread")
                assert unread is not None and int(unread) >= 1
            if name == "desk":
                assert page.locator(".card-red").count() >= 1 and page.locator(".card-yellow").count() >= 1
            if name == "experts":
                assert page.locator("tbody tr").count() >= 7 and page.locator("text=添加评标专家").count() == 1
            if name == "supervision":
                assert page.locator("[data-audit-ok='1']").count() == 1
                assert page.locator("tr[data-card='red']").count() >= 1
            page.screenshot(path=str(out_dir / f"{name}-{size['width']}.png"), full_page=True)
            width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
            if width > size["width"]:
                wide = page.evaluate("""w => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > w + 1)
                    .slice(0, 3).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 30))""",
                                     size["width"])
                overflow.append(f"{name} @{size['width']}: {width}px {wide}")
            ctx.close()
    assert overflow == []
