"""The whole life of one auction, in a real browser, in real time.

A collective lists a project through the web form → staff approve it → two bidders register on the project
page (one with an electronic guarantee signed here and posted to the API, one with a cash deposit that
staff confirm) and are qualified on the staff page → both watch the live room count down, bid with the quick
button / the amount field and the 大写 confirmation, the second bid lands in the extension window and moves
`ends_at` → the scheduler's sweep closes the auction → after the publicity period staff issue the
certificate → the public finds it valid by number and by uploading the PDF.

Desktop (1280×800) and phone (375×812): the collective, staff and the guarantee bidder use the desktop width,
the deposit bidder and the public use the phone; every step is screenshotted at both widths.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from datetime import datetime, timedelta

import pytest

from tests.conftest import PASSWORD, iso
from tests.e2e.conftest import DESKTOP, PHONE
from trading import clock

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

# seconds from filling in the project form to bidding_start: enough for approval, the guarantee,
# both registrations and the qualification (about 10-15 s on this machine), with slack
LEAD = 30
BIDDING = 15  # bidding_end - bidding_start
EXTENSION = 6  # the project's extension window

TITLE = "龙田村耕地经营权出租（浏览器测试）"


def _local(t: datetime) -> str:
    """A Beijing wall-clock time as typed into the form's datetime-local inputs (with seconds)."""
    return t.astimezone(clock.BEIJING).strftime("%Y-%m-%dT%H:%M:%S")


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _wait_until(t: datetime, limit: float = 60) -> None:
    """Sleep until the server clock (the same process clock) reaches t — only what a rule window needs."""
    delay = (t - clock.now()).total_seconds()
    assert delay < limit, f"would wait {delay:.0f} s"
    if delay > 0:
        time.sleep(delay)


def _login(browser, live: str, username: str, viewport: dict):
    ctx = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.on("dialog", lambda d: d.accept())  # the data-confirm forms ask window.confirm
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.text} ({m.location.get('url')})")
            if m.type == "error" and "favicon" not in (m.location.get("url") or "") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(f"{live}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]:has-text('登录')")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def _row(app, pid: int) -> dict:
    """The project/auction row as the database has it."""
    from trading.extensions import db
    from trading.projects.models import Project

    with app.app_context():
        p = db.session.get(Project, pid)
        out = {k: getattr(p, k) for k in ("status", "ends_at", "bid_count", "extensions_used", "final_price",
                                          "publicity_ends_at")}
        out["winner"] = p.winner.username if p.winner_id else None
        db.session.remove()
    return out


def _sign(document: dict, key) -> dict:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return {"document": document, "signature": base64.b64encode(key.sign(canonical)).decode()}


def _api_token(request, username: str) -> str:
    r = request.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status == 200, r.text()
    return r.json()["token"]


def test_auction_from_listing_to_verified_certificate(app, live, factory, playwright_browser, shots):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from playwright.sync_api import expect

    from trading import jobs

    pw, browser = playwright_browser
    started = time.monotonic()
    factory.user("collective", "village_e2e", org_name="龙田村股份经济合作社")
    factory.user("staff", "staff_e2e")
    factory.user("bidder", "alice_e2e", org_name="鹿寨县丰收种养专业合作社")
    factory.user("bidder", "bob_e2e", org_name="寨沙镇绿源家庭农场")
    api = pw.request.new_context(base_url=live)
    pages = []
    try:
        # ---------------------------------------------------------- 1. the collective lists a project
        village = _login(browser, live, "village_e2e", DESKTOP)
        pages.append(village)
        village.goto(f"{live}/my/projects/new")
        t0 = clock.now().replace(microsecond=0)
        start = t0 + timedelta(seconds=LEAD)
        form = village.locator("form[data-project-form]")
        form.locator("select[name=kind]").select_option("rural_land")
        form.locator("input[name=title]").fill(TITLE)
        form.locator("input[name=location]").fill("寨沙镇龙田村")
        form.locator("textarea[name=description]").fill("水田44.27亩，灌溉便利，流转期限5年。")
        form.locator("select[name=method]").select_option("auction")
        form.locator("select[name=direction]").select_option("ascending")
        form.locator("select[name=price_unit]").select_option("per_mu_year")
        form.locator("input[name=area_mu]").fill("44.27")
        form.locator("input[name=term_years]").fill("5")
        form.locator("input[name=start_price]").fill("800.00")
        form.locator("input[name=increment]").fill("10.00")
        form.locator("input[name=reserve_price]").fill("850.00")
        form.locator("input[name=deposit]").fill("5000.00")
        form.locator("input[name=extension_seconds]").fill(str(EXTENSION))
        form.locator("input[name=announce_start]").fill(_local(t0))
        form.locator("input[name=registration_end]").fill(_local(start))
        form.locator("input[name=bidding_start]").fill(_local(start))
        form.locator("input[name=bidding_end]").fill(_local(start + timedelta(seconds=BIDDING)))
        shots(village, "collective-project-form")
        form.locator("button[type=submit]:has-text('保存草稿')").click()
        expect(village.locator(".flash-success")).to_contain_text("项目草稿已保存")
        m = re.search(r"/projects/(\d+)$", village.url)
        assert m, village.url
        pid = int(m.group(1))
        village.click("form button:has-text('提交审核')")
        expect(village.locator(".flash-success").first).to_be_visible()
        shots(village, "collective-submitted")

        # ---------------------------------------------------------- 2. staff approve it
        staff = _login(browser, live, "staff_e2e", DESKTOP)
        pages.append(staff)
        staff.goto(f"{live}/staff/review")
        card = staff.locator(".card", has_text=TITLE).last
        expect(card).to_be_visible()
        shots(staff, "staff-review-queue")
        card.locator("button:has-text('审核通过并公告')").click()
        expect(staff.locator(".flash-success").first).to_be_visible()
        staff.goto(f"{live}/projects/{pid}")
        expect(staff.locator(".badge", has_text="公告中").first).to_be_visible()
        code = api.get(f"/api/v1/projects/{pid}").json()["code"]
        project = api.get(f"/api/v1/projects/{pid}").json()
        assert project["status"] == "announced", project
        assert _at(project["bidding_start"]) == start
        shots(staff, "project-announced")

        # ---------------------------------------------------------- 3. a guarantor, a signed guarantee
        staff_token = _api_token(api, "staff_e2e")
        key = ed25519.Ed25519PrivateKey.generate()
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        r = api.post("/api/v1/guarantors", headers={"Authorization": f"Bearer {staff_token}"},
                     data={"code": "E2EBANK", "name": "鹿寨农商银行（测试）", "public_key_pem": pem})
        assert r.status == 201, r.text()
        guarantee_no = f"E2EBANK-BH-{secrets.token_hex(4).upper()}"
        issued = clock.now().replace(microsecond=0)
        document = {
            "guarantee_no": guarantee_no, "issuer": "E2EBANK", "type": "bid_bond", "applicant": "alice_e2e",
            "beneficiary": app.config["TRADING_RURAL_CENTER_NAME"], "project_code": code,
            "amount": "5000.00", "currency": "CNY",
            "valid_from": iso(issued),  # valid from before bidding_start, through bidding_end
            "valid_until": iso(start + timedelta(days=30)),
            "issued_at": iso(issued),
        }
        r = api.post("/api/v1/guarantees", data=_sign(document, key))  # no token: the signature authenticates
        assert r.status == 201, r.text()
        assert r.json() == {"guarantee_no": guarantee_no, "status": "issued"}

        # ---------------------------------------------------------- 4. two bidders register on the project page
        alice = _login(browser, live, "alice_e2e", DESKTOP)
        bob = _login(browser, live, "bob_e2e", PHONE)
        pages += [alice, bob]
        alice.goto(f"{live}/projects/{pid}")
        panel = alice.locator("#auction-panel")
        panel.locator("input[name=security_type][value=guarantee]").check()
        panel.locator("input[name=guarantee_no]").fill(guarantee_no)
        shots(alice, "bidder-guarantee-registration")
        panel.locator("button:has-text('提交报名')").click()
        expect(alice.locator(".flash-success")).to_contain_text("保函已核验")
        shots(alice, "bidder-my-registrations")

        bob.goto(f"{live}/projects/{pid}")
        panel = bob.locator("#auction-panel")
        panel.locator("input[name=security_type][value=deposit]").check()
        expect(panel.locator("input[name=guarantee_no]")).to_be_hidden()  # only asked for a guarantee
        shots(bob, "bidder-deposit-registration")
        panel.locator("button:has-text('提交报名')").click()
        expect(bob.locator(".flash-success")).to_contain_text("待工作人员确认到账")

        # ---------------------------------------------------------- 5. staff confirm the deposit, qualify both
        staff.goto(f"{live}/staff/auctions/projects/{pid}/registrations")
        rows = staff.locator("table tbody tr")
        expect(rows).to_have_count(2)
        shots(staff, "staff-registrations")
        bob_row = rows.filter(has_text="bob_e2e")
        bob_row.locator("button:has-text('确认保证金到账')").click()
        expect(staff.locator(".flash-success").first).to_be_visible()
        for who in ("alice_e2e", "bob_e2e"):
            staff.locator("table tbody tr", has_text=who).get_by_role("button", name="通过", exact=True).click()
            expect(staff.locator("table tbody tr", has_text=who).locator(".badge-qualified").last).to_be_visible()
        expect(staff.locator("table tbody tr .badge", has_text="已取得资格")).to_have_count(2)
        shots(staff, "staff-registrations-qualified")
        prepared = (clock.now() - t0).total_seconds()
        assert start - clock.now() > timedelta(seconds=4), f"setup took {prepared:.0f} s: LEAD={LEAD} is too short"

        # ---------------------------------------------------------- 6. the live room: countdown to the start
        room = f"{live}/auctions/projects/{pid}/room"
        for page in (alice, bob):
            page.goto(room)
            cd = page.locator("#auction-room [data-countdown]")
            expect(cd.locator(".cd-label")).to_have_text("距开始")
            expect(cd.locator(".cd-value")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
            expect(page.locator("[data-my-status]")).to_contain_text("尚未出价")
        first = alice.locator("#auction-room [data-countdown] .cd-value").inner_text()
        expect(alice.locator("#auction-room [data-countdown] .cd-value")).not_to_have_text(first)  # it ticks
        shots(bob, "room-before-start", both=False)
        shots(alice, "room-before-start", both=False)

        _wait_until(start)
        for page in (alice, bob):
            expect(page.locator("#auction-room [data-countdown] .cd-label")).to_have_text("距结束")
            expect(page.locator("form[data-bid-form]")).not_to_have_class(re.compile("is-closed"))

        # alice: the quick button (first bid = the start price), the 大写 confirmation
        alice.click("[data-steps='1']")
        expect(alice.locator("[data-amount]")).to_have_value("800.00")
        alice.click("form[data-bid-form] button[type=submit]")
        expect(alice.locator("[data-confirm]")).to_be_visible()
        expect(alice.locator("[data-confirm-capital]")).to_have_text("捌佰元整")
        shots(alice, "room-confirm-dialog", both=False)
        with alice.expect_response(lambda r: r.url.endswith(f"/auctions/projects/{pid}/bid")) as first_bid:
            alice.click("[data-confirm-yes]")
        assert first_bid.value.status == 201, first_bid.value.text()
        first_ends = _at(first_bid.value.json()["ends_at"])
        expect(alice.locator("[data-message].flash-success")).to_be_visible()
        expect(alice.locator("[data-my-status]")).to_contain_text("领先")
        expect(bob.locator("[data-history] tr")).to_have_count(1)
        expect(bob.locator("[data-current-price]")).to_contain_text("800.00")

        # bob: waits for the extension window, types an amount, confirms
        _wait_until(first_ends - timedelta(seconds=EXTENSION) + timedelta(seconds=1))
        bob.fill("[data-amount]", "850")
        bob.click("form[data-bid-form] button[type=submit]")
        expect(bob.locator("[data-confirm-capital]")).to_have_text("捌佰伍拾元整")
        shots(bob, "room-confirm-dialog", both=False)
        with bob.expect_response(lambda r: r.url.endswith(f"/auctions/projects/{pid}/bid")) as late_bid:
            bob.click("[data-confirm-yes]")
        assert late_bid.value.status == 201, late_bid.value.text()
        out = late_bid.value.json()
        new_ends = _at(out["ends_at"])
        bid_at = _at(out["server_time"])
        assert first_ends - bid_at < timedelta(seconds=EXTENSION), "the bid was not in the extension window"
        assert new_ends > first_ends, (new_ends, first_ends)
        # ends_at = the bid's own time + the extension; server_time is read a moment after the bid
        assert timedelta(seconds=EXTENSION - 1) < new_ends - bid_at <= timedelta(seconds=EXTENSION)
        # both pages move their countdown to the new end, from the polled state
        for page in (alice, bob):
            cd = page.locator("#auction-room [data-countdown]")
            expect(cd).to_have_attribute("data-countdown", out["ends_at"])
        expect(alice.locator("[data-my-status]")).to_contain_text("被超越")
        expect(bob.locator("[data-my-status]")).to_contain_text("领先")
        expect(alice.locator("[data-current-price]")).to_contain_text("850.00")
        state = api.get(f"/api/v1/projects/{pid}/auction").json()
        assert _at(state["ends_at"]) == new_ends, state
        row = _row(app, pid)
        assert row["extensions_used"] >= 1 and row["bid_count"] == 2, row
        shots(alice, "room-extended", both=False)
        shots(bob, "room-extended", both=False)

        # ---------------------------------------------------------- 7. the scheduler closes the auction
        _wait_until(new_ends + timedelta(milliseconds=200))
        with app.app_context():
            done = jobs.sweep()
        assert any(v >= 1 for v in done.values()), done
        assert all(v >= 0 for v in done.values()), done
        for page in (alice, bob):
            expect(page.locator("[data-result-link]")).to_be_visible()
            expect(page.locator("#auction-room [data-status]")).to_have_text("已成交")
        shots(bob, "room-closed")
        closed = api.get(f"/api/v1/projects/{pid}").json()
        assert closed["status"] == "awarded", closed
        g = api.get(f"/api/v1/guarantees/{guarantee_no}",
                    headers={"Authorization": f"Bearer {staff_token}"}).json()
        assert g["status"] == "released", g  # the loser's guarantee is released at the close
        bob.click("[data-result-link]")
        expect(bob.locator("body")).to_contain_text("850.00")
        shots(bob, "result-publicity")

        # ---------------------------------------------------------- 8. staff issue the certificate
        row = _row(app, pid)
        assert row["winner"] == "bob_e2e" and str(row["final_price"]) == "850.00", row
        _wait_until(row["publicity_ends_at"] + timedelta(milliseconds=200))
        staff.goto(f"{live}/staff/certificates")
        card = staff.locator(".card", has_text=code)
        expect(card).to_be_visible()
        shots(staff, "staff-certificate-desk")
        card.locator("button:has-text('出具鉴证书')").click()
        expect(staff.locator(".flash-success")).to_contain_text("已出具")
        expect(staff.locator(".badge-valid")).to_have_text("有效")
        number = re.search(r"/certificates/([^/?#]+)$", staff.url).group(1)
        shots(staff, "certificate-issued")

        # ---------------------------------------------------------- 9. the public verifies it
        public_ctx = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
        public_ctx.set_default_timeout(15_000)
        public = public_ctx.new_page()
        pages.append(public)
        public.goto(f"{live}/certificates/verify")
        public.fill("#v-number", number)
        shots(public, "verify-by-number-form")
        public.click("form:has(#v-number) button[type=submit]")
        expect(public.locator(".badge-valid")).to_have_text("有效")
        expect(public.locator("body")).to_contain_text("签名校验通过")
        shots(public, "verify-by-number-result")
        href = public.locator("a:has-text('下载 PDF 原件')").get_attribute("href")
        pdf = public_ctx.request.get(live + href)
        assert pdf.status == 200 and pdf.body().startswith(b"%PDF"), pdf.status
        pdf_path = shots.dir / f"certificate-{number}.pdf"
        pdf_path.write_bytes(pdf.body())
        public.goto(f"{live}/certificates/verify")
        public.set_input_files("#v-file", str(pdf_path))
        public.click("form:has(#v-file) button[type=submit]")
        expect(public.locator(".verify-result.is-valid")).to_contain_text("文件真实有效")
        expect(public.locator(".verify-result")).to_contain_text(number)
        shots(public, "verify-by-upload-result")

        # a forged copy (one byte changed) is refused
        forged = bytearray(pdf.body())
        forged[len(forged) // 2] ^= 0x01
        forged_path = shots.dir / "certificate-forged.pdf"
        forged_path.write_bytes(bytes(forged))
        public.goto(f"{live}/certificates/verify")
        public.set_input_files("#v-file", str(forged_path))
        public.click("form:has(#v-file) button[type=submit]")
        expect(public.locator(".verify-result.is-invalid")).to_contain_text("未通过核验")

        errors = [e for p in pages for e in getattr(p, "errors", [])]
        assert not errors, errors
        elapsed = time.monotonic() - started
        print(f"\ne2e flow: {elapsed:.1f} s (setup before bidding {prepared:.1f} s)")
        assert not shots.overflow, shots.overflow  # every step's page fits 375 px (tables scroll inside)
    finally:
        api.dispose()
        for p in pages:
            p.context.close()
