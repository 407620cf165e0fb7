"""Publicity and objections: who may object and when, staff resolution, the certificate block."""

from __future__ import annotations

from datetime import timedelta

import pytest

from trading import clock

GROUNDS = "竞价过程中出现异常报价，怀疑存在串通行为，请求复核。"


def _lodge(api, pid, user=None, **body):
    data = {"name": "张三", "phone": "13912345678", "grounds": GROUNDS}
    data.update(body)
    return api.post(f"/api/v1/projects/{pid}/objections", json={k: v for k, v in data.items() if v is not None},
                    user=user)


def test_public_objection_during_publicity(awarded, api):
    r = _lodge(api, awarded["id"])
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "open" and body["registered_bidder"] is False
    pub = api.get(f"/api/v1/projects/{awarded['id']}/publicity").get_json()
    assert pub["in_publicity"] is True and pub["open_objections"] == 1
    assert pub["publicity_ends_at"] == clock.isoformat(awarded["publicity_ends_at"])


def test_registered_bidder_objects_with_token(awarded, api):
    r = _lodge(api, awarded["id"], user=awarded["loser"], name=None, phone=None)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["registered_bidder"] is True
    assert r.get_json()["phone"] == "13800138000"


@pytest.mark.parametrize(("field", "value"), [("phone", "1381234567"), ("phone", "23912345678"),
                                              ("phone", "139-1234-5678"), ("name", ""), ("grounds", "太短")])
def test_bad_objection_fields(awarded, api, field, value):
    r = _lodge(api, awarded["id"], **{field: value})
    assert r.status_code == 422
    assert field in r.get_json()["error"]["fields"]
    assert api.get(f"/api/v1/projects/{awarded['id']}/publicity").get_json()["open_objections"] == 0


def test_objection_outside_publicity(awarded, api, announced):
    clock.freeze(awarded["publicity_ends_at"])
    r = _lodge(api, awarded["id"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "publicity_closed"


def test_objection_on_unawarded_project(api, factory, announced):
    r = _lodge(api, announced["id"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_awarded"


def test_duplicate_open_objection(awarded, api):
    assert _lodge(api, awarded["id"]).status_code == 201
    r = _lodge(api, awarded["id"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "objection_exists"


def test_open_objection_blocks_certificate_until_dismissed(awarded, api, signing_keys):
    oid = _lodge(api, awarded["id"]).get_json()["id"]
    clock.freeze(awarded["publicity_ends_at"] + timedelta(hours=1))
    r = api.post(f"/api/v1/projects/{awarded['id']}/certificate", user=awarded["staff"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "objection_pending"
    assert api.post(f"/api/v1/objections/{oid}/dismiss", json={"reason": "经核查，报价记录正常"},
                    user=awarded["loser"]).status_code == 403
    r = api.post(f"/api/v1/objections/{oid}/dismiss", json={"reason": "经核查，报价记录正常"}, user=awarded["staff"])
    assert r.status_code == 200 and r.get_json()["status"] == "dismissed"
    r = api.post(f"/api/v1/objections/{oid}/dismiss", json={"reason": "again"}, user=awarded["staff"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "objection_resolved"
    assert api.post(f"/api/v1/projects/{awarded['id']}/certificate", user=awarded["staff"]).status_code == 201


def test_objection_list_is_staff_only(awarded, api):
    _lodge(api, awarded["id"])
    assert api.get(f"/api/v1/projects/{awarded['id']}/objections").status_code == 401
    assert api.get(f"/api/v1/projects/{awarded['id']}/objections", user=awarded["loser"]).status_code == 403
    body = api.get(f"/api/v1/projects/{awarded['id']}/objections", user=awarded["staff"]).get_json()
    assert body["total"] == 1 and body["items"][0]["phone"] == "13912345678"


def test_uphold_calls_annul_award(awarded, api, app, monkeypatch):
    """The annulment itself (auctions.services.annul_award) is replaced here: this test is about the call."""
    from certificates import services as cert_services

    calls = []

    def annul_award(project, *, reason, actor, award_next):
        calls.append((project.id, reason, actor, award_next))
        project.status = "failed"
        return project

    monkeypatch.setattr(cert_services, "annul_award", annul_award)
    oid = _lodge(api, awarded["id"]).get_json()["id"]
    r = api.post(f"/api/v1/objections/{oid}/uphold", json={"reason": "报价记录异常属实", "award_next": True},
                 user=awarded["staff"])
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "upheld"
    assert calls == [(awarded["id"], "异议成立：报价记录异常属实", awarded["staff"], True)]
    assert api.get(f"/api/v1/projects/{awarded['id']}").get_json()["status"] == "failed"


def test_uphold_rolls_back_when_annul_fails(awarded, api, monkeypatch):
    from certificates import services as cert_services
    from trading.errors import Conflict

    def annul_award(project, *, reason, actor, award_next):
        raise Conflict("没有可递补的竞买人", code="no_next_bidder")

    monkeypatch.setattr(cert_services, "annul_award", annul_award)
    oid = _lodge(api, awarded["id"]).get_json()["id"]
    r = api.post(f"/api/v1/objections/{oid}/uphold", json={"reason": "属实", "award_next": True},
                 user=awarded["staff"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "no_next_bidder"
    items = api.get(f"/api/v1/projects/{awarded['id']}/objections", user=awarded["staff"]).get_json()["items"]
    assert items[0]["status"] == "open"


def test_publicity_page_shows_end_and_countdown(awarded, client):
    r = client.get(f"/projects/{awarded['id']}/publicity")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert clock.isoformat(awarded["publicity_ends_at"]) in html and "data-countdown" in html
    assert "提出异议" in html


def test_objection_form_posts(awarded, client, app):
    r = client.post(f"/projects/{awarded['id']}/objections",
                    data={"name": "李四", "phone": "13512345678", "grounds": GROUNDS})
    assert r.status_code == 302
    r = client.post(f"/projects/{awarded['id']}/objections", data={"name": "李四", "phone": "123", "grounds": GROUNDS})
    assert r.status_code == 422 and "手机号" in r.get_data(as_text=True)


def test_objection_form_requires_csrf(awarded, app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        r = app.test_client().post(f"/projects/{awarded['id']}/objections",
                                   data={"name": "李四", "phone": "13512345678", "grounds": GROUNDS})
        assert r.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
