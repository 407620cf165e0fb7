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
