"""Pages: staff desk access and actions, public verification page, project panel, guarantee hook."""

from __future__ import annotations

import io
import types

from sqlalchemy import select

from trading.accounts.models import User
from trading.extensions import db


def login(client, app, username):
    with app.app_context():
        uid = db.session.execute(select(User.id).where(User.username == username)).scalar_one()
    with client.session_transaction() as s:
        s["_user_id"] = str(uid)
        s["_fresh"] = True


def test_desk_access_rules(issuable, client, app, factory):
    r = client.get("/staff/certificates")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    _, bidder = factory.user("bidder", "nosy")
    login(client, app, bidder)
    assert client.get("/staff/certificates").status_code == 403
    assert client.post(f"/staff/projects/{issuable['id']}/certificate").status_code == 403


def test_desk_lists_awaiting_and_issues(issuable, client, app, api):
    login(client, app, issuable["staff"])
    html = client.get("/staff/certificates").get_data(as_text=True)
    assert issuable["code"] in html and "出具鉴证书" in html
    r = client.post(f"/staff/projects/{issuable['id']}/certificate")
    assert r.status_code == 302 and "/certificates/NC-" in r.headers["Location"]
    html = client.get("/staff/certificates").get_data(as_text=True)
    assert issuable["code"] not in html  # no longer awaiting
    reg = client.get("/staff/certificates?tab=register&q=C0001").get_data(as_text=True)
    assert "鹿农交鉴" in reg and "/pdf" in reg
    assert "没有符合条件" in client.get("/staff/certificates?tab=register&q=zzz").get_data(as_text=True)
    # a second issue from the page is refused with the message, not a crash
    r = client.post(f"/staff/projects/{issuable['id']}/certificate")
    assert r.status_code == 302
    with client.session_transaction() as s:
        assert any("不能重复出具" in m for _, m in s.get("_flashes", []))


def test_desk_objection_tab_dismiss(awarded, client, app, api):
    r = api.post(f"/api/v1/projects/{awarded['id']}/objections",
                 json={"name": "王五", "phone": "13700001111", "grounds": "成交价格明显偏低，请求复核交易过程。"})
    oid = r.get_json()["id"]
    login(client, app, awarded["staff"])
    html = client.get("/staff/certificates?tab=objections").get_data(as_text=True)
    assert "王五" in html and "13700001111" in html
    assert "data-countdown" in client.get("/staff/certificates?tab=publicity").get_data(as_text=True)
    r = client.post(f"/staff/objections/{oid}/resolve", data={"action": "dismiss", "reason": "经核查无异常"})
    assert r.status_code == 302
    items = api.get(f"/api/v1/projects/{awarded['id']}/objections", user=awarded["staff"]).get_json()["items"]
    assert items[0]["status"] == "dismissed" and items[0]["resolution"] == "经核查无异常"


def test_public_certificate_page_and_revoke(issued, client, app):
    html = client.get(f"/certificates/{issued['number']}").get_data(as_text=True)
    assert issued["number_text"] in html and "有效" in html and "199,215.00元" in html
    assert "撤销鉴证书" not in html  # anonymous
    login(client, app, issued["staff"])
    r = client.post(f"/staff/certificates/{issued['number']}/revoke", data={"reason": "合同解除"})
    assert r.status_code == 302
    html = client.get(f"/certificates/{issued['number']}").get_data(as_text=True)
    assert "已撤销" in html and "合同解除" in html
    assert client.get("/certificates/NC-2000-C0404").status_code == 404


def test_verify_page_upload(issued, client, api):
    data = api.get(f"/api/v1/certificates/{issued['number']}/pdf").data
    r = client.post("/certificates/verify", data={"file": (io.BytesIO(data), "c.pdf")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "文件真实有效" in html and issued["number_text"] in html
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 0xFF
    html = client.post("/certificates/verify", data={"file": (io.BytesIO(bytes(bad)), "c.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "未通过核验" in html
    r = client.get(f"/certificates/verify?number={issued['number']}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/certificates/{issued['number']}")
    assert client.get("/certificates/verify").status_code == 200


def test_project_panel(issued, app):
    from certificates.views import project_panel
    from trading.projects.models import Project

    with app.test_request_context():
        p = db.session.get(Project, issued["id"])
        html = str(project_panel(p, None))
        assert "结果公示与鉴证" in html and issued["number_text"] in html
        db.session.remove()


def test_nav_items():
    from certificates.views import nav_items

    assert ("证书核验", "certificates.verify_page", {}) in nav_items(None)
    assert any(e == "certificates.desk" for _, e, _ in nav_items(types.SimpleNamespace(role="staff")))
    assert all(e != "certificates.desk" for _, e, _ in nav_items(types.SimpleNamespace(role="bidder")))


def test_issue_calls_guarantee_hook_with_winner_registration(issuable, api, monkeypatch):
    calls = []
    from guarantees import services as guarantee_services

    monkeypatch.setattr(guarantee_services, "on_deal_completed",
                        lambda registration, actor: calls.append((registration.bidder_no, actor)))
    r = api.post(f"/api/v1/projects/{issuable['id']}/certificate", user=issuable["staff"])
    assert r.status_code == 201
    assert calls == [("A017", issuable["staff"])]


def test_openapi_lists_certificate_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/projects/{project_id}/certificate", "/api/v1/certificates/{number}",
                 "/api/v1/certificates/{number}/pdf", "/api/v1/certificates/verify",
                 "/api/v1/certificates/{number}/revoke", "/api/v1/projects/{project_id}/objections"):
        assert path in spec["paths"], path
    assert "application/pdf" in spec["paths"]["/api/v1/certificates/verify"]["post"]["requestBody"]["content"]
