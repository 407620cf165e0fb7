"""伪造保函: the issuer's guarantor user repudiates a guarantee it never issued, staff confirm the forgery; the
registration loses its security, a draft credit entry is opened against the applicant's organisation, and bad
input changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from auctions.models import Registration
from guarantees import signals as guarantee_signals
from guarantees.models import Guarantee
from trading.accounts.models import CreditEntry
from trading.extensions import db as _db
from trading.models import AuditEntry

from .test_api import URL, _issue, guarantor_user
from .test_views import login


@pytest.fixture
def people(factory, runner, bank):
    factory.user("staff", "staff1")
    factory.user("bidder", "coop1", org_name="龙田农机合作社")
    factory.user("bidder", "coop2")
    factory.user("guarantor", "otherbank")  # a guarantor user of another institution
    return {"banker": guarantor_user(runner, "banker", "TBANK")}


def _repudiate(api, no: str) -> None:
    r = api.post(f"{URL}/{no}/repudiate", {"reason": "本行从未出具该编号的保函"}, user="banker")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["repudiated_by"] == "banker"


def _register(api, setup, no: str, bidder: str = "coop1") -> int:
    r = api.post(f"/api/v1/projects/{setup.announced['id']}/registrations",
                 {"security": {"type": "guarantee", "guarantee_no": no}}, user=bidder)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _state(app, no: str) -> dict:
    """Everything a refusal must leave untouched."""
    with app.app_context():
        g = _db.session.execute(select(Guarantee).where(Guarantee.guarantee_no == no)).scalar_one()
        reg = _db.session.get(Registration, g.registration_id) if g.registration_id else None
        out = {"status": g.status, "closed_at": g.closed_at, "reg": reg.status if reg else None,
               "repudiated_at": g.repudiated_at, "repudiated_by": g.repudiated_by,
               "credit": _db.session.execute(select(func.count(CreditEntry.id))).scalar(),
               "audit": _db.session.execute(select(func.count()).select_from(AuditEntry)
                                            .where(AuditEntry.action.like("guarantee.%"))).scalar()}
        _db.session.remove()
    return out


def test_a_confirmed_forgery_voids_the_guarantee_rejects_the_registration_and_drafts_a_credit_entry(
        app, api, client, setup, bank, people):
    no = _issue(client, setup, bank)
    rid = _register(api, setup, no)
    assert api.post(f"/api/v1/registrations/{rid}/approve", user="staff1").get_json()["status"] == "qualified"

    _repudiate(api, no)
    assert api.get(f"{URL}/{no}", user="staff1").get_json()["status"] == "attached"  # until staff confirm
    r = api.post(f"{URL}/{no}/confirm-forged", {"reason": "测试农商银行来函否认出具该保函"}, user="staff1")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "forged"
    assert api.get(f"{URL}/{no}", user="coop1").get_json()["status"] == "forged"

    # the registration it secured is rejected with the reason: it can no longer bid or be qualified
    reg = api.get(f"/api/v1/registrations/{rid}", user="staff1").get_json()
    assert reg["status"] == "rejected"
    assert no in reg["reason"] and "伪造" in reg["reason"]
    assert api.post(f"/api/v1/registrations/{rid}/approve", user="staff1").status_code == 409

    # a forged guarantee is never attached, released or claimed again
    with app.app_context():
        g = _db.session.execute(select(Guarantee).where(Guarantee.guarantee_no == no)).scalar_one()
        assert g.status == "forged" and "来函否认" in g.close_reason
        entry = _db.session.execute(select(AuditEntry).where(AuditEntry.action == "guarantee.forged")).scalar_one()
        assert entry.actor == "staff1"
        _db.session.remove()
    r = api.post(f"{URL}/{no}/claims", {"reason": "违约"}, user="staff1")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    r = api.post(f"/api/v1/projects/{setup.announced['id']}/registrations",
                 {"security": {"type": "guarantee", "guarantee_no": no}}, user="coop1")
    assert r.status_code in (409, 422)
    assert r.get_json()["error"]["code"] in ("guarantee_in_use", "credit_barred", "already_registered")

    # the applicant's organisation has a draft credit entry with the guarantee number as evidence
    items = api.get("/api/v1/credit?all=1", user="staff1").get_json()["items"]
    assert [(e["status"], e["cause"], e["org_name"]) for e in items] == [("draft", "forged_guarantee", "龙田农机合作社")]
    assert no in items[0]["evidence"] and items[0]["source"] == "forged_guarantee"
    assert api.get("/api/v1/credit").get_json()["items"] == []  # a draft bars nothing yet
    # staff confirm it through the credit list: the organisation is barred from registering
    r = api.post(f"/api/v1/credit/{items[0]['id']}/confirm", user="staff1")
    assert r.status_code == 200 and r.get_json()["status"] == "active"
    r = api.post(f"/api/v1/projects/{setup.announced['id']}/registrations", {"security": {"type": "deposit"}},
                 user="coop1")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "credit_barred"

    # a second confirmation is a wrong state
    r = api.post(f"{URL}/{no}/confirm-forged", {"reason": "再次"}, user="staff1")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"


def test_an_unused_forged_guarantee_can_no_longer_secure_a_registration(app, api, client, setup, bank, people):
    no = _issue(client, setup, bank)
    _repudiate(api, no)
    # repudiated, not yet confirmed: it already secures nothing
    r = api.get(f"{URL}/{no}/check?project_id={setup.announced['id']}", user="coop1").get_json()
    assert r["ok"] is False and r["code"] == "guarantee_in_use" and "否认" in r["message"]
    assert api.post(f"{URL}/{no}/confirm-forged", {"reason": "担保机构否认"}, user="staff1").status_code == 200
    r = api.get(f"{URL}/{no}/check?project_id={setup.announced['id']}", user="coop1").get_json()
    assert r["ok"] is False and r["code"] == "guarantee_in_use" and "伪造" in r["message"]
    r = api.post(f"/api/v1/projects/{setup.announced['id']}/registrations",
                 {"security": {"type": "guarantee", "guarantee_no": no}}, user="coop1")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "guarantee_in_use"
    with app.app_context():
        assert _db.session.execute(select(func.count(Registration.id))).scalar() == 0
        _db.session.remove()


@pytest.mark.parametrize(("user", "body", "status", "code"), [
    ("coop1", {"reason": "否认"}, 403, "forbidden"),
    ("banker", {"reason": "否认"}, 403, "forbidden"),
    (None, {"reason": "否认"}, 401, None),
    ("staff1", {}, 422, "validation_error"),
    ("staff1", {"reason": ""}, 422, "validation_error"),
])
def test_confirm_refusals_change_nothing(app, api, client, setup, bank, people, user, body, status, code):
    no = _issue(client, setup, bank)
    _register(api, setup, no)
    _repudiate(api, no)
    before = _state(app, no)
    r = api.post(f"{URL}/{no}/confirm-forged", body, user=user)
    assert r.status_code == status
    if code:
        assert r.get_json()["error"]["code"] == code
    assert _state(app, no) == before and before["status"] == "attached" and before["reg"] == "pending"


@pytest.mark.parametrize(("user", "body", "status", "code"), [
    ("staff1", {"reason": "否认"}, 403, "forbidden"),
    ("coop1", {"reason": "否认"}, 403, "forbidden"),
    ("otherbank", {"reason": "否认"}, 403, "forbidden"),  # not the issuer's user
    (None, {"reason": "否认"}, 401, None),
    ("banker", {}, 422, "validation_error"),
    ("banker", {"reason": ""}, 422, "validation_error"),
])
def test_repudiation_refusals_change_nothing(app, api, client, setup, bank, people, user, body, status, code):
    no = _issue(client, setup, bank)
    _register(api, setup, no)
    before = _state(app, no)
    r = api.post(f"{URL}/{no}/repudiate", body, user=user)
    assert r.status_code == status
    if code:
        assert r.get_json()["error"]["code"] == code
    assert _state(app, no) == before and before["repudiated_at"] is None


def test_staff_cannot_confirm_before_the_issuer_repudiates_and_the_issuer_repudiates_once(
        app, api, client, setup, bank, people):
    no = _issue(client, setup, bank)
    rid = _register(api, setup, no)
    before = _state(app, no)
    r = api.post(f"{URL}/{no}/confirm-forged", {"reason": "怀疑伪造"}, user="staff1")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    assert _state(app, no) == before
    _repudiate(api, no)
    # a repudiated guarantee no longer counts as security: the registration cannot be qualified
    r = api.post(f"/api/v1/registrations/{rid}/approve", user="staff1")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "security_not_ready"
    before = _state(app, no)
    r = api.post(f"{URL}/{no}/repudiate", {"reason": "再次否认"}, user="banker")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    assert _state(app, no) == before
    with app.app_context():
        assert _db.session.execute(select(func.count()).select_from(AuditEntry)
                                   .where(AuditEntry.action == "guarantee.repudiate")).scalar() == 1
        _db.session.remove()


def test_withdrawing_after_the_repudiation_does_not_escape_the_confirmation(app, api, client, setup, bank, people):
    no = _issue(client, setup, bank)
    rid = _register(api, setup, no)
    _repudiate(api, no)
    assert api.post(f"/api/v1/registrations/{rid}/withdraw", user="coop1").status_code == 200
    assert api.get(f"{URL}/{no}", user="staff1").get_json()["status"] == "attached"  # held for the decision
    r = api.post(f"{URL}/{no}/confirm-forged", {"reason": "核实属实"}, user="staff1")
    assert r.status_code == 200 and r.get_json()["status"] == "forged"
    assert api.get(f"/api/v1/registrations/{rid}", user="staff1").get_json()["status"] == "withdrawn"
    items = api.get("/api/v1/credit?all=1", user="staff1").get_json()["items"]
    assert [(e["status"], e["cause"]) for e in items] == [("draft", "forged_guarantee")]


def test_unknown_guarantee_is_404_and_a_released_one_is_409(app, api, client, setup, bank, people):
    r = api.post(f"{URL}/NO-SUCH-BH/confirm-forged", {"reason": "否认"}, user="staff1")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    r = api.post(f"{URL}/NO-SUCH-BH/repudiate", {"reason": "否认"}, user="banker")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    no = _issue(client, setup, bank)
    rid = _register(api, setup, no)
    assert api.post(f"/api/v1/registrations/{rid}/withdraw", user="coop1").status_code == 200
    before = _state(app, no)
    assert before["status"] == "released"
    r = api.post(f"{URL}/{no}/repudiate", {"reason": "否认"}, user="banker")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    r = api.post(f"{URL}/{no}/confirm-forged", {"reason": "否认"}, user="staff1")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    assert _state(app, no) == before


def test_staff_confirm_on_the_detail_page(app, client, api, setup, bank, people):
    no = _issue(client, setup, bank)
    rid = _register(api, setup, no)
    login(app, client, "coop1")
    assert "确认伪造" not in client.get(f"/guarantees/view/{no}").get_data(as_text=True)
    assert client.post(f"/guarantees/view/{no}/forged", data={"reason": "否认"}).status_code == 403
    login(app, client, "banker")
    assert "否认出具</button>" in client.get(f"/guarantees/view/{no}").get_data(as_text=True)
    r = client.post(f"/guarantees/view/{no}/repudiate", data={"reason": "本行未出具"}, follow_redirects=True)
    assert "已否认该保函" in r.get_data(as_text=True)
    assert client.post(f"/guarantees/view/{no}/forged", data={"reason": "否认"}).status_code == 403
    login(app, client, "staff1")
    html = client.get(f"/guarantees/view/{no}").get_data(as_text=True)
    assert "本行未出具" in html and f"/guarantees/view/{no}/forged" in html
    before = _state(app, no)
    r = client.post(f"/guarantees/view/{no}/forged", data={"reason": "  "}, follow_redirects=True)
    assert "请填写确认伪造的理由" in r.get_data(as_text=True)
    assert _state(app, no) == before
    r = client.post(f"/guarantees/view/{no}/forged", data={"reason": "银行来函否认出具"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "已确认该保函系伪造" in html and "已确认伪造" in html
    assert "确认伪造</button>" not in html
    assert api.get(f"/api/v1/registrations/{rid}", user="staff1").get_json()["status"] == "rejected"


def test_the_signal_has_its_receiver_in_oversight(app):
    assert [r.__module__ for r in guarantee_signals.guarantee_forged.receivers_for(None)] \
        == ["trading.oversight.receivers"]
