"""Issue 14's tendering flow in a real browser (Debian's Chromium), at 1280 and 375 px: the whole flow runs twice,
`desktop` (the tenderee, staff and two bidders at 1280; one bidder, the experts and the public at 375) and `phone`
(every person at 375).

A tenderee lists a two-lot tender through the web form (and publishes its PDF document) → staff approve it from the
review queue → three bidders register for lot 1 and seal their price sheets IN THE BROWSER (WebCrypto PBKDF2-SHA256 →
AES-256-GCM; the receipt is checked against the browser's own sha256) → the server clock is moved past the deadline
(the clock is frozen for this test, in the same process as the live server) → lot 2, with no bids, fails without
opening; lot 1 opens and each bidder decrypts in the opening hall (the key derived in the browser) → the opening
record shows every price → staff draw a five-expert committee → the experts score on a phone → staff publicise the
candidates → the clock passes the publicity → staff award → the public finds the award notice valid by uploading it.

Screenshots: test-artifacts/e2e/<database>/tender-<run>/tender-<run>-NN-tender-…-<width>.png (also the report and notice
PDFs), one folder per run.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, Shots
from tests.e2e.test_flow import _api_token, _local, _login
from trading import clock

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

TITLE = "寨沙镇村道硬化工程（浏览器测试）"
BIDDERS = {"zb_alpha": ("鹿寨县路桥建设有限公司", "905000.00"),
           "zb_beta": ("柳州市通达公路工程有限公司", "938000.50"),
           "zb_gamma": ("广西寨沙建筑工程有限公司", "960000.00")}
# each person's viewport in each run
RUNS = {
    "desktop": {"zb_owner": DESKTOP, "zb_staff": DESKTOP, "zb_alpha": DESKTOP, "zb_beta": DESKTOP,
                "zb_gamma": PHONE, "expert": PHONE, "public": PHONE},
    "phone": {"zb_owner": PHONE, "zb_staff": PHONE, "zb_alpha": PHONE, "zb_beta": PHONE, "zb_gamma": PHONE,
              "expert": PHONE, "public": PHONE},
}
# each expert's (technical, business) points for alpha, beta, gamma
POINTS = [("40", "12"), ("48", "18"), ("45", "15")]
PDF = b"%PDF-1.4\n% tender document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _experts(app, factory, n: int) -> list[str]:
    from tenders import pool
    from tests.conftest import PASSWORD
    from trading.accounts.credit import make_uscc
    from trading.accounts.services import create_org, create_user
    from trading.extensions import db

    names = []
    with app.app_context():
        for i in range(1, n + 1):
            factory.n += 1
            org = create_org(f"柳州市第{i}设计研究院", "company", make_uscc(factory.n * 7919 + 31))
            user = create_user(f"zb_expert{i}", PASSWORD, "expert", org=org, display_name=f"评标专家{i}")
            pool.add_profile(user, "road", "e2e")
            names.append(user.username)
        db.session.commit()
        db.session.remove()
    return names


def _goto(page, url: str) -> None:
    """page.goto, once more if the page's own reload (the opening hall reloads itself when the lot's status moves)
    aborted the navigation."""
    from playwright.sync_api import Error

    for attempt in range(3):
        try:
            page.goto(url)
            return
        except Error as err:
            if "ERR_ABORTED" not in str(err) or attempt == 2:
                raise
            page.wait_for_load_state()


@pytest.mark.parametrize("run", list(RUNS))
def test_tender_from_listing_to_verified_award_notice(app, live, factory, playwright_browser, run):
    from playwright.sync_api import expect

    pw, browser = playwright_browser
    width = RUNS[run]
    shots = Shots(app, run=f"tender-{run}")
    started = time.monotonic()
    t0 = clock.now().replace(microsecond=0)
    clock.freeze(t0)  # moved by hand past the deadline and the publicity
    factory.user("collective", "zb_owner", org_name="寨沙镇人民政府")
    factory.user("staff", "zb_staff")
    for name, (org_name, _price) in BIDDERS.items():
        factory.user("bidder", name, org_name=org_name)
    experts = _experts(app, factory, 6)
    request = pw.request.new_context(base_url=live)
    pages = []
    closed_errors: list[str] = []
    try:
        # ---------------------------------------------------------- 1. the tenderee lists a two-lot tender
        owner = _login(browser, live, "zb_owner", width["zb_owner"])
        pages.append(owner)
        _goto(owner, f"{live}/tenders/new")
        form = owner.locator("form.tender-form")
        form.locator("input[name=title]").fill(TITLE)
        form.locator("input[name=location]").fill("鹿寨县寨沙镇")
        form.locator("select[name=kind]").select_option("construction")
        form.locator("select[name=evaluation]").select_option("scoring")
        form.locator("textarea[name=description]").fill("寨沙镇村道硬化，分路基、路面两个标段。")
        form.locator("input[name=announce_start]").fill(_local(t0))
        deadline = t0 + timedelta(days=21)
        form.locator("input[name=bid_deadline]").fill(_local(deadline))
        form.locator("button[name=add_lot]").click()  # the second lot's fieldset
        form = owner.locator("form.tender-form")
        expect(form.locator("legend:has-text('第2标段')")).to_be_visible()
        for i, (name, budget, security) in enumerate([("路基工程", "1000000.00", "20000.00"),
                                                      ("路面工程", "600000.00", "12000.00")]):
            form.locator(f"input[name=lots-{i}-name]").fill(name)
            form.locator(f"input[name=lots-{i}-budget]").fill(budget)
            form.locator(f"input[name=lots-{i}-security_amount]").fill(security)
            form.locator(f"input[name=lots-{i}-speciality]").fill("road")
        # a security above 2 % of the budget: refused beside its field, nothing saved
        form.locator("input[name=lots-1-security_amount]").fill("13000.00")
        form.locator("button:has-text('保存草稿')").click()
        expect(owner.locator(".lot-fieldset .error").first).to_contain_text("2%")
        shots(owner, "tender-form-error")
        owner.locator("input[name=lots-1-security_amount]").fill("12000.00")
        owner.locator("button:has-text('保存草稿')").click()
        expect(owner.locator(".flashes .flash-success")).to_contain_text("已保存为草稿")
        tender_id = int(re.search(r"/tenders/(\d+)", owner.url).group(1))
        doc_path = shots.dir / "tender-document.pdf"
        doc_path.write_bytes(PDF)
        owner.set_input_files("#doc-file", str(doc_path))
        owner.click("#documents button[type=submit]")
        expect(owner.locator(".flashes .flash-success")).to_contain_text("SHA-256")
        owner.click("button:has-text('提交审核')")
        expect(owner.locator(".flashes .flash-success")).to_contain_text("已提交审核")
        shots(owner, "tender-submitted")

        # ---------------------------------------------------------- 2. staff approve from the review queue
        staff = _login(browser, live, "zb_staff", width["zb_staff"])
        pages.append(staff)
        _goto(staff, f"{live}/staff/review")
        item = staff.locator("article.review-item", has_text=TITLE)
        shots(staff, "tender-review-queue", both=False)
        item.locator("button:has-text('审核通过并公告')").click()
        expect(staff.locator(".flashes .flash-success")).to_contain_text("已审核通过")
        _goto(staff, f"{live}/tenders/{tender_id}")
        lot_ids = [int(x.split("-")[1]) for x in staff.locator(".lot-card").evaluate_all("els => els.map(e => e.id)")]
        assert len(lot_ids) == 2
        lot = lot_ids[0]
        staff_token = _api_token(request, "zb_staff")

        # ---------------------------------------------------------- 3. three bidders register and seal in the browser
        bidders = {}
        for name, (org_name, price) in BIDDERS.items():
            page = _login(browser, live, name, width[name])
            pages.append(page)
            bidders[name] = page
            _goto(page, f"{live}/tenders/")
            page.click(f"a:has-text('{TITLE}')")
            page.locator(f"#lot-{lot} a:has-text('报名投标')").click()
            page.locator("input[name=security_type][value=deposit]").check()
            page.click("button:has-text('确认报名')")
            expect(page.locator(".flashes .flash-success")).to_contain_text("报名成功")
            regs = request.get(f"/api/v1/lots/{lot}/registrations", headers={"Authorization": f"Bearer {staff_token}"})
            rid = next(r["id"] for r in regs.json()["items"] if r["bidder"]["username"] == name)
            r = request.post(f"/api/v1/registrations/{rid}/confirm-deposit",
                             headers={"Authorization": f"Bearer {staff_token}"})
            assert r.status == 200, r.text()
            page.reload()
            expect(page.locator(".flash-warning[role=note]")).to_contain_text("加密口令不会离开本机")
            page.fill("#b-price", price)
            page.fill("#b-pass", f"{name}-口令-2026")
            page.fill("#b-pass2", f"{name}-口令-2026")
            page.click("[data-bid-form] button[type=submit]")
            expect(page.locator("[data-receipt-check]")).to_contain_text("回执与本机计算的密文 SHA-256 一致",
                                                                        timeout=20_000)
            if name == "zb_gamma":
                shots(page, "tender-bid-receipt")
            page.wait_for_load_state("load")
        # the server holds only ciphertext before the deadline
        from tenders.models import TenderBid
        from trading.extensions import db

        with app.app_context():
            rows = db.session.execute(db.select(TenderBid)).scalars().all()
            assert len(rows) == 3 and all(b.price is None and b.status == "submitted" for b in rows)
            db.session.remove()

        # ---------------------------------------------------------- 4. the deadline: the hall opens, bidders decrypt
        alpha = bidders["zb_alpha"]
        _goto(alpha, f"{live}/tenders/lots/{lot}/opening")
        expect(alpha.locator(".hall-clock")).to_contain_text("距开标")
        clock.freeze(deadline + timedelta(seconds=5))
        for name, page in bidders.items():
            _goto(page, f"{live}/tenders/lots/{lot}/opening")
            if name == "zb_alpha":  # a wrong passphrase is caught in the browser: still sealed, retry allowed
                page.fill("#d-pass", "不是这个口令")
                page.click("[data-decrypt-form] button[type=submit]")
                expect(page.locator("[data-error-for=passphrase]")).to_contain_text("口令错误")
            page.fill("#d-pass", f"{name}-口令-2026")
            if name == "zb_gamma":
                shots(page, "tender-opening-decrypt", both=False)
            page.click("[data-decrypt-form] button[type=submit]")
            expect(page.locator("[data-decrypt-status]")).to_contain_text("解密成功", timeout=20_000)
            # the page reloads itself and shows the price the server decrypted
            expect(page.locator(".main > .flash-success")).to_contain_text("您的投标文件已解密", timeout=10_000)
        hall = bidders["zb_gamma"]
        _goto(hall, f"{live}/tenders/lots/{lot}/opening")
        record = hall.locator("#record")
        for _name, (org_name, price) in BIDDERS.items():
            expect(record).to_contain_text(org_name)
            expect(record).to_contain_text(f"{Decimal(price):,.2f}")  # 905,000.00: grouped as amounts are
        expect(hall.locator("[data-hall-rows]")).to_contain_text("✔ 已解密")
        shots(hall, "tender-opening-record")
        _goto(staff, f"{live}/tenders/{tender_id}")
        expect(staff.locator(f"#lot-{lot_ids[1]}")).to_contain_text("流标")  # lot 2: no bids, never opened
        expect(staff.locator(f"#lot-{lot_ids[1]}")).to_contain_text("有效投标不足三家")

        # ---------------------------------------------------------- 5. staff draw five experts; they score on a phone
        _goto(staff, f"{live}/tenders/lots/{lot}/evaluation")
        staff.click("button:has-text('随机抽取评标委员会')")
        expect(staff.locator(".flashes .flash-success")).to_contain_text("评标委员会已随机抽取")
        members = request.get(f"/api/v1/lots/{lot}/committee", headers={"Authorization": f"Bearer {staff_token}"})
        names = [m["username"] for m in members.json()["members"]]
        assert len(names) == 5 and set(names) <= set(experts)
        shots(staff, "tender-committee", both=False)
        for k, name in enumerate(names):
            page = _login(browser, live, name, width["expert"])
            pages.append(page)
            _goto(page, f"{live}/tenders/expert")
            page.click("a:has-text('打开评分表')")
            if k == 0:  # above the maximum: refused beside the field, nothing saved
                page.fill("#b0-c1", "51")
                page.click("button:has-text('保存草稿')")
                expect(page.locator(".score-field.has-error .error")).to_contain_text("得分须在0到50.00分之间")
            for i, (tech, biz) in enumerate(POINTS):
                page.fill(f"#b{i}-c1", tech)
                page.fill(f"#b{i}-c2", biz)
            if k == 0:
                page.click("button:has-text('保存草稿')")
                expect(page.locator(".flashes .flash-success")).to_contain_text("草稿已保存")
                shots(page, "tender-expert-sheet")
            page.click("button:has-text('提交评分（最终）')")
            expect(page.locator(".flashes .flash-success")).to_contain_text("评分已提交")
            closed_errors.extend(getattr(page, "errors", []))
            page.context.close()
            pages.remove(page)

        # ---------------------------------------------------------- 6. ranking, report, publicity, award
        _goto(staff, f"{live}/tenders/lots/{lot}/evaluation")
        ranking = staff.locator("table.ranking tbody tr").evaluate_all(
            "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))")
        print("\nranking:", ranking)
        assert [row[1] for row in ranking] == ["柳州市通达公路工程有限公司", "广西寨沙建筑工程有限公司",
                                               "鹿寨县路桥建设有限公司"]
        shots(staff, "tender-evaluation")
        report = staff.context.request.get(live + staff.locator("a:has-text('评标报告（签章 PDF）')")
                                           .get_attribute("href"))
        assert report.status == 200 and report.body().startswith(b"%PDF")
        (shots.dir / "tender-evaluation-report.pdf").write_bytes(report.body())
        staff.click("button:has-text('发布中标候选人公示')")
        expect(staff.locator(".flashes .flash-success")).to_contain_text("中标候选人公示已发布")
        expect(staff.locator(".candidates")).to_contain_text("第1中标候选人：柳州市通达公路工程有限公司")
        shots(staff, "tender-publicity")
        with app.app_context():
            from tenders.models import Lot

            ends = db.session.get(Lot, lot).publicity_ends_at
            db.session.remove()
        clock.freeze(ends + timedelta(seconds=1))
        staff.reload()
        staff.click("button:has-text('确定中标人并签发中标通知书')")
        expect(staff.locator(".flashes .flash-success")).to_contain_text("已确定中标人")
        expect(staff.locator(".award-card")).to_contain_text("中标人：柳州市通达公路工程有限公司")
        shots(staff, "tender-awarded")

        # ---------------------------------------------------------- 7. the public verifies the award notice
        public_ctx = browser.new_context(viewport=width["public"], locale="zh-CN", timezone_id="Asia/Shanghai")
        public_ctx.set_default_timeout(15_000)
        public = public_ctx.new_page()
        pages.append(public)
        _goto(public, f"{live}/tenders/lots/{lot}/result")
        notice_link = public.locator("a:has-text('中标通知书')").first
        number = re.search(r"中标通知书 (\S+)", notice_link.text_content()).group(1)
        pdf = public_ctx.request.get(live + public.locator("a:has-text('下载 PDF')").get_attribute("href"))
        assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
        pdf_path = shots.dir / f"award-notice-{number}.pdf"
        pdf_path.write_bytes(pdf.body())
        _goto(public, f"{live}/certificates/verify")
        public.set_input_files("#v-file", str(pdf_path))
        public.click("form:has(#v-file) button[type=submit]")
        expect(public.locator(".verify-result.is-valid")).to_contain_text("文件真实有效")
        expect(public.locator(".verify-result")).to_contain_text("中标通知书")
        shots(public, "tender-notice-verified")
        public.click(f"a:has-text('{number}')")
        expect(public.locator("h1")).to_contain_text("中标通知书")
        shots(public, "tender-notice-page")

        errors = closed_errors + [e for p in pages for e in getattr(p, "errors", [])]
        assert not errors, errors
        print(f"\ntender e2e flow ({run}): {time.monotonic() - started:.1f} s")
        assert not shots.overflow, shots.overflow
    finally:
        clock.freeze(None)
        request.dispose()
        for p in pages:
            p.context.close()
