"""Guarantors and keys, reads and their access rules, the on-the-spot check, claims, deposits, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from guarantees import jobs, services
from tests.conftest import PASSWORD, iso
from trading import clock
from trading.extensions import db as _db
from trading.models import Organisation

from .conftest import pem_of, sign

URL = "/api/v1/guarantees"


def guarantor_user(runner, username: str, code: str) -> str:
    r = runner.invoke(args=["users", "create", username, "--role", "guarantor", "--password", PASSWORD,
                            "--org", code])
    assert r.exit_code == 0, r.output
    return username


@pytest.fixture
def people(factory, runner, bank):
    factory.user("staff", "staff1")
    factory.user("bidder", "coop1")
    factory.user("bidder", "coop2")
    return {"staff": "staff1", "bidder": "coop1", "other": "coop2", "banker": guarantor_user(runner, "banker", "TBANK")}


def _issue(client, setup, bank, bidder="coop1", **over) -> str:
    doc = setup.document(bidder, **over)
    r = client.post(URL, json=sign(doc, bank["key"]))
    assert r.status_code == 201, r.get_json()
    return doc["guarantee_no"]


def _attached(app, client, setup, bank, bidder="coop1") -> tuple[str, int]:
    from auctions.models import Registration

    no = _issue(client, setup, bank, bidder)
    rid = setup.registration(bidder)
    with app.app_context():
        services.verify_and_attach(guarantee_no=no, registration=_db.session.get(Registration, rid), actor=bidder)
        _db.session.commit()
    return no, rid


# ---------------------------------------------------------------- guarantors and keys

def test_registering_a_guarantor_is_staff_only_and_creates_its_organisation(app, api, factory, runner):
    factory.user("staff", "staff1")
    factory.user("bidder", "coop1")
    body = {"code": "NEWB", "name": "新银行", "public_key_pem": pem_of(ed25519.Ed25519PrivateKey.generate())}
    assert api.post("/api/v1/guarantors", body).status_code == 401
    assert api.post("/api/v1/guarantors", body, user="coop1").status_code == 403
    r = api.post("/api/v1/guarantors", body, user="staff1")
    assert r.status_code == 201
    assert r.get_json()["keys"][0]["algorithm"] == "ed25519"
    with app.app_context():
        org = _db.session.query(Organisation).filter_by(code="NEWB").one()
        assert (org.kind, org.name) == ("guarantor", "新银行")
    assert api.post("/api/v1/guarantors", body, user="staff1").status_code == 409
    guarantor_user(runner, "newb-clerk", "NEWB")
    assert runner.invoke(args=["users", "create", "x", "--role", "guarantor", "--password", PASSWORD,
                               "--org", "NOPE"]).exit_code != 0


@pytest.mark.parametrize("pem", ["garbage", "rsa"])
def test_a_key_that_is_not_ed25519_or_p256_is_refused(api, factory, pem):
    factory.user("staff", "staff1")
    if pem == "rsa":
        pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    r = api.post("/api/v1/guarantors", {"code": "BAD", "name": "坏钥匙", "public_key_pem": pem}, user="staff1")
    assert r.status_code == 422
    assert "public_key_pem" in r.get_json()["error"]["fields"]


def test_key_rotation_keeps_earlier_guarantees_valid_and_bounds_each_key_to_its_period(
        app, api, client, setup, bank, people):
    new_key = ed25519.Ed25519PrivateKey.generate()
    t = clock.now() - timedelta(days=2)
    keys = api.get("/api/v1/guarantors/TBANK", user="staff1").get_json()["keys"]
    r = api.post(f"/api/v1/guarantors/TBANK/keys/{keys[0]['id']}/retire", {"valid_until": iso(t)}, user="staff1")
    assert r.status_code == 200, r.get_json()
    r = api.post("/api/v1/guarantors/TBANK/keys", {"public_key_pem": pem_of(new_key), "valid_from": iso(t)},
                 user="staff1")
    assert r.status_code == 201, r.get_json()
    before, after = iso(t - timedelta(days=1)), iso(t + timedelta(hours=1))
    # old key after its retirement (even dated while it was valid: issue 12, finding 4), new key dated before
    # its start: refused
    for key, at in ((bank["key"], after), (bank["key"], before), (new_key, before)):
        r = client.post(URL, json=sign(setup.document("coop1", issued_at=at), key))
        assert r.get_json()["error"]["code"] == "bad_signature"
    assert client.post(URL, json=sign(setup.document("coop1", issued_at=after), new_key)).status_code == 201


def test_a_retired_key_cannot_back_date_a_document_and_earlier_receipts_stay_valid(
        app, api, client, setup, bank, people):
    """The signer chooses `issued_at`: a stolen retired key back-dates its document into the key's validity.
    The platform judges the key by the time it RECEIVES the document (its own clock)."""
    from auctions.models import Registration

    received = _issue(client, setup, bank)  # received while the key is valid
    keys = api.get("/api/v1/guarantors/TBANK", user="staff1").get_json()["keys"]
    retired_at = clock.now() + timedelta(minutes=5)
    r = api.post(f"/api/v1/guarantors/TBANK/keys/{keys[0]['id']}/retire", {"valid_until": iso(retired_at)},
                 user="staff1")
    assert r.status_code == 200, r.get_json()
    clock.freeze(retired_at + timedelta(hours=1))
    back_dated = setup.document("coop2", issued_at=iso(retired_at - timedelta(days=3)))
    r = client.post(URL, json=sign(back_dated, bank["key"]))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "bad_signature"
    assert api.get(f"{URL}/{back_dated['guarantee_no']}", user="staff1").status_code == 404
    # the guarantee received before the retirement still serves its holder
    rid = setup.registration("coop1")
    with app.app_context():
        g = services.verify_and_attach(guarantee_no=received, registration=_db.session.get(Registration, rid),
                                       actor="coop1")
        assert g.status == "attached"
        _db.session.commit()


def test_the_add_key_cli_rotates_keys(app, runner, bank, tmp_path, client, setup):
    key_file = tmp_path / "new.pem"
    r = runner.invoke(args=["guarantees", "keygen", "--out", str(key_file)])
    assert r.exit_code == 0, r.output
    pub = tmp_path / "new.pub"
    pub.write_text(r.output)
    at = iso(clock.now() - timedelta(hours=2))
    r = runner.invoke(args=["guarantees", "add-key", "TBANK", "--pem", str(pub), "--valid-from", at,
                            "--retire-others"])
    assert r.exit_code == 0, r.output
    from guarantees.client import load_private_key

    assert client.post(URL, json=sign(setup.document("coop1"), load_private_key(key_file))).status_code == 201
    r = client.post(URL, json=sign(setup.document("coop1"), bank["key"]))
    assert r.get_json()["error"]["code"] == "bad_signature"


# ---------------------------------------------------------------- reads

def test_a_guarantee_is_visible_to_its_applicant_its_issuer_and_staff_only(app, api, client, setup, bank, people,
                                                                          runner):
    no = _issue(client, setup, bank)
    for user in ("coop1", "banker", "staff1"):
        r = api.get(f"{URL}/{no}", user=user)
        assert r.status_code == 200, user
        assert r.get_json()["status"] == "issued"
    assert r.get_json()["document"]["guarantee_no"] == no
    other_bank = ed25519.Ed25519PrivateKey.generate()
    api.post("/api/v1/guarantors", {"code": "OTHER", "name": "他行", "public_key_pem": pem_of(other_bank)},
             user="staff1")
    guarantor_user(runner, "other-clerk", "OTHER")
    for user in ("coop2", "other-clerk"):
        assert api.get(f"{URL}/{no}", user=user).status_code == 403
    assert api.get(f"{URL}/{no}").status_code == 401
    assert api.get(f"{URL}/NOPE-1", user="staff1").status_code == 404
    assert api.get(URL, user="coop2").get_json()["total"] == 0
    assert api.get(URL, user="banker").get_json()["total"] == 1
    assert api.get(URL, user="other-clerk").get_json()["total"] == 0


def test_the_on_the_spot_check_reports_the_code_without_attaching(app, api, client, setup, bank, people, announced):
    no = _issue(client, setup, bank)
    pid = announced["id"]
    r = api.get(f"{URL}/{no}/check?project_id={pid}", user="coop1")
    assert r.get_json()["ok"] is True
    r = api.get(f"{URL}/{no}/check?project_id={pid}", user="coop2")
    assert r.get_json() == {"ok": False, "code": "applicant_mismatch", "message": r.get_json()["message"]}
    assert api.get(f"{URL}/NOPE/check?project_id={pid}", user="coop1").get_json()["code"] == "guarantee_not_found"
    assert api.get(f"{URL}/{no}/check?project_id={pid}", user="staff1").status_code == 403
    assert api.get(f"{URL}/{no}", user="coop1").get_json()["status"] == "issued"


# ---------------------------------------------------------------- claims

def test_staff_file_a_claim_and_the_issuers_user_pays_it(app, api, client, setup, bank, people):
    no, _ = _attached(app, client, setup, bank)
    assert api.post(f"{URL}/{no}/claims", {"reason": "拒签"}, user="coop1").status_code == 403
    r = api.post(f"{URL}/{no}/claims", {"reason": "竞得人拒不签约"}, user="staff1")
    assert r.status_code == 201
    claim = r.get_json()
    assert claim["status"] == "filed"
    assert api.get(f"{URL}/{no}", user="staff1").get_json()["status"] == "claimed"
    assert api.post(f"/api/v1/claims/{claim['id']}/pay", user="staff1").status_code == 403
    r = api.post(f"/api/v1/claims/{claim['id']}/pay", user="banker")
    assert r.status_code == 200
    assert r.get_json()["status"] == "paid"
    assert api.get(f"{URL}/{no}", user="coop1").get_json()["status"] == "paid"
    r = api.post(f"/api/v1/claims/{claim['id']}/pay", user="banker")
    assert r.status_code == 409


def test_a_claim_needs_an_attached_guarantee_and_other_guarantors_cannot_pay_it(app, api, client, setup, bank,
                                                                               people, runner):
    free = _issue(client, setup, bank)
    r = api.post(f"{URL}/{free}/claims", {"reason": "x"}, user="staff1")
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "invalid_state"
    no, _ = _attached(app, client, setup, bank, "coop2")
    cid = api.post(f"{URL}/{no}/claims", {"reason": "违约"}, user="staff1").get_json()["id"]
    api.post("/api/v1/guarantors", {"code": "OTHER", "name": "他行",
                                    "public_key_pem": pem_of(ed25519.Ed25519PrivateKey.generate())}, user="staff1")
    guarantor_user(runner, "other-clerk", "OTHER")
    assert api.post(f"/api/v1/claims/{cid}/pay", user="other-clerk").status_code == 403
    r = api.post(f"/api/v1/claims/{cid}/reject", {"reason": "未见违约证明"}, user="banker")
    assert r.status_code == 200
    assert r.get_json()["status"] == "rejected"
    assert api.post(f"/api/v1/claims/{cid}/pay", user="banker").status_code == 409
    assert api.get("/api/v1/claims", user="banker").get_json()["total"] == 1
    assert api.get("/api/v1/claims", user="other-clerk").get_json()["total"] == 0


# ---------------------------------------------------------------- deposits and expiry

def test_the_refund_list_after_the_close_and_marking_refunded(app, api, setup, people, announced):
    from auctions.models import Registration

    rid = setup.registration("coop1", "deposit")
    with app.app_context():
        reg = _db.session.get(Registration, rid)
        services.open_deposit(reg, "coop1")
        services.confirm_deposit(reg, "staff1")
        services.on_project_closed(setup.project(), None, "scheduler")
        _db.session.commit()
    due = api.get("/api/v1/deposits?due=1", user="staff1").get_json()
    assert due["total"] == 1
    dep = due["items"][0]
    assert dep["refund_due"] is True
    assert api.get("/api/v1/deposits", user="coop1").status_code == 403
    r = api.post(f"/api/v1/deposits/{dep['id']}/refund", user="staff1")
    assert r.json["status"] == "refunded"
    assert api.get("/api/v1/deposits?due=1", user="staff1").get_json()["total"] == 0
    assert api.get("/api/v1/deposits?status=refunded", user="staff1").get_json()["total"] == 1


def test_the_expiry_job_expires_unused_guarantees_once(app, api, client, setup, bank, people):
    issued = _issue(client, setup, bank)
    attached, _ = _attached(app, client, setup, bank, "coop2")
    with app.app_context():
        until = services.find_guarantee(issued).valid_until
        _db.session.remove()
    clock.freeze(until - timedelta(seconds=1))
    with app.app_context():
        assert jobs.expire_guarantees() == 0
    clock.freeze(until)
    # reads report what the clock implies before the job has run; a claim is no longer possible
    api.tokens.clear()  # tokens issued before the jump have expired
    r = api.get(f"{URL}/{attached}", user="staff1")
    assert r.get_json()["status"] == "expired"
    r = api.post(f"{URL}/{attached}/claims", {"reason": "违约"}, user="staff1")
    assert r.status_code == 409
    with app.app_context():
        assert services.find_guarantee(attached).status == "attached"
        assert jobs.expire_guarantees() == 2
        assert jobs.expire_guarantees() == 0
        assert services.find_guarantee(issued).status == "expired"
        assert services.find_guarantee(attached).status == "expired"


def test_the_expiry_job_skips_a_row_another_scheduler_holds(app, client, setup, bank, people):
    """PostgreSQL: FOR UPDATE SKIP LOCKED lets two schedulers split the work instead of waiting."""
    from sqlalchemy import text

    with app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("row locks are a PostgreSQL matter; SQLite serialises whole transactions")
    first, second = _issue(client, setup, bank), _issue(client, setup, bank)
    with app.app_context():
        until = services.find_guarantee(first).valid_until
        _db.session.remove()
        clock.freeze(until)
        other = _db.engine.connect()
        tx = other.begin()
        other.execute(text("SELECT id FROM guarantees WHERE guarantee_no = :n FOR UPDATE"), {"n": first})
        try:
            assert jobs.expire_guarantees() == 1
            assert services.find_guarantee(second).status == "expired"
            assert services.find_guarantee(first).status == "issued"
        finally:
            tx.rollback()
            other.close()
        _db.session.remove()
        assert jobs.expire_guarantees() == 1
        assert services.find_guarantee(first).status == "expired"


def test_a_forged_guarantee_is_never_stored_so_it_never_secures_a_registration(app, client, setup, bank, people):
    from auctions.models import Registration
    from trading.errors import Invalid

    doc = setup.document("coop1")
    forged = sign(doc, ed25519.Ed25519PrivateKey.generate())
    assert client.post(URL, json=forged).get_json()["error"]["code"] == "bad_signature"
    rid = setup.registration("coop1")
    with app.app_context():
        reg = _db.session.get(Registration, rid)
        with pytest.raises(Invalid) as exc:
            services.verify_and_attach(guarantee_no=doc["guarantee_no"], registration=reg, actor="coop1")
        assert exc.value.code == "guarantee_not_found"
        assert not services.security_ready(reg)
