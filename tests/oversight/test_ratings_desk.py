"""Ratings (好差评), the staff to-do desk (待办) and the supervisor's page."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import PASSWORD
from trading.extensions import db as _db


def _login(app, username):
    c = app.test_client()
    r = c.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 302
    return c, r.headers["Location"]


def test_parties_rate_once_in_range_and_a_bad_rating_is_answered(app, api, issued, factory):
    pid = issued["id"]
    url = f"/api/v1/projects/{pid}/rating"
    assert api.post(url, {"stars": 0}, user=issued["winner"]).status_code == 422
    assert api.post(url, {"stars": 6}, user=issued["winner"]).status_code == 422
    assert api.post(url, {"stars": "5"}, user=issued["winner"]).status_code == 422
    assert api.post(url, {"stars": 5}, user=issued["loser"]).status_code == 403  # not a party of the deal
    r = api.post(url, {"stars": 2, "comment": "签约材料往返三次"}, user=issued["winner"])
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]
    r = api.post(url, {"stars": 4}, user=issued["winner"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_rated"
    assert api.post(url, {"stars": 5, "comment": "高效"}, user=issued["owner"]).status_code == 201
    # a rectification item for staff, with a deadline
    from trading.oversight.deadlines import sweep
    from trading.oversight.models import DeadlineItem

    with app.app_context():
        sweep()
        kinds = _db.session.execute(select(DeadlineItem.kind, DeadlineItem.object)).all()
        _db.session.remove()
    assert ("rating_reply", f"rating:{rid}") in kinds
    sup, _ = factory.user("supervisor", "super1")
    s, home = _login(app, "super1")
    assert home.endswith("/staff/supervision")
    assert "签约材料往返三次" in s.get("/staff/supervision").get_data(as_text=True)
    assert api.post(f"/api/v1/ratings/{rid}/answer", {"answer": "已改为一次性告知"}, user="super1").status_code == 403
    r = api.post(f"/api/v1/ratings/{rid}/answer", {"answer": "已改为一次性告知清单"}, user=issued["staff"])
    assert r.status_code == 200
    w, _ = _login(app, issued["winner"])
    assert "已改为一次性告知清单" in w.get(f"/projects/{pid}").get_data(as_text=True)
    assert "已改为一次性告知清单" in w.get("/me/ratings").get_data(as_text=True)
    notes = api.get("/api/v1/me/notifications", user=issued["winner"]).get_json()["items"]
    assert "rating_answered" in [n["kind"] for n in notes]
    assert "已改为一次性告知清单" not in s.get("/staff/supervision").get_data(as_text=True).split("差评整改")[-1]
    stats = app.test_client().get("/stats").get_data(as_text=True)
    assert "好差评" in stats and "已整改答复 1 条" in stats


def test_rating_before_the_deal_completes_is_refused(app, api, hall):
    pid = hall.project()
    r = api.post(f"/api/v1/projects/{pid}/rating", {"stars": 5}, user=hall.owner)
    assert r.status_code == 409


def test_the_desk_is_the_staff_home_grouped_counted_with_cards(app, api, hall):
    from datetime import timedelta

    from trading import clock
    from trading.oversight.deadlines import sweep

    pid = hall.project()
    first = hall.register(pid, "alice")
    clock.freeze(clock.now() + timedelta(minutes=5))
    second = hall.register(pid, "bob")
    with app.app_context():
        sweep()
        _db.session.remove()
    clock.freeze(clock.now() + timedelta(days=20))
    with app.app_context():
        sweep()
        _db.session.remove()
    c, home = _login(app, hall.staff)
    assert home.endswith("/staff/desk")
    html = c.get("/staff/desk").get_data(as_text=True)
    assert 'data-group="qualification"' in html and 'data-group="deposit_confirm"' in html
    assert "红牌" in html and 'data-total>4<' in html  # two qualifications, two deposits to confirm
    assert html.index("竞买号 " + first["bidder_no"]) < html.index("竞买号 " + second["bidder_no"])  # oldest first


def test_supervisor_verifies_the_audit_chain_and_sees_tampering(app, factory, api, hall):
    from trading.models import AuditEntry

    hall.project()
    factory.user("supervisor", "super2")
    s, _ = _login(app, "super2")
    assert 'data-audit-ok="1"' in s.get("/staff/supervision?verify=1").get_data(as_text=True)
    with app.app_context():
        e = _db.session.execute(select(AuditEntry).order_by(AuditEntry.seq).limit(1)).scalar_one()
        e.actor = "someone-else"
        _db.session.commit()
        _db.session.remove()
    assert 'data-audit-ok="0"' in s.get("/staff/supervision?verify=1").get_data(as_text=True)
    # read-only: every write is refused, pages and API alike
    assert s.post("/staff/credit", data={}).status_code == 403
    assert s.post(f"/staff/projects/{1}/approve").status_code == 403
    assert api.post("/api/v1/projects/1/approve", user="super2").status_code == 403
    assert api.get("/api/v1/audit/verify", user="super2").status_code == 200


def test_the_supervisor_sees_the_collusion_signals_of_a_project(app, api, hall, factory):
    pid = hall.project()
    one = hall.register(pid, "alice")
    two = hall.register(pid, "bob")  # the same IP address and browser as alice (the test client)
    hall.register(hall.project(title="鱼塘承包"), "carol")  # alone in another project: no signal
    factory.user("supervisor", "super3")
    s, _ = _login(app, "super3")
    html = s.get("/staff/supervision").get_data(as_text=True)
    section = html.split('id="collusion-all-title"')[1].split("</section>")[0]
    p = hall.row(pid)
    assert f"{p.code} {p.title}" in section and "鱼塘承包" not in section
    assert "同一IP地址报名" in section and "同一设备报名" in section
    assert f"{one['bidder_no']}、{two['bidder_no']}" in section or f"{two['bidder_no']}、{one['bidder_no']}" in section
    assert f"/staff/auctions/projects/{pid}/registrations" in section or f"/projects/{pid}" in section


def test_every_desk_group_shows_its_waiting_work_with_a_link_to_where_it_is_done(app, api, factory, runner,
                                                                               signing_keys):
    """One of each: a listing and a tender to review, a qualification, a deposit to confirm and one to refund, an
    objection, a certificate to issue, a bad rating, a bidder question, a claim, a credit draft and a committee."""
    from datetime import timedelta

    from cryptography.hazmat.primitives.asymmetric import ed25519

    from guarantees.intake import register_guarantor
    from tests.auctions.conftest import Hall as AuctionHall
    from tests.certificates.conftest import make_awarded
    from tests.tenders.conftest import Hall as TenderHall
    from tests.tenders.conftest import _pem, guarantee, tender_body
    from trading import clock
    from trading.accounts import credit_list
    from trading.accounts.models import User
    from trading.oversight import ratings
    from trading.oversight.deadlines import sweep

    clock.freeze(clock.now())
    th = TenderHall(app, factory, api)
    opened = th.opened_lot({"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"})  # committee to draw
    api.tokens.clear()
    awarded = make_awarded(app, factory, api)  # an objection, then the certificate to issue
    clock.freeze(awarded["bidding_end"] + timedelta(hours=1))
    r = api.post(f"/api/v1/projects/{awarded['id']}/objections",
                 {"name": "张三", "phone": "13912345678", "grounds": "竞价过程中出现异常报价，请求复核。"})
    assert r.status_code == 201, r.get_json()
    clock.freeze(awarded["publicity_ends_at"] + timedelta(minutes=5))
    api.tokens.clear()
    key = ed25519.Ed25519PrivateKey.generate()  # a claim on a lot registration's guarantee, and a bidder question
    with app.app_context():
        register_guarantor("TBANK", "测试农商银行", _pem(key), actor="staff1")
        _db.session.commit()
        _db.session.remove()
    t = th.tender()
    lot_id = t["lots"][0]["id"]
    th.bidder("delta")
    no = guarantee(api, key, applicant="delta", project_code=t["code"], amount="20000.00", valid_from=clock.now(),
                   valid_until=th.deadline(lot_id) + timedelta(days=91))
    r = api.post(f"/api/v1/lots/{lot_id}/registrations", {"security": {"type": "guarantee", "guarantee_no": no}},
                 user="delta")
    assert r.status_code == 201, r.get_json()
    assert api.post(f"/api/v1/tenders/{t['id']}/questions", {"text": "第3.2条的工期能否顺延？"},
                    user="delta").status_code == 201
    assert api.post(f"/api/v1/guarantees/{no}/claims", {"reason": "撤销投标文件"}, user=th.staff).status_code == 201
    r = api.post("/api/v1/tenders", tender_body(), user=th.owner)
    assert api.post(f"/api/v1/tenders/{r.get_json()['id']}/submit", user=th.owner).status_code == 200  # to review
    ah = AuctionHall(app, factory, api)
    r = api.post("/api/v1/projects", factory.project_body(title="林地流转"), user=ah.owner)  # a listing to review
    assert api.post(f"/api/v1/projects/{r.get_json()['id']}/submit", user=ah.owner).status_code == 200
    pid = ah.project(title="鱼塘承包")
    ah.register(pid, "waiting")  # a qualification and a deposit to confirm
    refund = ah.register(pid, "refused")
    assert api.post(f"/api/v1/registrations/{refund['id']}/confirm-deposit", user=ah.staff).status_code == 200
    assert api.post(f"/api/v1/registrations/{refund['id']}/reject", {"reason": "资格不符"},
                    user=ah.staff).status_code == 200  # a deposit to refund
    with app.app_context():  # a bad rating and a credit draft, through their services
        owner = _db.session.execute(select(User).where(User.username == awarded["owner"])).scalar_one()
        ratings.rate(owner, subject=f"project:{awarded['id']}", parties={owner.id}, stars=1, comment="材料退回三次",
                     project_id=awarded["id"])
        alpha = _db.session.execute(select(User).where(User.username == "alpha")).scalar_one()
        credit_list.open_draft(alpha.org_id, cause="winner_default", evidence="拒不签订合同（测试）",
                               project_code=t["code"], actor="staff1", source="winner_default")
        _db.session.commit()
        sweep()
        _db.session.remove()
    c, _ = _login(app, th.staff)
    html = c.get("/staff/desk").get_data(as_text=True)
    expected = {  # group → (a task's words, the link of that task)
        "listing_review": ("挂牌审核", "/projects/"),
        "qualification": ("资格审核", "/staff/"),
        "deposit_confirm": ("保证金 #", "/staff/"),
        "deposit_refund": ("退还保证金", "/staff/"),
        "objection_reply": ("答复异议", "/staff/"),
        "certificate_issue": (f"出具鉴证书 {awarded['code']}", f"/projects/{awarded['id']}"),
        "rating_reply": (f"差评整改 #1（1 星，项目 {awarded['code']}", "/staff/ratings"),
        "clarification_answer": (f"答疑 {t['code']}", f"/tenders/{t['id']}"),
        "claims": (f"保函 {no}", "/staff/"),
        "credit_drafts": ("拒不签订合同（测试）", "/staff/credit"),
        "committee_draw": ("第1标段", f"/tenders/lots/{opened}/evaluation"),
    }
    for key, (words, link) in expected.items():
        assert f'data-group="{key}"' in html, key
        group = html.split(f'data-group="{key}"')[1].split("</section>")[0]
        assert words in group and f'href="{link}' in group, (key, group)
    review = html.split('data-group="listing_review"')[1].split("</section>")[0]
    assert "招标公告审核 ZB-" in review and "#review" in review
    total = int(html.split("data-total>")[1].split("<")[0])
    assert total == 12  # one task each, and the listing group has both the listing and the tender
