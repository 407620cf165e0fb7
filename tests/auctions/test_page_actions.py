"""The actions a page offers are the ones the services allow: relisting a failed project
from the web works for staff and for the listing collective; 我的报名 offers a withdrawal only when the
service would accept it."""

from __future__ import annotations

from sqlalchemy import select

from tests.auctions.test_views import login
from trading.extensions import db as _db


def _failed(hall) -> int:
    """A project whose bidding closed without a single bid: failed (流拍)."""
    pid = hall.project()
    hall.at(pid, 1, from_end=True)
    hall.sweep()
    assert hall.row(pid).status == "failed"
    return pid


def _relisted_from(app, pid: int):
    from trading.projects.models import Project

    with app.app_context():
        copy = _db.session.execute(select(Project).where(Project.relisted_from_id == pid)).scalar_one_or_none()
        _db.session.remove()
    return copy


def test_staff_relist_from_the_result_page_lands_on_a_page_staff_may_open(hall, client, app):
    pid = _failed(hall)
    login(client, app, hall.staff)
    assert "重新挂牌" in client.get(f"/auctions/projects/{pid}/result").get_data(as_text=True)
    r = client.post(f"/staff/auctions/projects/{pid}/relist", follow_redirects=True)
    assert r.status_code == 200
    assert "修改项目草稿" in r.get_data(as_text=True) or "修改草稿" in r.get_data(as_text=True)
    assert _relisted_from(app, pid).status == "draft"


def test_the_collective_relists_its_failed_project_from_its_project_page(hall, client, app):
    pid = _failed(hall)
    login(client, app, hall.owner)
    html = client.get(f"/projects/{pid}").get_data(as_text=True)
    assert "重新挂牌" in html
    r = client.post(f"/my/projects/{pid}/relist", follow_redirects=True)
    assert r.status_code == 200
    copy = _relisted_from(app, pid)
    assert copy is not None and copy.status == "draft"
    assert "修改项目草稿" in r.get_data(as_text=True)


def test_a_project_that_did_not_fail_offers_no_relist(hall, client, app):
    pid = hall.project()
    login(client, app, hall.owner)
    assert "重新挂牌" not in client.get(f"/projects/{pid}").get_data(as_text=True)
    assert client.post(f"/my/projects/{pid}/relist", follow_redirects=True).status_code in (200, 409)
    assert _relisted_from(app, pid) is None


def test_my_registrations_offers_no_withdrawal_the_service_refuses(hall, client, app, api):
    pid = hall.project()
    reg = hall.register(pid, "alice")
    login(client, app, "alice")
    assert "撤回报名" in client.get("/auctions/my").get_data(as_text=True)
    # the collective withdraws the listing while registration is still open by the calendar
    r = api.post(f"/api/v1/projects/{pid}/withdraw", {"reason": "村民代表会议决定暂不出让"}, user=hall.owner)
    assert r.status_code == 200, r.get_json()
    refused = api.post(f"/api/v1/registrations/{reg['id']}/withdraw", user="alice")
    assert refused.status_code == 409
    assert "撤回报名" not in client.get("/auctions/my").get_data(as_text=True)
