"""Tender pages with the Flask test client: every page × role (allowed / forbidden), and bad form input shows a
Chinese message and changes nothing. The browser's WebCrypto is stood in for by tenders.client (byte-compatible)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tenders.client import encrypt_bid
from tests.tenders.conftest import ITER, org
from trading import clock
from trading.extensions import db as _db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def login(client, app, username: str | None) -> None:
    from trading.accounts.models import User

    with client.session_transaction() as s:
        s.clear()
        if username is None:
            return
        with app.app_context():
            uid = _db.session.execute(select(User.id).where(User.username == username)).scalar_one()
            _db.session.remove()
        s["_user_id"] = str(uid)
        s["_fresh"] = True


def count(app, model) -> int:
    with app.app_context():
        n = _db.session.execute(select(func.count()).select_from(model)).scalar_one()
        _db.session.remove()
        return n


def text(r) -> str:
    return r.get_data(as_text=True)


def _local(t) -> str:
    return t.astimezone(clock.BEIJING).strftime("%Y-%m-%dT%H:%M:%S")


def form_body(**over) -> dict:
    t = clock.now()
    body = {"title": "寨沙镇村道硬化工程", "location": "鹿寨县寨沙镇", "kind": "construction", "method": "open",
            "evaluation": "scoring", "announce_start": _local(t), "bid_deadline": _local(t + timedelta(days=21)),
            "description": "两个标段", "lot_count": "2"}
    for i in range(2):
        body.update({f"lots-{i}-name": f"第{i + 1}标段", f"lots-{i}-budget": "1000000.00",
                     f"lots-{i}-security_amount": "20000.00", f"lots-{i}-speciality": "road",
                     f"lots-{i}-committee_size": "5", f"lots-{i}-price_points": "30",
                     f"lots-{i}-criteria": "技术方案 50\n商务 20"})
    body.update(over)
    return body


# ---------------------------------------------------------------- public list and detail

def test_public_list_filters_and_detail_show_lots_windows_documents_and_clarifications(hall, client, app):
    t = hall.tender(title="寨沙镇道路硬化工程", lots=[
        {"name": "路基", "budget": "1000000.00", "security_amount": "20000.00", "speciality": "road",
         "committee_size": 5, "price_points": "30", "criteria": [{"code": "tech", "name": "技术方案", "max_points": "70"}]},
        {"name": "路面", "budget": "500000.00", "security_amount": "10000.00", "speciality": "road",
         "committee_size": 5, "price_points": "30", "criteria": [{"code": "tech", "name": "技术方案", "max_points": "70"}]}])
    assert hall.document(PDF, "招标文件正文", tender_id=t["id"]).status_code == 201
    r = client.get("/tenders/")
    assert r.status_code == 200 and "寨沙镇道路硬化工程" in text(r) and t["code"] in text(r)
    assert "招标项目" in text(client.get("/"))  # the navigation entry
    assert "寨沙镇道路硬化工程" not in text(client.get("/tenders/?kind=procurement"))
    r = client.get("/tenders/?q=不存在的项目")
    assert "没有符合条件的招标项目" in text(r)
    r = client.get("/tenders/?page=abc&kind=<script>")  # lenient: a bad page or filter is ignored, never a 500
    assert r.status_code == 200 and "<script>" not in text(r)
    r = client.get(f"/tenders/{t['id']}")
    page = text(r)
    assert "第1标段 · 路基" in page and "第2标段 · 路面" in page
    assert "¥1,000,000.00" in page or "1,000,000.00" in page
    assert "北京时间" in page and "data-countdown" in page
    import hashlib

    assert hashlib.sha256(PDF).hexdigest() in page and "暂无澄清或修改" in page
    doc = re.search(r'href="(/api/v1/tenders/\d+/documents/\d+)"', page).group(1)
    assert client.get(doc).data == PDF
    # the public sees no management forms
    assert "上传并发布" not in page and "发布澄清" not in page


def test_a_draft_is_private_to_its_owner_and_staff(hall, client, app, api):
    from tests.tenders.conftest import tender_body

    tid = api.post("/api/v1/tenders", tender_body(), user=hall.owner).get_json()["id"]
    assert client.get(f"/tenders/{tid}").status_code == 404
    hall.bidder("b1")
    login(client, app, "b1")
    assert client.get(f"/tenders/{tid}").status_code == 404
    login(client, app, hall.owner)
    r = client.get(f"/tenders/{tid}")
    assert r.status_code == 200 and "提交审核" in text(r) and "上传并发布" in text(r)
    login(client, app, hall.staff)
    assert client.get(f"/tenders/{tid}").status_code == 200


# ---------------------------------------------------------------- create, submit, review

def test_the_create_form_builds_the_api_body_and_lists_a_two_lot_tender(hall, client, app):
    from tenders.models import Lot, Tender

    login(client, app, hall.owner)
    assert "发布招标项目" in text(client.get("/tenders/new"))
    r = client.post("/tenders/new", data=form_body())
    assert r.status_code == 302, text(r)
    with app.app_context():
        tender = _db.session.execute(select(Tender)).scalar_one()
        assert tender.status == "draft" and len(tender.lots) == 2
        assert tender.lots[0].criteria == [{"code": "c1", "name": "技术方案", "max_points": "50.00"},
                                           {"code": "c2", "name": "商务", "max_points": "20.00"}]
        tid = tender.id
        _db.session.remove()
    assert count(app, Lot) == 2
    # "增加标段" re-shows the form with one more lot, writing nothing
    r = client.post("/tenders/new", data=form_body(add_lot="1"))
    assert r.status_code == 200 and "第3标段" in text(r) and count(app, Tender) == 1
    # submit, and the staff review queue links to the approval
    assert client.post(f"/tenders/{tid}/submit").status_code == 302
    login(client, app, hall.staff)
    queue = text(client.get("/staff/review"))
    assert f"/tenders/{tid}/approve" in queue
    r = client.post(f"/tenders/{tid}/approve", headers={"Referer": "http://localhost/staff/review"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/staff/review")
    with app.app_context():
        assert _db.session.get(Tender, tid).status == "announced"
        _db.session.remove()


@pytest.mark.parametrize(("over", "field_text"), [
    ({"lots-0-security_amount": "30000.00"}, "2%"),  # above 2 % of the budget
    ({"lots-1-criteria": "技术方案 60\n商务 20"}, "100"),  # points add to 110
    ({"lots-0-committee_size": "4"}, "单数"),
    ({"lots-0-criteria": "没有分值的一行"}, "技术方案 50"),
    ({"bid_deadline": "9999-12-31T23:59:59"}, "投标截止时间"),
    ({"title": "", "lots-0-budget": "一百万"}, "项目名称"),
])
def test_bad_create_input_shows_chinese_errors_beside_the_fields_and_writes_nothing(hall, client, app, over,
                                                                                   field_text):
    from tenders.models import Tender

    login(client, app, hall.owner)
    r = client.post("/tenders/new", data=form_body(**over))
    page = text(r)
    assert r.status_code == 200
    assert 'class="error"' in page and field_text in page
    assert re.search(r"[\u4e00-\u9fff]", re.search(r'<small class="error">([^<]*)', page).group(1))
    assert count(app, Tender) == 0


def test_tender_pages_refuse_other_roles(hall, client, app):
    t = hall.tender()
    hall.bidder("b1")
    hall.experts(1)
    for who in ("b1", "e1"):
        login(client, app, who)
        assert client.get("/tenders/new").status_code == 403
        assert client.post("/tenders/new", data=form_body()).status_code == 403
        assert client.get("/tenders/my").status_code == 403
        assert client.post(f"/tenders/{t['id']}/approve").status_code == 403
        assert client.post(f"/tenders/{t['id']}/clarifications", data={"text": "x"}).status_code == 403
    login(client, app, hall.owner)
    assert client.post(f"/tenders/{t['id']}/approve").status_code == 403
    assert client.get(f"/tenders/lots/{t['lots'][0]['id']}/bid").status_code == 403
    login(client, app, None)
    assert "/login" in client.get("/tenders/new").headers["Location"]


def test_documents_reject_a_non_pdf_and_clarifications_need_a_late_deadline(hall, client, app):
    from tenders.models import Clarification, TenderDocument

    t = hall.tender()
    login(client, app, hall.owner)
    from io import BytesIO

    r = client.post(f"/tenders/{t['id']}/documents", data={"title": "招标文件", "file": (BytesIO(b"GIF89a"), "a.pdf")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "PDF" in text(r) and count(app, TenderDocument) == 0
    r = client.post(f"/tenders/{t['id']}/documents", data={"title": "招标文件", "file": (BytesIO(PDF), "a.pdf")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "招标文件已发布" in text(r) and count(app, TenderDocument) == 1
    clock.freeze(clock.now() + timedelta(days=10))  # 11 days before the deadline: too late without a new one
    r = client.post(f"/tenders/{t['id']}/clarifications", data={"text": "修改工期"}, follow_redirects=True)
    assert "顺延" in text(r) and count(app, Clarification) == 0
    later = _local(clock.now() + timedelta(days=16))
    r = client.post(f"/tenders/{t['id']}/clarifications", data={"text": "修改工期", "bid_deadline": later},
                    follow_redirects=True)
    assert "澄清/修改已发布" in text(r) and count(app, Clarification) == 1
    assert "修改工期" in text(client.get(f"/tenders/{t['id']}"))


# ---------------------------------------------------------------- bidder: registration, sealed bid, opening

def _register_by_page(client, app, hall, lot_id: int, name: str) -> None:
    login(client, app, name)
    r = client.post(f"/tenders/lots/{lot_id}/register", data={"security_type": "deposit"})
    assert r.status_code == 302, text(r)
    from tenders.bidding import lot_registration
    from trading.accounts.models import User

    with app.app_context():
        uid = _db.session.execute(select(User.id).where(User.username == name)).scalar_one()
        rid = lot_registration(lot_id, uid).id
        _db.session.remove()
    assert hall.api.post(f"/api/v1/registrations/{rid}/confirm-deposit", user=hall.staff).status_code == 200


def test_register_bid_replace_withdraw_and_the_receipt(hall, client, app):
    from tenders.models import TenderBid

    lot_id = hall.lot()
    hall.bidder("b1")
    login(client, app, "b1")
    r = client.post(f"/tenders/lots/{lot_id}/register", data={"security_type": "guarantee", "guarantee_no": ""})
    assert r.status_code == 200 and "请填写保函编号" in text(r)
    _register_by_page(client, app, hall, lot_id, "b1")
    page = text(client.get(f"/tenders/lots/{lot_id}/bid"))
    assert "加密口令不会离开本机" in page and "请务必牢记口令" in page and f'data-aad="{lot_id}:b1"' in page
    body, _key = encrypt_bid(lot_id, "b1", "正确的口令123", "950000.00", iterations=ITER)
    r = client.post(f"/tenders/lots/{lot_id}/bid", json=body)
    assert r.status_code == 200, r.get_json()
    from tenders.client import receipt

    assert r.get_json()["receipt"] == receipt(body)
    assert receipt(body) in text(client.get(f"/tenders/lots/{lot_id}/bid"))
    # a malformed envelope: a Chinese message, the first bid unchanged
    r = client.post(f"/tenders/lots/{lot_id}/bid", json={"ciphertext": "!!", "nonce": "x", "salt": "y",
                                                          "iterations": 5})
    assert r.status_code == 422 and re.search(r"[\u4e00-\u9fff]", r.get_json()["error"]["message"])
    with app.app_context():
        assert _db.session.execute(select(TenderBid.receipt)).scalar_one() == receipt(body)
        _db.session.remove()
    page = text(client.get("/tenders/my-bids"))
    assert "第1标段" in page and "已递交（密封）" in page and "我的投标" in page
    r = client.post(f"/tenders/lots/{lot_id}/bid/withdraw", follow_redirects=True)
    assert "投标文件已撤回" in text(r)
    assert "（已撤回）" in text(client.get("/tenders/my-bids"))
    # strangers: another bidder not registered, and a collective
    hall.bidder("b2")
    login(client, app, "b2")
    r = client.post(f"/tenders/lots/{lot_id}/bid", json=body)
    assert r.status_code in (403, 409) and r.get_json()["error"]["code"] in ("not_registered", "forbidden")
    login(client, app, hall.owner)
    assert client.post(f"/tenders/lots/{lot_id}/bid", json=body).status_code == 403


def _bids(hall, client, app, lot_id: int, prices: dict[str, str]) -> dict[str, str]:
    keys = {}
    for name, price in prices.items():
        hall.bidder(name)
        _register_by_page(client, app, hall, lot_id, name)
        body, keys[name] = encrypt_bid(lot_id, name, f"口令-{name}", price, iterations=ITER)
        assert client.post(f"/tenders/lots/{lot_id}/bid", json=body).status_code == 200
    return keys


PRICES = {"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"}


def test_the_opening_hall_by_role_decrypt_and_the_opening_record(hall, client, app):
    lot_id = hall.lot()
    keys = _bids(hall, client, app, lot_id, PRICES)
    hall.bidder("stranger")
    login(client, app, "stranger")
    assert client.get(f"/tenders/lots/{lot_id}/opening").status_code == 403
    login(client, app, None)
    assert "/login" in client.get(f"/tenders/lots/{lot_id}/opening").headers["Location"]
    for who in (hall.owner, hall.staff, "alpha"):
        login(client, app, who)
        r = client.get(f"/tenders/lots/{lot_id}/opening")
        assert r.status_code == 200 and "距开标" in text(r)
    hall.to_deadline(lot_id)
    login(client, app, "alpha")
    page = text(client.get(f"/tenders/lots/{lot_id}/opening"))
    assert "解密我的投标文件" in page and "口令本身不会发送" in page and "data-salt" in page
    _, wrong = encrypt_bid(lot_id, "alpha", "错误口令", "1.00", iterations=ITER)
    r = client.post(f"/tenders/lots/{lot_id}/decrypt", json={"key": wrong})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "decryption_failed"
    assert "解密我的投标文件" in text(client.get(f"/tenders/lots/{lot_id}/opening"))  # still sealed, retry allowed
    for name in PRICES:
        login(client, app, name)
        r = client.post(f"/tenders/lots/{lot_id}/decrypt", json={"key": keys[name]})
        assert r.status_code == 200, r.get_json()
    login(client, app, None)  # public once opened
    page = text(client.get(f"/tenders/lots/{lot_id}/opening"))
    assert "开标记录" in page and all(f"{Decimal(p):,.2f}" in page for p in PRICES.values())  # 900,000.00
    assert all(org(n) in page for n in PRICES) and "现金保证金" in page
    with app.app_context():
        from tenders.models import Lot

        sha = _db.session.get(Lot, lot_id).opening_record_sha256
        _db.session.remove()
    assert sha and sha in page


# ---------------------------------------------------------------- experts, publicity, award, verification

def test_experts_score_on_their_page_then_publicity_objection_award_and_verification(hall, client, app, api,
                                                                                     signing_keys):
    from tenders.models import ScoreSheet

    lot_id = hall.lot()
    keys = _bids(hall, client, app, lot_id, PRICES)
    hall.to_deadline(lot_id)
    for name in PRICES:
        login(client, app, name)
        assert client.post(f"/tenders/lots/{lot_id}/decrypt", json={"key": keys[name]}).status_code == 200
    hall.experts(6)
    login(client, app, "e1")
    assert "您目前没有评标任务" in text(client.get("/tenders/expert"))
    login(client, app, hall.staff)
    r = client.post(f"/tenders/lots/{lot_id}/committee", follow_redirects=True)
    assert "评标委员会已随机抽取" in text(r)
    r = client.post(f"/tenders/lots/{lot_id}/committee", follow_redirects=True)  # a second draw: refused
    assert re.search(r"flash-danger[^>]*>[^<]*[\u4e00-\u9fff]", text(r))
    members = api.get(f"/api/v1/lots/{lot_id}/committee", user=hall.staff).get_json()["members"]
    names = [m["username"] for m in members]
    outsider = next(e for e in ("e1", "e2", "e3", "e4", "e5", "e6") if e not in names)
    login(client, app, outsider)
    assert client.get(f"/tenders/lots/{lot_id}/score").status_code == 403
    assert client.get(f"/tenders/lots/{lot_id}/evaluation").status_code == 403
    first = names[0]
    login(client, app, first)
    assert "打开评分表" in text(client.get("/tenders/expert"))
    page = text(client.get(f"/tenders/lots/{lot_id}/score"))
    assert "（0–50 分）" in page and "（0–20 分）" in page and org("alpha") in page
    # points above the maximum: a Chinese message beside the field, nothing saved
    r = client.post(f"/tenders/lots/{lot_id}/score", data={"b0-tech": "51", "action": "save"})
    assert r.status_code == 200 and "得分须在0到50.00分之间" in text(r)
    assert count(app, ScoreSheet) == 0
    # a reject without its reason
    r = client.post(f"/tenders/lots/{lot_id}/score", data={"b0-reject": "1", "action": "save"})
    assert "否决投标须写明理由" in text(r) and count(app, ScoreSheet) == 0

    def sheet(i_points: dict[int, tuple[str, str]]) -> dict:
        data = {}
        for i, (tech, biz) in i_points.items():
            data.update({f"b{i}-tech": tech, f"b{i}-biz": biz})
        return data

    r = client.post(f"/tenders/lots/{lot_id}/score", data={**sheet({0: ("40", "10")}), "action": "save"},
                    follow_redirects=True)
    assert "草稿已保存" in text(r) and 'value="40' in text(r)
    r = client.post(f"/tenders/lots/{lot_id}/score", data={**sheet({0: ("40", "10")}), "action": "submit"},
                    follow_redirects=True)
    assert re.search(r"flash-danger[^>]*>[^<]*评分", text(r)) or "未评分" in text(r)  # incomplete: refused
    full = sheet({0: ("40", "10"), 1: ("45", "15"), 2: ("30", "10")})
    r = client.post(f"/tenders/lots/{lot_id}/score", data={**full, "action": "submit"}, follow_redirects=True)
    assert "评分已提交" in text(r)
    # before every member is in, nobody (not even the staff) sees the sheets or the ranking
    login(client, app, hall.staff)
    page = text(client.get(f"/tenders/lots/{lot_id}/evaluation"))
    assert "评标进行中" in page and "<h2>各评委评分</h2>" not in page and "评标结果与排名" not in page
    for m in names[1:]:
        login(client, app, m)
        r = client.post(f"/tenders/lots/{lot_id}/score", data={**full, "action": "submit"}, follow_redirects=True)
        assert "评分已提交" in text(r)
    login(client, app, first)
    page = text(client.get(f"/tenders/lots/{lot_id}/evaluation"))
    assert "评标结果与排名" in page and "<h2>各评委评分</h2>" in page and "评标报告（签章 PDF）" in page
    r = client.get(f"/tenders/lots/{lot_id}/report.pdf")
    assert r.status_code == 302 and "/api/v1/tender-papers/" in r.headers["Location"]
    # bidders see nothing before the publicity
    login(client, app, "alpha")
    assert client.get(f"/tenders/lots/{lot_id}/evaluation").status_code == 403
    login(client, app, hall.staff)
    r = client.post(f"/tenders/lots/{lot_id}/publicize", follow_redirects=True)
    assert "中标候选人公示已发布" in text(r)
    login(client, app, None)
    page = text(client.get(f"/tenders/lots/{lot_id}/result"))
    assert "第1中标候选人" in page and "第3中标候选人" in page and "提出异议" not in page
    login(client, app, "gamma")
    r = client.post(f"/tenders/lots/{lot_id}/objections", data={"objection-reason": ""}, follow_redirects=True)
    assert "请填写异议的事实和理由" in text(r)
    r = client.post(f"/tenders/lots/{lot_id}/objections", data={"objection-reason": "第一中标候选人业绩造假"},
                    follow_redirects=True)
    assert "异议已提交" in text(r)
    # the staff objection desk names the lot (its heading was empty for objections without a project)
    login(client, app, hall.staff)
    desk = text(client.get("/staff/certificates?tab=objections"))
    assert re.search(r"ZB-\d{4}-\d{4} 第1标段", desk) and "第一中标候选人业绩造假" in desk
    with app.app_context():
        from tenders.models import Lot

        ends = _db.session.get(Lot, lot_id).publicity_ends_at
        _db.session.remove()
    clock.freeze(ends + timedelta(seconds=1))
    r = client.post(f"/tenders/lots/{lot_id}/award", follow_redirects=True)  # an open objection: refused
    assert "异议" in text(r) and "已确定中标人" not in text(r)
    oid = api.get(f"/api/v1/lots/{lot_id}/objections", user=hall.staff).get_json()["items"][0]["id"]
    assert api.post(f"/api/v1/objections/{oid}/dismiss", {"reason": "经核查业绩属实"}, user=hall.staff).status_code == 200
    r = client.post(f"/tenders/lots/{lot_id}/award", follow_redirects=True)
    assert "已确定中标人并签发中标通知书" in text(r)
    login(client, app, None)
    page = text(client.get(f"/tenders/lots/{lot_id}/result"))
    number = re.search(r"中标通知书 (ZB-[0-9A-Z-]+)", page).group(1)
    assert "中标人：" in page
    pdf = client.get(f"/api/v1/tender-papers/{number}/pdf").data
    from io import BytesIO

    r = client.post("/certificates/verify", data={"file": (BytesIO(pdf), "notice.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 200 and "文件真实有效" in text(r) and f"/tenders/papers/{number}" in text(r)
    page = text(client.get(f"/tenders/papers/{number}"))
    assert "中标通知书" in page and "有效" in page
    # the notice states its publicity in Beijing time, not as a UTC ISO instant
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} 至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）", page)
    assert "+00:00" not in page
    r = client.post("/certificates/verify", data={"file": (BytesIO(pdf[:-20] + b"tampered" * 3), "n.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 200 and "未通过核验" in text(r)
    # the winner defaults: a reason is required; then the next candidate wins
    winner = re.search(r"中标人：([^<]+)</h2>", text(client.get(f"/tenders/lots/{lot_id}/result"))).group(1)
    login(client, app, hall.staff)
    r = client.post(f"/tenders/lots/{lot_id}/winner-default", data={"default-reason": ""}, follow_redirects=True)
    assert "请填写中标人违约的事实" in text(r) and f"中标人：{winner}" in text(r)
    r = client.post(f"/tenders/lots/{lot_id}/winner-default", data={"default-reason": "拒不签订合同"},
                    follow_redirects=True)
    assert "已按中标人违约处理" in text(r)
    new_winner = re.search(r"中标人：([^<]+)</h2>", text(r)).group(1)
    assert new_winner != winner


def test_staff_reject_needs_a_reason_and_returns_the_tender_to_its_owner(hall, client, app, api):
    from tenders.models import Tender
    from tests.tenders.conftest import tender_body

    tid = api.post("/api/v1/tenders", tender_body(), user=hall.owner).get_json()["id"]
    assert api.post(f"/api/v1/tenders/{tid}/submit", user=hall.owner).status_code == 200
    login(client, app, hall.staff)
    page = text(client.get(f"/tenders/{tid}"))
    assert "审核通过并公告" in page and "退回修改" in page
    r = client.post(f"/tenders/{tid}/reject", data={"reject-reason": "  "}, follow_redirects=True)
    assert "请填写退回原因" in text(r)
    with app.app_context():
        assert _db.session.get(Tender, tid).status == "pending_review"
        _db.session.remove()
    r = client.post(f"/tenders/{tid}/reject", data={"reject-reason": "预算依据不足"}, follow_redirects=True)
    assert "已退回招标人修改" in text(r)
    login(client, app, hall.owner)
    page = text(client.get(f"/tenders/{tid}"))
    assert "审核退回：预算依据不足" in page and "提交审核" in page
    # a second approval attempt on a draft: a Chinese refusal, nothing changes
    login(client, app, hall.staff)
    r = client.post(f"/tenders/{tid}/approve", follow_redirects=True)
    assert re.search(r"flash-danger[^>]*>[^<]*[\u4e00-\u9fff]", text(r))
    with app.app_context():
        assert _db.session.get(Tender, tid).status == "draft"
        _db.session.remove()


def test_verify_page_links_an_evaluation_report_only_for_those_who_may_open_it(hall, client, app, api,
                                                                                signing_keys):
    """The verdict on an uploaded evaluation report (评标报告) is the same for everyone; the link to its page appears
    only for a viewer the page lets in (it answers 404 to the public, and to bidders before the publicity)."""
    from io import BytesIO

    lot_id = hall.opened_lot({"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"})
    hall.experts(5)
    members = hall.committee(lot_id)
    hall.score_all(lot_id, members, {org(n): {"tech": "40", "biz": "10"} for n in ("alpha", "beta", "gamma")})
    pdf = api.get(f"/api/v1/lots/{lot_id}/evaluation/report.pdf", user=hall.staff).data
    number = api.client.post("/api/v1/certificates/verify", data=pdf,
                             headers={"Content-Type": "application/pdf"}).get_json()["number"]

    def verify() -> str:
        r = client.post("/certificates/verify", data={"file": (BytesIO(pdf), "report.pdf")},
                        content_type="multipart/form-data")
        assert r.status_code == 200 and "文件真实有效" in text(r) and f"编号：{number}" in text(r)
        return text(r)

    for who, may in ((None, False), ("alpha", False), (hall.staff, True), (hall.owner, True), (members[0], True)):
        login(client, app, who)
        linked = f'href="/tenders/papers/{number}"' in verify()
        opens = client.get(f"/tenders/papers/{number}").status_code
        assert (linked, opens) == ((True, 200) if may else (False, 404)), who
    # the lot's bidders may read the evaluation once the candidates' publicity has started: then the link appears
    assert api.post(f"/api/v1/lots/{lot_id}/publicize", user=hall.staff).status_code == 200
    login(client, app, "alpha")
    assert f'href="/tenders/papers/{number}"' in verify()
    assert client.get(f"/tenders/papers/{number}").status_code == 200
    login(client, app, None)
    assert f'href="/tenders/papers/{number}"' not in verify()
