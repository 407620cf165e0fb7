"""Oversight covers tendering too: the desk's committee draws, a tender winner's default opening a draft credit entry,
the deadlines of a tender's review and a lot's award, credit entries linked to a tender code, the rating panel of an
awarded lot, the credit bar beside the lot registration form, and the closers of lot objections and qualifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, iso
from tests.tenders.conftest import Hall as TenderHall
from tests.tenders.conftest import org, tender_body
from trading import clock
from trading.extensions import db as _db

PRICES = {"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"}


@pytest.fixture
def th(app, factory, api, signing_keys):
    clock.freeze(clock.now())
    return TenderHall(app, factory, api)


def _login(app, username):
    c = app.test_client()
    r = c.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 302
    return c


def _sweep(app):
    from trading.oversight.deadlines import sweep

    with app.app_context():
        sweep()
        _db.session.remove()


def _items(app, kind=None, obj=None):
    from trading.oversight.models import DeadlineItem

    with app.app_context():
        stmt = select(DeadlineItem).order_by(DeadlineItem.id)
        if kind:
            stmt = stmt.where(DeadlineItem.kind == kind)
        if obj:
            stmt = stmt.where(DeadlineItem.object == obj)
        rows = list(_db.session.execute(stmt).scalars())
        for r in rows:
            _db.session.expunge(r)
        _db.session.remove()
    return rows


def _kinds(app, username):
    from trading.accounts.models import Notification, User

    with app.app_context():
        uid = _db.session.execute(select(User.id).where(User.username == username)).scalar_one()
        out = list(_db.session.execute(select(Notification.kind).where(Notification.user_id == uid)
                                       .order_by(Notification.id)).scalars())
        _db.session.remove()
    return out


def _supervisor(app, factory, name="super1"):
    factory.user("supervisor", name)
    return name


def _code_of_lot(app, lot_id):
    from tenders.models import Lot

    with app.app_context():
        code = _db.session.get(Lot, lot_id).tender.code
        _db.session.remove()
    return code


def _publicized(th, api) -> int:
    lot_id = th.opened_lot(PRICES)
    th.experts(5)
    members = th.committee(lot_id)
    th.score_all(lot_id, members, {org(n): {"tech": "40", "biz": "10"} for n in PRICES})
    assert api.post(f"/api/v1/lots/{lot_id}/publicize", user=th.staff).status_code == 200
    return lot_id


def _awarded(th, api) -> int:
    lot_id = _publicized(th, api)
    clock.advance(3 * 86400 + 1)
    r = api.post(f"/api/v1/lots/{lot_id}/award", user=th.staff)
    assert r.status_code == 200, r.get_json()
    return lot_id


def _org_code(app, username):
    from trading.accounts.models import User

    with app.app_context():
        code = _db.session.execute(select(User).where(User.username == username)).scalar_one().org.credit_code
        _db.session.remove()
    return code


def _today():
    return clock.now().astimezone(clock.BEIJING).date()


def _credit(code, **over):
    t = _today()
    body = {"org_code": code, "cause": "winner_default", "evidence": "拒不签订合同", "decided_on": t.isoformat(),
            "bar_from": t.isoformat(), "bar_until": (t + timedelta(days=180)).isoformat()}
    body.update(over)
    return body


# ---------------------------------------------------------------- 1. the desk's committee draws

def test_the_desk_lists_opened_lots_waiting_for_a_committee_oldest_first_until_drawn(app, th, api):
    first = th.opened_lot(PRICES)
    clock.advance(3600)
    api.tokens.clear()  # the clock moved past the tokens' lifetime
    second = th.opened_lot(PRICES)
    c = _login(app, th.staff)
    html = c.get("/staff/desk").get_data(as_text=True)
    assert 'data-group="committee_draw"' in html and "评标委员会待抽取" in html
    group = html.split('data-group="committee_draw"')[1].split("</section>")[0]
    a, b = (f"/tenders/lots/{first}/evaluation", f"/tenders/lots/{second}/evaluation")
    assert a in group and b in group and group.index(a) < group.index(b)  # oldest first
    assert f"{_code_of_lot(app, first)} 第1标段" in group
    # the link is where staff draw: the evaluation page offers the draw button
    assert "随机抽取评标委员会" in c.get(a).get_data(as_text=True)
    th.experts(5)
    th.committee(first)
    group = c.get("/staff/desk").get_data(as_text=True).split('data-group="committee_draw"')[1].split("</section>")[0]
    assert a not in group and b in group


# ---------------------------------------------------------------- 2. a tender winner's default

def test_a_tender_winner_default_opens_a_draft_linked_to_the_tender_and_confirmed_it_bars_registration(app, th, api):
    from trading.models import AuditEntry

    lot_id = _awarded(th, api)
    code = _code_of_lot(app, lot_id)
    assert api.get("/api/v1/credit?all=1", user=th.staff).get_json()["items"] == []
    r = api.post(f"/api/v1/lots/{lot_id}/winner-default", {"reason": "拒不签订合同"}, user=th.staff)
    assert r.status_code == 200, r.get_json()
    entries = api.get("/api/v1/credit?all=1", user=th.staff).get_json()["items"]
    assert [(e["status"], e["cause"], e["project_code"], e["org_name"]) for e in entries] == [
        ("draft", "winner_default", code, org("alpha"))]
    assert "拒不签订合同" in entries[0]["evidence"] and code in entries[0]["evidence"]
    assert "credit_draft" in _kinds(app, th.staff)
    assert api.get("/api/v1/credit").get_json()["items"] == []  # a draft is not public and bars nothing
    with app.app_context():
        draft = _db.session.execute(select(AuditEntry).where(AuditEntry.object == f"credit:{entries[0]['id']}")
                                    ).scalar_one()
        assert (draft.action, draft.actor, draft.data["project_code"]) == ("credit.draft", th.staff, code)
        _db.session.remove()
    # staff confirm it: alpha's organisation cannot register for another tender's lot
    r = api.post(f"/api/v1/credit/{entries[0]['id']}/confirm", user=th.staff)
    assert r.status_code == 200 and r.get_json()["status"] == "active"
    other = th.lot()
    r = api.post(f"/api/v1/lots/{other}/registrations", {"security": {"type": "deposit"}}, user="alpha")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "credit_barred"
    assert "成交人违约" in r.get_json()["error"]["message"]
    th.register(other, "beta", confirm=False)  # the next candidate's organisation is not barred


# ---------------------------------------------------------------- 3. tender deadlines

def test_a_tender_review_counts_under_the_listing_review_limit_on_the_desk_and_the_supervisors_list(app, th, api,
                                                                                                    factory):
    from trading.oversight import rules

    _supervisor(app, factory)
    t = clock.now()
    r = api.post("/api/v1/tenders", tender_body(bid_deadline=iso(t + timedelta(days=60))), user=th.owner)
    tid = r.get_json()["id"]
    code = r.get_json()["code"]
    assert api.post(f"/api/v1/tenders/{tid}/submit", user=th.owner).status_code == 200
    _sweep(app)
    [item] = _items(app, "listing_review")
    assert (item.object, item.card) == (f"tender:{tid}", "none")
    assert item.due_at == rules.add_working_days(item.started_at, 3)
    clock.freeze(item.started_at + (item.due_at - item.started_at) * 0.81)
    _sweep(app)
    assert _items(app, "listing_review")[0].card == "yellow"
    assert _kinds(app, th.staff) == ["deadline_yellow"] and _kinds(app, "super1") == ["deadline_yellow"]
    desk = _login(app, th.staff).get("/staff/desk").get_data(as_text=True)
    group = desk.split('data-group="listing_review"')[1].split("</section>")[0]
    assert f"招标公告审核 {code}" in group and f"/tenders/{tid}#review" in group and "黄牌" in group
    sup = _login(app, "super1").get("/staff/supervision").get_data(as_text=True)
    assert 'data-card="yellow"' in sup and f"招标公告审核 {code}" in sup
    clock.freeze(item.due_at + timedelta(minutes=1))
    _sweep(app)
    assert _items(app, "listing_review")[0].card == "red"
    assert api.post(f"/api/v1/tenders/{tid}/approve", user=th.staff).status_code == 200
    _sweep(app)
    closed = _items(app, "listing_review")[0]
    assert closed.closed_at is not None and closed.closed_by == th.staff


def test_an_award_after_the_candidates_publicity_counts_under_the_certificate_issue_limit(app, th, api, factory):
    from trading.oversight import rules

    _supervisor(app, factory)
    lot_id = _publicized(th, api)
    _sweep(app)
    assert _items(app, "certificate_issue") == []  # still in publicity
    clock.advance(3 * 86400 + 1)
    _sweep(app)
    [item] = _items(app, "certificate_issue")
    assert item.object == f"lot:{lot_id}" and item.due_at == rules.add_working_days(item.started_at, 3)
    clock.freeze(item.started_at + (item.due_at - item.started_at) * 0.81)
    _sweep(app)
    assert _items(app, "certificate_issue")[0].card == "yellow"
    desk = _login(app, th.staff).get("/staff/desk").get_data(as_text=True)
    group = desk.split('data-group="certificate_issue"')[1].split("</section>")[0]
    code = _code_of_lot(app, lot_id)
    assert f"确定中标人 {code} 第1标段" in group and f"/tenders/lots/{lot_id}/result" in group and "黄牌" in group
    sup = _login(app, "super1").get("/staff/supervision").get_data(as_text=True)
    assert f"确定中标人 {code} 第1标段" in sup
    assert api.get("/api/v1/deadlines", user="super1").get_json()["items"][0]["object"] == f"lot:{lot_id}"
    assert api.post(f"/api/v1/lots/{lot_id}/award", user=th.staff).status_code == 200
    _sweep(app)
    closed = _items(app, "certificate_issue")[0]
    assert closed.closed_at is not None and closed.closed_by == th.staff


# ---------------------------------------------------------------- 4. a credit entry linked to a tender code

def test_a_manual_credit_entry_links_a_tender_code_through_the_api_and_the_staff_form(app, th, api):
    t = th.tender()
    th.bidder("webco")
    th.bidder("apico")
    r = api.post("/api/v1/credit", _credit(_org_code(app, "apico"), cause="collusion",
                                           project_code=t["code"].lower()), user=th.staff)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["project_code"] == t["code"]
    r = api.post("/api/v1/credit", _credit(_org_code(app, "apico"), project_code="ZB-2026-9999"), user=th.staff)
    assert r.status_code == 422 and "project_code" in r.get_json()["error"]["fields"]
    c = _login(app, th.staff)
    form = {k: v for k, v in _credit(_org_code(app, "webco"), cause="other").items()}
    form.update(evidence="投标文件雷同", project_code=t["code"])
    r = c.post("/staff/credit", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)
    html = c.get("/staff/credit").get_data(as_text=True)
    card = html.split(org("webco"))[1].split("</article>")[0]
    assert f'项目 <span class="nowrap">{t["code"]}</span>' in card
    form["project_code"] = "ZB-2026-9999"
    r = c.post("/staff/credit", data=form)
    assert r.status_code == 422 and "项目或招标项目不存在" in r.get_data(as_text=True)
    assert len(api.get("/api/v1/credit?all=1", user=th.staff).get_json()["items"]) == 2


# ---------------------------------------------------------------- 5. rating an awarded lot through the web

def test_the_parties_of_an_awarded_lot_rate_on_its_result_page(app, th, api):
    from trading.oversight.models import Rating

    lot_id = _publicized(th, api)
    alpha = _login(app, "alpha")
    page = f"/tenders/lots/{lot_id}/result"
    assert f"/me/ratings/lots/{lot_id}" not in alpha.get(page).get_data(as_text=True)  # not awarded yet
    clock.advance(3 * 86400 + 1)
    assert api.post(f"/api/v1/lots/{lot_id}/award", user=th.staff).status_code == 200
    html = alpha.get(page).get_data(as_text=True)
    assert f'action="/me/ratings/lots/{lot_id}"' in html and "服务评价（好差评）" in html
    beta = _login(app, "beta")
    assert f"/me/ratings/lots/{lot_id}" not in beta.get(page).get_data(as_text=True)  # not a party
    r = beta.post(f"/me/ratings/lots/{lot_id}", data={"stars": "5"}, follow_redirects=True)
    assert "只有该笔交易的当事方可以评价" in r.get_data(as_text=True)
    r = alpha.post(f"/me/ratings/lots/{lot_id}", data={"stars": "6"}, follow_redirects=True)
    assert "评分须为 1 到 5 的整数" in r.get_data(as_text=True)
    r = alpha.post(f"/me/ratings/lots/{lot_id}", data={"stars": "2", "comment": "开标延迟半小时"})
    assert r.status_code == 302 and r.headers["Location"].startswith(page)
    html = alpha.get(page).get_data(as_text=True)
    assert "您的评价：★★☆☆☆ 开标延迟半小时" in html and "交易中心将在时限内整改并答复" in html
    assert f'action="/me/ratings/lots/{lot_id}"' not in html
    r = alpha.post(f"/me/ratings/lots/{lot_id}", data={"stars": "4"}, follow_redirects=True)
    assert "您已评价过该笔交易" in r.get_data(as_text=True)
    owner = _login(app, th.owner)
    assert owner.post(f"/me/ratings/lots/{lot_id}", data={"stars": "5"}).status_code == 302
    with app.app_context():
        rows = {(r.user_id, r.stars) for r in _db.session.execute(select(Rating)).scalars()}
        rid = _db.session.execute(select(Rating.id).where(Rating.stars == 2)).scalar_one()
        _db.session.remove()
    assert len(rows) == 2
    assert api.post(f"/api/v1/ratings/{rid}/answer", {"answer": "已调整开标室排期"}, user=th.staff).status_code == 200
    assert "交易中心答复：</strong>已调整开标室排期" in alpha.get(page).get_data(as_text=True)
    mine = alpha.get("/me/ratings").get_data(as_text=True)
    assert "已调整开标室排期" in mine and "lot:" not in mine  # what was rated, as people read it, linked
    assert f'<a href="{page}">招标 {_code_of_lot(app, lot_id)} 第1标段' in mine
    assert alpha.post("/me/ratings/lots/999999", data={"stars": "5"}).status_code == 404


# ---------------------------------------------------------------- 6. the credit bar beside the lot registration form

def test_a_barred_bidder_sees_the_cause_and_end_beside_the_lot_registration_form_and_cannot_submit(app, th, api):
    from auctions.models import Registration

    lot_id = th.lot()
    th.bidder("badco")
    th.bidder("goodco")
    entry = api.post("/api/v1/credit", _credit(_org_code(app, "badco")), user=th.staff).get_json()
    bad = _login(app, "badco")
    html = bad.get(f"/tenders/lots/{lot_id}/register").get_data(as_text=True)
    assert "data-credit-barred" in html and "成交人违约（拒不签约）" in html and entry["bar_until"] in html
    form = html.split('<form method="post" class="form-card"')[1].split("</form>")[0]
    assert "确认报名" in form and "disabled" in form.split("确认报名")[0].rsplit("<button", 1)[1]
    assert html.index("data-credit-barred") < html.index('class="form-card"')  # beside (before) the form
    r = bad.post(f"/tenders/lots/{lot_id}/register", data={"security_type": "deposit"}, follow_redirects=True)
    assert "失信惩戒名单" in r.get_data(as_text=True)
    with app.app_context():
        assert _db.session.execute(select(Registration)).scalars().all() == []
        _db.session.remove()
    good = _login(app, "goodco").get(f"/tenders/lots/{lot_id}/register").get_data(as_text=True)
    assert "data-credit-barred" not in good
    assert "disabled" not in good.split("确认报名")[0].rsplit("<button", 1)[1]


# ---------------------------------------------------------------- 8. who closed it: staff only, the right object

def test_a_lot_objection_reply_is_credited_to_the_staff_member_who_answered(app, th, api):
    from trading.oversight.deadlines import statistics

    lot_id = _publicized(th, api)
    r = api.post(f"/api/v1/lots/{lot_id}/objections", {"reason": "第一中标候选人业绩造假"}, user="beta")
    oid = r.get_json()["id"]
    _sweep(app)
    assert [i.closed_at for i in _items(app, "objection_reply")] == [None]
    assert api.post(f"/api/v1/objections/{oid}/dismiss", {"reason": "经核查不属实"}, user=th.staff).status_code == 200
    _sweep(app)
    [item] = _items(app, "objection_reply", f"objection:{oid}")
    assert item.closed_at is not None and item.closed_by == th.staff
    with app.app_context():
        assert statistics()["per_person"][th.staff]["count"] >= 1
        _db.session.remove()


def test_a_bidders_own_withdrawal_is_not_credited_as_a_qualification_and_staff_approval_is(app, api, factory):
    from tests.auctions.conftest import Hall as AuctionHall
    from trading.oversight import deadlines

    hall = AuctionHall(app, factory, api)
    pid = hall.project()
    quitter = hall.register(pid, "quitter")
    kept = hall.register(pid, "kept")
    _sweep(app)
    assert len(_items(app, "qualification")) == 2
    r = api.post(f"/api/v1/registrations/{quitter['id']}/withdraw", {"reason": "不再参与"}, user="quitter")
    assert r.status_code == 200, r.get_json()
    assert api.post(f"/api/v1/registrations/{kept['id']}/confirm-deposit", user=hall.staff).status_code == 200
    assert api.post(f"/api/v1/registrations/{kept['id']}/approve", user=hall.staff).status_code == 200
    _sweep(app)
    closers = {i.object: i.closed_by for i in _items(app, "qualification")}
    assert closers == {f"registration:{quitter['id']}": None, f"registration:{kept['id']}": hall.staff}
    with app.app_context():
        people = deadlines.statistics()["per_person"]
        _db.session.remove()
    assert "quitter" not in people and people[hall.staff]["count"] == 1
    assert people[deadlines.NO_STAFF]["count"] == 1  # closed by the bidder: counted, credited to no staff member
