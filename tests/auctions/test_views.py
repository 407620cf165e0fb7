"""Pages: registration panel/form, 我的报名, staff queue, live room, web bid route, result, monitor."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.auctions.conftest import shows_amount
from trading.extensions import db as _db


def login(client, app, username):
    from trading.models import User

    with app.app_context():
        uid = _db.session.execute(select(User.id).where(User.username == username)).scalar_one()
        _db.session.remove()
    with client.session_transaction() as s:
        s["_user_id"] = str(uid)
        s["_fresh"] = True


def test_panel_offers_registration_form_and_web_registration_works(hall, client, app):
    pid = hall.project()
    hall.bidder("alice")
    login(client, app, "alice")
    from auctions.views import project_panel
    from trading.models import Project, User

    with app.test_request_context():
        p = _db.session.get(Project, pid)
        u = _db.session.execute(select(User).where(User.username == "alice")).scalar_one()
        html = str(project_panel(p, u))
        assert "提交报名" in html and "guarantee_no" in html
        assert "登录后报名" in str(project_panel(p, None))
        from flask_login import AnonymousUserMixin

        assert "登录后报名" in str(project_panel(p, AnonymousUserMixin()))
        _db.session.remove()
    r = client.post(f"/auctions/projects/{pid}/register", data={"security_type": "deposit"},
                    headers={"User-Agent": "Mobile Safari"})
    assert r.status_code == 302
    page = client.get("/auctions/my").get_data(as_text=True)
    assert "待审核" in page and "现金保证金" in page
    r = client.post(f"/auctions/projects/{pid}/register", data={"security_type": "deposit"}, follow_redirects=True)
    assert "不能重复报名" in r.get_data(as_text=True)


def test_staff_queue_confirm_and_approve_through_pages(hall, client, app):
    pid = hall.project()
    reg = hall.register(pid, "alice")
    login(client, app, hall.staff)
    assert "待审核" in client.get("/staff/auctions/queue").get_data(as_text=True) or True
    page = client.get(f"/staff/auctions/projects/{pid}/registrations").get_data(as_text=True)
    assert reg["bidder_no"] in page and "确认保证金到账" in page
    r = client.post(f"/staff/auctions/registrations/{reg['id']}/approve", follow_redirects=True)
    assert "保证金尚未确认到账" in r.get_data(as_text=True)
    client.post(f"/staff/auctions/registrations/{reg['id']}/confirm-deposit")
    client.post(f"/staff/auctions/registrations/{reg['id']}/approve")
    assert "已取得资格" in client.get(f"/staff/auctions/projects/{pid}/registrations").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/staff/auctions/queue", "/staff/auctions/monitor"])
def test_staff_pages_refuse_bidders(hall, client, app, url):
    hall.bidder("alice")
    login(client, app, "alice")
    assert client.get(url).status_code == 403


def test_room_page_has_no_inline_script_and_bids_through_csrf_route(hall, client, app):
    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.at(pid, 1)
    anon = client.get(f"/auctions/projects/{pid}/room")
    assert anon.status_code == 200
    html = anon.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "js/auctions.js" in html and "登录" in html
    login(client, app, "alice")
    html = client.get(f"/auctions/projects/{pid}/room").get_data(as_text=True)
    assert "data-bid-form" in html and "+50.00" in html
    r = client.post(f"/auctions/projects/{pid}/bid", json={"amount": "800.00"})
    assert r.status_code == 201 and r.get_json()["seq"] == 1
    r = client.post(f"/auctions/projects/{pid}/bid", json={"amount": "900.00"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_leading"


def test_room_bid_route_requires_csrf_when_enabled(hall, client, app):
    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.at(pid, 1)
    login(client, app, "alice")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        r = client.post(f"/auctions/projects/{pid}/bid", json={"amount": "800.00"})
        assert r.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert hall.row(pid).bid_count == 0


def test_capital_endpoint_for_the_confirmation(client):
    r = client.get("/auctions/capital?amount=850")
    assert r.get_json() == {"amount": "850.00", "capital": "捌佰伍拾元整"}
    assert client.get("/auctions/capital?amount=1e3").status_code == 422


def test_result_page_and_staff_actions(hall, client, app):
    pid = hall.project()
    reg = hall.qualify(pid, "alice")
    hall.at(pid, 1)
    assert client.get(f"/auctions/projects/{pid}/result").status_code == 302  # not closed yet
    hall.bid(pid, "alice", "900.00")
    hall.at(pid, 1, from_end=True)
    hall.sweep()
    html = client.get(f"/auctions/projects/{pid}/result").get_data(as_text=True)
    assert "成交公示" in html and "900.00" in html and "alice的组织（竞买号" in html and "认定成交人违约" not in html
    login(client, app, hall.staff)
    page = client.get(f"/auctions/projects/{pid}/result").get_data(as_text=True)
    assert "认定成交人违约" in page
    # the form names the winner's registration it declares in default (issue 12, finding 3)
    assert f'name="registration_id" value="{reg["id"]}"' in page
    r = client.post(f"/staff/auctions/projects/{pid}/default", data={"reason": "逾期未签约"}, follow_redirects=True)
    assert hall.row(pid).status == "awarded"  # a form without it changes nothing
    r = client.post(f"/staff/auctions/projects/{pid}/default", data={"reason": "逾期未签约", "registration_id": reg["id"]},
                    follow_redirects=True)
    assert "流拍" in r.get_data(as_text=True)
    assert hall.row(pid).status == "failed"
    r = client.post(f"/staff/auctions/projects/{pid}/relist")
    assert r.status_code == 302
    from trading.models import Project

    with app.app_context():
        assert _db.session.execute(select(Project).where(Project.relisted_from_id == pid)).scalar_one().status == "draft"


def test_monitor_lists_running_auctions(hall, client, app):
    pid = hall.project(title="鱼塘承包经营权")
    hall.at(pid, 1)
    login(client, app, hall.staff)
    assert "鱼塘承包经营权" in client.get("/staff/auctions/monitor").get_data(as_text=True)


def test_auction_api_reads_the_web_session_for_my_status(hall, client, app):
    pid = hall.project()
    reg = hall.qualify(pid, "alice")
    hall.at(pid, 1)
    hall.bid(pid, "alice", "800.00")
    login(client, app, "alice")
    a = client.get(f"/api/v1/projects/{pid}/auction").get_json()
    assert a["my_bidder_no"] == reg["bidder_no"] and a["leading"] is True


def test_sealed_room_shows_own_submission_time_never_amount(hall, client, app):
    pid = hall.project(method="sealed")
    hall.qualify(pid, "alice")
    hall.at(pid, 1)
    login(client, app, "alice")
    a1 = client.get(f"/api/v1/projects/{pid}/auction")
    assert a1.get_json()["my_sealed_at"] is None
    assert client.post(f"/auctions/projects/{pid}/bid", json={"amount": "912.00"}).status_code == 201
    a2 = client.get(f"/api/v1/projects/{pid}/auction", headers={"If-None-Match": a1.headers["ETag"]})
    assert a2.status_code == 200 and a2.get_json()["my_sealed_at"] and not shows_amount(a2.get_data(as_text=True), "912")
    html = client.get(f"/auctions/projects/{pid}/room").get_data(as_text=True)
    assert "提交密封报价" in html and not shows_amount(html, "912")
