"""The expert pool's staff page (/staff/experts): staff add, search, suspend and resume experts; bad input shows
its Chinese message beside the field and writes nothing; the supervisor reads but changes nothing; a suspended
expert is never drawn."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.tenders.test_views import count, login, text
from trading.extensions import db as _db

GOOD = {"display_name": "韦建国", "organisation": "柳州市建筑设计院", "speciality": "road", "phone": "13800138000",
        "username": "wei_jg", "password": "Expert2026pw"}


def _profile(app, username: str):
    from tenders.models import ExpertProfile
    from trading.accounts.models import User

    with app.app_context():
        row = _db.session.execute(select(ExpertProfile, User).join(User, User.id == ExpertProfile.user_id)
                                  .where(User.username == username)).first()
        out = None if row is None else {"speciality": row[0].speciality, "suspended": row[0].suspended_at is not None,
                                        "reason": row[0].suspend_reason, "role": row[1].role,
                                        "org": row[1].org.name if row[1].org else None,
                                        "password_hash": row[1].password_hash}
        _db.session.remove()
        return out


def _audit_actions(app) -> list[str]:
    from trading.models import AuditEntry

    with app.app_context():
        rows = [a for (a,) in _db.session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).all()]
        _db.session.remove()
        return rows


def test_staff_add_an_expert_who_can_then_log_in_and_is_listed(app, client, hall):
    login(client, app, "staff1")
    r = client.get("/staff/experts")
    assert r.status_code == 200 and "专家库还是空的" in text(r) and "添加评标专家" in text(r)
    r = client.post("/staff/experts", data=GOOD, follow_redirects=True)
    assert r.status_code == 200
    assert "已将 韦建国（wei_jg）加入评标专家库" in text(r)
    p = _profile(app, "wei_jg")
    assert p["role"] == "expert" and p["speciality"] == "road" and p["org"] == "柳州市建筑设计院"
    assert p["password_hash"] != GOOD["password"]
    assert {"user.create", "expert.add"} <= set(_audit_actions(app))
    page = text(client.get("/staff/experts"))
    assert "韦建国" in page and "柳州市建筑设计院" in page and "可抽取" in page
    # the new expert signs in with the initial password and lands on the expert workspace
    client.post("/logout")
    r = client.post("/login", data={"username": "wei_jg", "password": GOOD["password"]}, follow_redirects=True)
    assert r.status_code == 200 and "退出" in text(r)
    assert client.get("/tenders/expert").status_code == 200


def test_bad_input_shows_the_message_beside_the_field_and_writes_nothing(app, client, hall):
    from trading.accounts.models import Organisation, User

    hall.expert("e1")
    login(client, app, "staff1")
    users, orgs, n_audit = count(app, User), count(app, Organisation), len(_audit_actions(app))
    cases = [({"organisation": ""}, "请填写工作单位"),
             ({"speciality": ""}, "请填写专业代码"),
             ({"password": "12345678"}, "密码须同时包含字母和数字"),
             ({"username": "<b>x</b>"}, "用户名"),
             ({"phone": "12345"}, "11位中国大陆手机号码"),
             ({"username": "e1"}, "用户名“e1”已存在"),
             ({"username": "E1"}, "已存在")]
    for over, message in cases:
        r = client.post("/staff/experts", data={**GOOD, **over})
        assert r.status_code == 422, over
        assert message in text(r), (over, text(r)[:400])
        assert "请修正下列标红的字段后再提交" in text(r)
    assert (count(app, User), count(app, Organisation), len(_audit_actions(app))) == (users, orgs, n_audit)


def test_search_by_name_work_unit_speciality_and_state(app, client, hall):
    hall.expert("e1", "road")
    hall.expert("e2", "road", org_name="广西交通设计院")
    hall.expert("e3", "water")
    login(client, app, "staff1")
    page = text(client.get("/staff/experts?speciality=water"))
    assert "专家e3" in page and "专家e1" not in page and "共 1 名专家符合条件" in page
    page = text(client.get("/staff/experts?q=交通设计"))
    assert "专家e2" in page and "专家e1" not in page
    client.post("/staff/experts/e1/suspend", data={"suspend-reason": "年度考核不合格"})
    page = text(client.get("/staff/experts?state=suspended"))
    assert "专家e1" in page and "年度考核不合格" in page and "专家e2" not in page
    page = text(client.get("/staff/experts?state=available"))
    assert "专家e1" not in page and "专家e2" in page and "专家e3" in page
    # the per-speciality counts a draw can find
    page = text(client.get("/staff/experts"))
    assert "各专业可抽取人数" in page


def test_suspend_needs_a_reason_then_the_draw_skips_the_expert_and_resume_restores(app, client, hall):
    experts = hall.experts(6)
    login(client, app, "staff1")
    r = client.post("/staff/experts/e1/suspend", data={"suspend-reason": ""}, follow_redirects=True)
    assert "请填写暂停的原因" in text(r)
    assert _profile(app, "e1")["suspended"] is False
    r = client.post("/staff/experts/e1/suspend", data={"suspend-reason": "回避不实"}, follow_redirects=True)
    assert "已暂停专家 e1" in text(r)
    assert _profile(app, "e1")["suspended"] is True and _profile(app, "e1")["reason"] == "回避不实"
    r = client.post("/staff/experts/e1/suspend", data={"suspend-reason": "again"}, follow_redirects=True)
    assert "该专家已被暂停" in text(r)
    assert client.post("/staff/experts/nobody/suspend", data={"suspend-reason": "x"}).status_code == 404

    # a lot whose committee of five is drawn from the six: the suspended one is never among them
    lot_id = hall.opened_lot({"b1": "900000.00", "b2": "950000.00", "b3": "980000.00"})
    members = hall.committee(lot_id)
    assert len(members) == 5 and "e1" not in members and set(members) <= set(experts)

    r = client.post("/staff/experts/e1/resume", follow_redirects=True)
    assert "已恢复专家 e1" in text(r) and _profile(app, "e1")["suspended"] is False
    r = client.post("/staff/experts/e1/resume", follow_redirects=True)
    assert "该专家未被暂停" in text(r)


def test_the_supervisor_reads_the_pool_and_changes_nothing(app, client, hall, factory):
    from tenders.models import ExpertProfile

    hall.expert("e1")
    factory.user("supervisor", "sup1")
    factory.user("bidder", "bidx", org_name="某公司")
    login(client, app, "sup1")
    page = text(client.get("/staff/experts"))
    assert "专家e1" in page and "添加评标专家" not in page and "暂停…" not in page
    assert client.post("/staff/experts", data={**GOOD}).status_code == 403
    assert client.post("/staff/experts/e1/suspend", data={"suspend-reason": "x"}).status_code == 403
    assert _profile(app, "e1")["suspended"] is False and count(app, ExpertProfile) == 1
    for who in ("bidx", "e1", None):
        login(client, app, who)
        r = client.get("/staff/experts")
        assert r.status_code in (302, 403) if who is None else r.status_code == 403
    with app.app_context():
        assert _db.session.execute(select(func.count()).select_from(ExpertProfile)).scalar_one() == 1
        _db.session.remove()


def test_staff_see_the_pool_in_the_navigation(app, client, hall):
    login(client, app, "staff1")
    assert "评标专家库" in text(client.get("/tenders/my"))
