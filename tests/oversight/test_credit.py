"""The credit list: staff record, confirm drafts, repair; active entries bar every registration of the
organisation's users (409 credit_barred, nothing written); the public list masks ID numbers; 422s."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from trading import clock
from trading.extensions import db as _db


def _org_code(app, username):
    from trading.accounts.models import User

    with app.app_context():
        u = _db.session.execute(select(User).where(User.username == username)).scalar_one()
        code = u.org.credit_code
        _db.session.remove()
    return code


def _today():
    return clock.now().astimezone(clock.BEIJING).date()


def _entry(code, **over):
    t = _today()
    body = {"org_code": code, "cause": "winner_default", "evidence": "拒不签订合同，见违约认定书",
            "decided_on": t.isoformat(), "bar_from": t.isoformat(), "bar_until": (t + timedelta(days=180)).isoformat()}
    body.update(over)
    return body


def _count(app, model):
    with app.app_context():
        n = _db.session.execute(select(func.count()).select_from(model)).scalar_one()
        _db.session.remove()
    return n


def test_an_active_entry_bars_registration_with_cause_and_end_then_repair_lifts_it(hall, api, app):
    from auctions.models import Registration

    pid = hall.project()
    hall.bidder("badco")
    code = _org_code(app, "badco")
    r = api.post("/api/v1/credit", _entry(code), user=hall.staff)
    assert r.status_code == 201, r.get_json()
    entry = r.get_json()
    assert entry["status"] == "active"
    before = _count(app, Registration)
    r = api.post(f"/api/v1/projects/{pid}/registrations", {"security": {"type": "deposit"}}, user="badco")
    assert r.status_code == 409
    err = r.get_json()["error"]
    assert err["code"] == "credit_barred"
    assert entry["bar_until"] in err["message"] and "成交人违约" in err["message"]
    assert _count(app, Registration) == before
    # the web form shows the message beside it
    from tests.conftest import PASSWORD

    c = app.test_client()
    c.post("/login", data={"username": "badco", "password": PASSWORD})
    assert "data-credit-barred" in c.get(f"/auctions/projects/{pid}/register").get_data(as_text=True)

    assert api.post(f"/api/v1/credit/{entry['id']}/repair", {"reason": ""}, user=hall.staff).status_code == 422
    r = api.post(f"/api/v1/credit/{entry['id']}/repair", {"reason": "已履行赔偿并公开承诺"}, user=hall.staff)
    assert r.status_code == 200 and r.get_json()["status"] == "repaired"
    r = api.post(f"/api/v1/projects/{pid}/registrations", {"security": {"type": "deposit"}}, user="badco")
    assert r.status_code == 201, r.get_json()
    assert api.get("/api/v1/credit").get_json()["items"] == []


def test_a_future_or_past_bar_does_not_bar_today(hall, api, app):
    pid = hall.project()
    hall.bidder("laterco")
    t = _today()
    r = api.post("/api/v1/credit", _entry(_org_code(app, "laterco"), bar_from=(t + timedelta(days=3)).isoformat(),
                                         bar_until=(t + timedelta(days=30)).isoformat()), user=hall.staff)
    assert r.status_code == 201
    r = api.post(f"/api/v1/projects/{pid}/registrations", {"security": {"type": "deposit"}}, user="laterco")
    assert r.status_code == 201


def test_422s_unknown_org_dates_reversed_unknown_project(hall, api, app):
    from trading.accounts.models import CreditEntry

    hall.bidder("x1")
    code = _org_code(app, "x1")
    r = api.post("/api/v1/credit", _entry("91450223MA5XXXXXX0"), user=hall.staff)
    assert r.status_code == 422 and "org_code" in r.get_json()["error"]["fields"]
    t = _today()
    r = api.post("/api/v1/credit", _entry(code, bar_until=(t - timedelta(days=1)).isoformat()), user=hall.staff)
    assert r.status_code == 422 and "bar_until" in r.get_json()["error"]["fields"]
    r = api.post("/api/v1/credit", _entry(code, project_code="NOPE-1"), user=hall.staff)
    assert r.status_code == 422 and "project_code" in r.get_json()["error"]["fields"]
    r = api.post("/api/v1/credit", _entry(code, cause="laziness"), user=hall.staff)
    assert r.status_code == 422
    # dates far outside 2000–2099 (issue 12 finding 2's bound): 422 naming each field, not stored
    r = api.post("/api/v1/credit", _entry(code, decided_on="0001-01-01", bar_from="0001-01-01",
                                          bar_until="9999-12-31"), user=hall.staff)
    assert r.status_code == 422, r.get_json()
    assert set(r.get_json()["error"]["fields"]) >= {"decided_on", "bar_from", "bar_until"}
    assert "2000-01-01 至 2099-12-31" in r.get_json()["error"]["message"]
    assert _count(app, CreditEntry) == 0
    assert api.post("/api/v1/credit", _entry(code), user="x1").status_code == 403


def test_public_list_masks_an_individuals_id_number(app, api, factory):
    from trading.accounts.credit import make_resident_id
    from trading.accounts.services import create_org

    factory.user("staff", "staffc")
    rid = make_resident_id(42)
    with app.app_context():
        create_org("张三家庭农场", "individual", rid)
        _db.session.commit()
    r = api.post("/api/v1/credit", _entry(rid, cause="other"), user="staffc")
    assert r.status_code == 201, r.get_json()
    items = api.get("/api/v1/credit").get_json()["items"]
    assert len(items) == 1
    assert items[0]["org_code"] == rid[:4] + "*" * 10 + rid[-4:]
    assert set(items[0]) == {"id", "org_name", "org_code", "cause", "bar_from", "bar_until", "status"}
    page = app.test_client().get("/credit").get_data(as_text=True)
    assert "张三家庭农场" in page and rid not in page


def test_a_winner_default_opens_a_draft_staff_confirm(hall, api, app):
    pid = hall.project()
    reg = hall.qualify(pid, "alice")["id"]
    hall.at(pid, 10)
    hall.bid(pid, "alice", "900.00")
    hall.at(pid, 1, from_end=True)
    hall.sweep()
    r = api.post(f"/api/v1/projects/{pid}/winner-default",
                 {"reason": "拒不签约", "award_next": False, "registration_id": reg}, user=hall.staff)
    assert r.status_code == 200, r.get_json()
    staff_all = api.get("/api/v1/credit?all=1", user=hall.staff).get_json()["items"]
    assert [(e["status"], e["cause"]) for e in staff_all] == [("draft", "winner_default")]
    assert api.get("/api/v1/credit").get_json()["items"] == []  # a draft is not public and bars nothing
    r = api.post(f"/api/v1/credit/{staff_all[0]['id']}/confirm", user=hall.staff)
    assert r.status_code == 200 and r.get_json()["status"] == "active"
    assert api.post(f"/api/v1/credit/{staff_all[0]['id']}/confirm", user=hall.staff).status_code == 409
    pid2 = hall.project()
    r = api.post(f"/api/v1/projects/{pid2}/registrations", {"security": {"type": "deposit"}}, user="alice")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "credit_barred"


def test_every_move_is_audited(hall, api, app):
    from trading.models import AuditEntry

    hall.bidder("audco")
    e = api.post("/api/v1/credit", _entry(_org_code(app, "audco")), user=hall.staff).get_json()
    api.post(f"/api/v1/credit/{e['id']}/repair", {"reason": "修复"}, user=hall.staff)
    with app.app_context():
        actions = _db.session.execute(select(AuditEntry.action).where(AuditEntry.object == f"credit:{e['id']}")
                                      .order_by(AuditEntry.seq)).scalars().all()
        _db.session.remove()
    assert actions == ["credit.record", "credit.repair"]


def test_staff_page_records_with_errors_beside_the_form_and_supervisor_only_reads(hall, app, factory):
    from tests.conftest import PASSWORD

    hall.bidder("webco")
    code = _org_code(app, "webco")
    factory.user("staff", "sup1")  # placeholder org; the role is changed below
    from trading.accounts.models import User

    with app.app_context():
        u = _db.session.execute(select(User).where(User.username == "sup1")).scalar_one()
        u.role = "supervisor"
        _db.session.commit()
        _db.session.remove()
    c = app.test_client()
    c.post("/login", data={"username": hall.staff, "password": PASSWORD})
    t = _today()
    form = {"org_code": code, "cause": "collusion", "evidence": "围标证据", "decided_on": t.isoformat(),
            "bar_from": t.isoformat(), "bar_until": (t - timedelta(days=2)).isoformat(), "project_code": ""}
    r = c.post("/staff/credit", data=form)
    assert r.status_code == 422 and "惩戒截止日期不能早于开始日期" in r.get_data(as_text=True)
    form["bar_until"] = (t + timedelta(days=30)).isoformat()
    assert c.post("/staff/credit", data=form).status_code == 302
    assert "webco的组织" in app.test_client().get("/credit").get_data(as_text=True)
    s = app.test_client()
    s.post("/login", data={"username": "sup1", "password": PASSWORD})
    html = s.get("/staff/credit").get_data(as_text=True)
    assert "webco的组织" in html and "记录并生效" not in html and "确认修复" not in html
    assert s.post("/staff/credit", data=form).status_code == 403


def test_staff_confirm_and_repair_a_draft_on_the_web_page_and_each_move_is_audited(hall, api, app):
    from tests.conftest import PASSWORD
    from trading.models import AuditEntry

    pid = hall.project()
    reg = hall.qualify(pid, "alice")["id"]
    hall.at(pid, 10)
    hall.bid(pid, "alice", "900.00")
    hall.at(pid, 1, from_end=True)
    hall.sweep()
    r = api.post(f"/api/v1/projects/{pid}/winner-default",
                 {"reason": "拒不签约", "award_next": False, "registration_id": reg}, user=hall.staff)
    assert r.status_code == 200, r.get_json()
    [entry] = api.get("/api/v1/credit?all=1", user=hall.staff).get_json()["items"]
    eid = entry["id"]
    c = app.test_client()
    c.post("/login", data={"username": hall.staff, "password": PASSWORD})
    html = c.get("/staff/credit").get_data(as_text=True)
    card = html.split(f'data-credit="{eid}"')[1].split("</article>")[0]
    assert "待确认" in card and "确认生效" in card and "拒不签约" in card
    r = c.post(f"/staff/credit/{eid}/confirm", follow_redirects=True)
    assert "已确认，惩戒生效" in r.get_data(as_text=True)
    card = r.get_data(as_text=True).split(f'data-credit="{eid}"')[1].split("</article>")[0]
    assert "惩戒中" in card and "信用修复" in card
    assert [e["id"] for e in api.get("/api/v1/credit").get_json()["items"]] == [eid]
    r = c.post(f"/staff/credit/{eid}/confirm", follow_redirects=True)  # twice: refused with its message
    assert "只有待确认的信用记录可以确认" in r.get_data(as_text=True)
    r = c.post(f"/staff/credit/{eid}/repair", data={"reason": "  "}, follow_redirects=True)
    assert "请填写信用修复理由" in r.get_data(as_text=True)
    r = c.post(f"/staff/credit/{eid}/repair", data={"reason": "已足额赔偿招标人损失"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "已信用修复" in html and "已足额赔偿招标人损失" in html
    assert api.get("/api/v1/credit").get_json()["items"] == []
    with app.app_context():
        entries = _db.session.execute(select(AuditEntry).where(AuditEntry.object == f"credit:{eid}")
                                      .order_by(AuditEntry.seq)).scalars().all()
        moves = [(e.action, e.actor) for e in entries]
        draft, confirm = entries[0].data, entries[1].data
        _db.session.remove()
    assert moves == [("credit.draft", hall.staff), ("credit.confirm", hall.staff), ("credit.repair", hall.staff)]
    p = hall.row(pid)
    assert draft["source"] == "winner_default" and draft["project_code"] == p.code and draft["cause"] == "winner_default"
    assert confirm["bar_from"] == entry["bar_from"] and confirm["bar_until"] == entry["bar_until"]
