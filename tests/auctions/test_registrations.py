"""Registration (报名), security and qualification through the API (docs/api.md "Registrations")."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.conftest import iso
from trading import clock
from trading.extensions import db as _db


def _url(pid):
    return f"/api/v1/projects/{pid}/registrations"


def test_register_with_deposit_gives_pending_and_random_bidder_no(hall, api):
    pid = hall.project()
    nos = set()
    for i in range(5):
        name = hall.bidder(f"b{i}")
        r = api.post(_url(pid), {"security": {"type": "deposit"}}, user=name,
                     headers={"User-Agent": "pytest-agent/1.0"})
        assert r.status_code == 201, r.get_json()
        body = r.get_json()
        assert body["status"] == "pending" and body["id"]
        assert len(body["bidder_no"]) == 6 and body["bidder_no"].isdigit()
        nos.add(body["bidder_no"])
    assert len(nos) == 5
    from auctions.models import Registration

    with hall.app.app_context():
        reg = _db.session.get(Registration, body["id"])
        assert reg.user_agent == "pytest-agent/1.0" and reg.ip == "127.0.0.1"


def test_second_registration_is_already_registered(hall, api):
    pid = hall.project()
    hall.register(pid, "b1")
    r = api.post(_url(pid), {"security": {"type": "deposit"}}, user="b1")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_registered"


def test_window_is_checked_before_duplicate_and_security(hall, api):
    pid = hall.project()
    hall.register(pid, "b1")
    hall.at(pid, -3600 + 1)  # after registration_end (bidding_start − 1h)
    for body in ({"security": {"type": "deposit"}}, {"security": "nonsense"}):
        r = api.post(_url(pid), body, user="b1")
        assert r.status_code == 409 and r.get_json()["error"]["code"] == "registration_closed"
    # duplicate is checked before the (bad) security
    clock.freeze(None)
    r = api.post(_url(pid), {"security": {"type": "cheque"}}, user="b1")
    assert r.get_json()["error"]["code"] == "already_registered"


def test_not_announced_project_is_registration_closed(hall, api, factory):
    r = api.post("/api/v1/projects", factory.project_body(), user=hall.owner)
    pid = r.get_json()["id"]
    hall.bidder("b1")
    r = api.post(_url(pid), {"security": {"type": "deposit"}}, user="b1")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "registration_closed"


@pytest.mark.parametrize("body", [{}, {"security": {"type": "cash"}}, {"security": {"type": "guarantee"}},
                                  {"security": {"type": "guarantee", "guarantee_no": ""}}])
def test_bad_security_is_422_and_records_nothing(hall, api, body):
    pid = hall.project()
    hall.bidder("b1")
    r = api.post(_url(pid), body, user="b1")
    assert r.status_code == 422
    r = api.get(_url(pid), user=hall.staff)
    assert r.get_json()["total"] == 0


def test_only_bidders_register(hall, api):
    pid = hall.project()
    r = api.post(_url(pid), {"security": {"type": "deposit"}}, user=hall.staff)
    assert r.status_code == 403
    assert api.post(_url(pid), {"security": {"type": "deposit"}}).status_code == 401


def test_deposit_must_be_confirmed_before_approval(hall, api):
    pid = hall.project()
    reg = hall.register(pid, "b1")
    r = api.post(f"/api/v1/registrations/{reg['id']}/approve", user=hall.staff)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "deposit_not_received"
    assert api.post(f"/api/v1/registrations/{reg['id']}/confirm-deposit", user=hall.staff).status_code == 200
    r = api.post(f"/api/v1/registrations/{reg['id']}/approve", user=hall.staff)
    assert r.status_code == 200 and r.get_json()["status"] == "qualified"
    # bidders cannot qualify themselves
    assert api.post(f"/api/v1/registrations/{reg['id']}/approve", user="b1").status_code == 403


def test_reject_needs_reason_and_records_it(hall, api):
    pid = hall.project()
    reg = hall.register(pid, "b1")
    assert api.post(f"/api/v1/registrations/{reg['id']}/reject", {}, user=hall.staff).status_code == 422
    r = api.post(f"/api/v1/registrations/{reg['id']}/reject", {"reason": "资料不全"}, user=hall.staff)
    assert r.status_code == 200 and r.get_json()["status"] == "rejected" and r.get_json()["reason"] == "资料不全"


def test_withdraw_before_registration_end_releases_and_allows_reregistering(hall, api):
    pid = hall.project()
    reg = hall.qualify(pid, "b1")
    hall.bidder("b2")
    assert api.post(f"/api/v1/registrations/{reg['id']}/withdraw", user="b2").status_code == 403
    r = api.post(f"/api/v1/registrations/{reg['id']}/withdraw", user="b1")
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    from auctions.models import Registration
    from guarantees import services as gs

    with hall.app.app_context():
        dep = gs.deposit_of(_db.session.get(Registration, reg["id"]))
        assert dep.refund_due_at is not None
    r = api.post(_url(pid), {"security": {"type": "deposit"}}, user="b1")
    assert r.status_code == 201 and r.get_json()["id"] == reg["id"]


def test_withdraw_after_registration_end_is_refused(hall, api):
    pid = hall.project()
    reg = hall.qualify(pid, "b1")
    hall.at(pid, -1)
    r = api.post(f"/api/v1/registrations/{reg['id']}/withdraw", user="b1")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "registration_closed"


def test_registration_list_staff_only_and_owner_after_close(hall, api):
    pid = hall.project()
    hall.qualify(pid, "b1")
    r = api.get(_url(pid), user=hall.staff)
    assert r.status_code == 200 and r.get_json()["total"] == 1
    assert r.get_json()["items"][0]["bidder"]["username"] == "b1"
    assert api.get(_url(pid), user=hall.owner).status_code == 403
    assert api.get(_url(pid), user="b1").status_code == 403
    assert api.get(_url(pid)).status_code == 401
    hall.at(pid, 2 * 3600)  # after bidding_end
    assert api.get(_url(pid), user=hall.owner).status_code == 200


def test_my_registrations(hall, api):
    pid = hall.project()
    hall.register(pid, "b1")
    r = api.get("/api/v1/me/registrations", user="b1")
    assert r.status_code == 200 and r.get_json()["items"][0]["project_id"] == pid


# ------------------------------------------------------------- guarantees (real guarantees package)

def _issue_guarantee(app, pid, applicant, **over):
    """A guarantor registered with a fresh Ed25519 key signs a bid bond for the project."""
    from guarantees.intake import receive, register_guarantor
    from trading.projects.models import Project

    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with app.app_context():
        from guarantees.models import Guarantor

        if _db.session.query(Guarantor).filter_by(code="TBANK").first() is None:
            register_guarantor("TBANK", "测试农商银行", pem, actor="staff1")
        else:
            pytest.skip("one guarantor per test")
        p = _db.session.get(Project, pid)
        doc = {"guarantee_no": over.pop("guarantee_no", "TBANK-BH-0001"), "issuer": "TBANK", "type": "bid_bond",
               "applicant": applicant, "beneficiary": "鹿寨县农村产权流转交易中心", "project_code": p.code,
               "amount": "5000.00", "currency": "CNY", "valid_from": iso(p.bidding_start - timedelta(days=1)),
               "valid_until": iso(p.bidding_end + timedelta(days=30)),
               "issued_at": iso(clock.now() - timedelta(hours=1))}
        doc.update(over)
        canon = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        receive({"document": doc, "signature": base64.b64encode(key.sign(canon)).decode()})
        _db.session.commit()
        _db.session.remove()
    return doc["guarantee_no"]


def test_guarantee_registration_attaches_and_can_be_approved_directly(hall, api):
    pid = hall.project()
    hall.bidder("b1")
    no = _issue_guarantee(hall.app, pid, "b1")
    r = api.post(_url(pid), {"security": {"type": "guarantee", "guarantee_no": no}}, user="b1")
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]
    r = api.post(f"/api/v1/registrations/{rid}/approve", user=hall.staff)
    assert r.status_code == 200 and r.get_json()["status"] == "qualified"


def test_guarantee_errors_are_422_with_the_guarantee_code(hall, api):
    pid = hall.project()
    hall.bidder("b1")
    hall.bidder("b2")
    no = _issue_guarantee(hall.app, pid, "b1", amount="100.00")
    r = api.post(_url(pid), {"security": {"type": "guarantee", "guarantee_no": "NOPE-1"}}, user="b1")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "guarantee_not_found"
    r = api.post(_url(pid), {"security": {"type": "guarantee", "guarantee_no": no}}, user="b2")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "applicant_mismatch"
    r = api.post(_url(pid), {"security": {"type": "guarantee", "guarantee_no": no}}, user="b1")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "amount_insufficient"
    assert api.get(_url(pid), user=hall.staff).get_json()["total"] == 0


def test_no_withdrawal_once_bidding_started_even_before_registration_end(hall, api, factory):
    from trading import clock as _clock

    t = _clock.now()
    pid = hall.project(registration_end=iso(t + timedelta(days=6, hours=1, minutes=30)))  # after bidding_start
    reg = hall.qualify(pid, "b1")
    hall.at(pid, 60)
    r = api.post(f"/api/v1/registrations/{reg['id']}/withdraw", user="b1")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "registration_closed"
    # and registration itself is closed once bidding runs
    hall.bidder("b2")
    r = api.post(_url(pid), {"security": {"type": "deposit"}}, user="b2")
    assert r.get_json()["error"]["code"] == "registration_closed"
