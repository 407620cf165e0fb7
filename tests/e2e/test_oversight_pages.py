"""Screenshots of the inbox, the staff to-do desk, the supervisor's page, the expert pool, the credit list (public and
staff), ratings (staff, the rater's, an awarded lot's panel), the notification channels, failed deliveries and a barred
bidder's lot registration form at 1280 and 375 px (demo data), with no horizontal overflow at either width.
Files: test-artifacts/e2e/<database>/oversight/."""

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


def _failed_deliveries(app) -> None:
    """The demo delivers nothing by e-mail or SMS: a farm that chose both channels, whose e-mail server was down
    and whose number the SMS gateway refused, gives the staff page of failed deliveries its rows."""
    from sqlalchemy import select

    from trading.accounts.models import Delivery, NotificationSettings, User
    from trading.accounts.notifications import notify
    from trading.extensions import db

    with app.app_context():
        uid = db.session.execute(select(User.id).where(User.username == "farm-wei")).scalar_one()
        db.session.merge(NotificationSettings(user_id=uid, email="wei.jianhua@example.cn", email_on=True, sms_on=True))
        n = notify(uid, "auction_won", "竞得通知：大岭村水田经营权出租（63.5亩）", "请在公示期满后签订合同。")
        errors = {"email": "邮件服务器不可达：[Errno 111] Connection refused", "sms": "短信网关拒绝该短信（HTTP 400）"}
        for d in db.session.execute(select(Delivery).where(Delivery.notification_id == n.id)).scalars():
            d.status, d.attempts, d.last_error = "failed", 5 if d.channel == "email" else 1, errors[d.channel]
        db.session.commit()
        db.session.remove()


def _lots(app) -> tuple[int, int]:
    """The demo's awarded lot (its tenderee rates it) and a lot open for registration (a barred bidder's form)."""
    from sqlalchemy import select

    from tenders.models import Lot, Tender
    from trading.extensions import db

    with app.app_context():
        ids = {title: lot_id for title, lot_id in db.session.execute(
            select(Tender.title, Lot.id).join(Lot, Lot.tender_id == Tender.id)).all()}
        db.session.remove()
    return ids["中渡镇大兆村至长盛村公路改建工程"], ids["黄冕镇石墨村村级活动中心建设工程"]


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
    awarded, bidding = _lots(app)
    _failed_deliveries(app)
    pages = (("center", "/staff/desk", "desk", "我的待办"), ("coop-longtian", "/me/notifications", "inbox", "我的消息"),
             ("supervisor", "/staff/supervision?verify=1", "supervision", "行政监督"),
             ("center", "/staff/experts", "experts", "评标专家库"),
             (None, "/credit", "credit-public", "失信惩戒对象名单"),
             ("center", "/staff/credit", "credit-staff", "信用管理"),
             ("center", "/staff/ratings", "ratings-staff", "差评整改"),
             ("coop-longtian", "/me/ratings", "my-ratings", "我的评价"),
             ("coop-longtian", "/me/notification-settings", "notification-settings", "通知方式"),
             ("center", "/staff/deliveries", "deliveries", "消息发送异常"),
             ("village3", f"/tenders/lots/{awarded}/result", "lot-rating", "中标结果公告"),
             ("co-hongxing", f"/tenders/lots/{bidding}/register", "lot-register-barred", "报名投标"))
    for username, path, name, heading in pages:
        for size in (DESKTOP, PHONE):
            ctx = browser.new_context(viewport=size, locale="zh-CN")
            page = ctx.new_page()
            if username:
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
            if name == "credit-public":
                assert page.locator("tbody tr").count() >= 1 and page.locator("text=柳州红星建设工程有限公司").count() >= 1
            if name == "credit-staff":
                assert page.locator("[data-credit]").count() >= 2 and page.locator("text=已信用修复").count() >= 1
            if name == "ratings-staff":
                assert page.locator("[data-rating]").count() >= 2 and page.locator("text=提交答复").count() >= 1
            if name == "my-ratings":
                assert page.locator("text=交易中心答复").count() >= 1
            if name == "deliveries":
                assert page.locator("tr[data-delivery]").count() == 2
            if name == "notification-settings":
                assert page.locator("input[name=email]").count() == 1
            if name == "lot-rating":
                assert page.locator("#rating-title").count() == 1 and page.locator("text=提交评价").count() == 1
            if name == "lot-register-barred":
                assert page.locator("[data-credit-barred]").count() == 1
                assert page.locator("button[type=submit]:has-text('确认报名')").is_disabled()
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
