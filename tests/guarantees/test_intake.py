"""POST /api/v1/guarantees: the shared test vector, signatures made outside the app, and every refusal."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from guarantees.models import Guarantee
from guarantees.rules import FIELDS
from tests.conftest import iso
from trading import clock
from trading.extensions import db as _db

from .conftest import canonical, pem_of, sign, vector

URL = "/api/v1/guarantees"


def _count(app) -> int:
    with app.app_context():
        n = _db.session.execute(select(func.count(Guarantee.id))).scalar_one()
        _db.session.remove()
    return n


@pytest.fixture
def gxrcb(app, api, factory):
    """The vector's guarantor, registered through the API by staff."""
    v = vector()
    factory.user("staff", "staff9")
    r = api.post("/api/v1/guarantors", {"code": "GXRCB", "name": "广西农村商业银行",
                                        "public_key_pem": v["public_key_pem"]}, user="staff9")
    assert r.status_code == 201, r.get_json()
    return v


def _raw_post(client, text: str):
    return client.post(URL, data=text.encode("utf-8"), content_type="application/json")


def test_the_shared_vector_is_accepted_byte_for_byte(app, client, gxrcb):
    v = gxrcb
    assert canonical(v["document"]) == v["canonical_utf8"].encode("utf-8")
    assert hashlib.sha256(v["canonical_utf8"].encode("utf-8")).hexdigest() == v["canonical_sha256"]
    body = '{"document": ' + json.dumps(v["document"], ensure_ascii=False, indent=2) + ', "signature": "' + \
        v["signature"] + '"}'
    r = _raw_post(client, body)
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"guarantee_no": "GXRCB-BH-2026-000123", "status": "issued"}
    with app.app_context():
        g = _db.session.execute(select(Guarantee)).scalar_one()
        assert g.document == v["canonical_utf8"]
        assert g.sha256 == v["canonical_sha256"]
        assert g.signature == v["signature"]
        assert g.amount == Decimal("5000.00")
        assert g.applicant == "liuzhou-coop-01"


def test_the_tampered_vector_is_bad_signature_and_stores_nothing(app, client, gxrcb):
    doc = dict(gxrcb["document"], **gxrcb["tampered"]["change"])
    r = _raw_post(client, json.dumps({"document": doc, "signature": gxrcb["signature"]}, ensure_ascii=False))
    assert r.status_code == 422
    assert r.get_json()["error"]["code"] == "bad_signature"
    assert _count(app) == 0


def test_a_replayed_document_is_duplicate_guarantee(app, client, gxrcb):
    body = {"document": gxrcb["document"], "signature": gxrcb["signature"]}
    assert client.post(URL, json=body).status_code == 201
    r = client.post(URL, json=body)
    assert r.status_code == 422
    assert r.get_json()["error"]["code"] == "duplicate_guarantee"
    assert _count(app) == 1


def test_a_guarantee_signed_outside_the_app_with_only_cryptography_is_accepted(app, client, api, factory):
    """The integrator's side written out by hand: the canonical form of API.md and an Ed25519 key."""
    key = ed25519.Ed25519PrivateKey.generate()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    factory.user("staff", "staff9")
    assert api.post("/api/v1/guarantors", {"code": "OUTSIDE", "name": "外部银行", "public_key_pem": public_pem},
                    user="staff9").status_code == 201
    document = {"guarantee_no": "OUT-2026-1", "issuer": "OUTSIDE", "type": "bid_bond", "applicant": "张三",
                "beneficiary": "鹿寨县公共资源交易中心", "project_code": "GC-2026-0007", "amount": "120000.50",
                "currency": "CNY", "valid_from": "2026-06-01T00:00:00+08:00",
                "valid_until": "2026-12-31T23:59:59+08:00", "issued_at": "2026-05-20T09:30:00+08:00"}
    message = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    signature = base64.b64encode(key.sign(message)).decode()
    r = client.post(URL, data=json.dumps({"signature": signature, "document": document}),
                    content_type="application/json")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["status"] == "issued"


def test_an_ecdsa_p256_guarantor_is_verified_behind_the_same_interface(app, client, api, factory, setup):
    key = ec.generate_private_key(ec.SECP256R1())
    factory.user("staff", "staff9")
    assert api.post("/api/v1/guarantors", {"code": "ECBANK", "name": "椭圆曲线保险",
                                           "public_key_pem": pem_of(key)}, user="staff9").status_code == 201
    doc = setup.document("coop1", issuer="ECBANK")
    sig = key.sign(canonical(doc), ec.ECDSA(hashes.SHA256()))
    r = client.post(URL, json={"document": doc, "signature": base64.b64encode(sig).decode()})
    assert r.status_code == 201, r.get_json()
    bad = dict(doc, amount="6000.00")
    r = client.post(URL, json={"document": bad, "signature": base64.b64encode(sig).decode()})
    assert r.get_json()["error"]["code"] == "bad_signature"


def test_an_unregistered_issuer_is_unknown_issuer(app, client, bank_key, setup):
    r = client.post(URL, json=sign(setup.document("coop1", issuer="NOBANK"), bank_key))
    assert r.status_code == 422
    assert r.get_json()["error"]["code"] == "unknown_issuer"


def test_a_signature_by_another_key_is_bad_signature(app, client, bank, setup):
    forger = ed25519.Ed25519PrivateKey.generate()
    r = client.post(URL, json=sign(setup.document("coop1"), forger))
    assert r.status_code == 422
    assert r.get_json()["error"]["code"] == "bad_signature"
    r = client.post(URL, json={"document": setup.document("coop1"), "signature": "not base64!"})
    assert r.get_json()["error"]["code"] == "bad_signature"
    assert _count(app) == 0


@pytest.mark.parametrize(("over", "field"), [
    ({"type": "performance_bond"}, "type"),
    ({"currency": "USD"}, "currency"),
    ({"amount": "0"}, "amount"),
    ({"amount": "-5.00"}, "amount"),
    ({"amount": "5000.001"}, "amount"),
    ({"amount": "1e4"}, "amount"),
    ({"valid_from": "2026-05-01T00:00:00"}, "valid_from"),
    ({"valid_from": "2026-05-01"}, "valid_from"),
    ({"valid_until": "9999-12-31T20:00:00Z"}, "valid_until"),  # issue 12: instants bounded to 2000–2100
    ({"valid_from": "0001-01-01T00:00:00+14:00"}, "valid_from"),
    ({"issued_at": "1999-12-31T23:59:59Z"}, "issued_at"),
    ({"applicant": ""}, "applicant"),
    ({"guarantee_no": "A B/1"}, "guarantee_no"),
    ({"extra": "x"}, "document"),
    ("reverse", "valid_until"),
    ("late_issue", "issued_at"),
    ("future_issue", "issued_at"),
    ("missing", "beneficiary"),
])
def test_a_well_signed_but_invalid_document_is_invalid_document(app, client, bank, setup, over, field):
    doc = setup.document("coop1")
    if over == "reverse":
        doc["valid_from"], doc["valid_until"] = doc["valid_until"], doc["valid_from"]
        doc["issued_at"] = iso(clock.now() - timedelta(days=1))
    elif over == "late_issue":
        doc["issued_at"] = doc["valid_until"]
    elif over == "future_issue":
        start = clock.now() + timedelta(days=3)
        doc.update(issued_at=iso(start), valid_from=iso(start), valid_until=iso(start + timedelta(days=30)))
    elif over == "missing":
        del doc["beneficiary"]
    else:
        doc.update(over)
    r = client.post(URL, json=sign(doc, bank["key"]))
    assert r.status_code == 422, r.get_json()
    err = r.get_json()["error"]
    assert err["code"] == "invalid_document"
    assert field in err["fields"]
    assert _count(app) == 0


def test_json_numbers_are_canonicalised_as_the_signer_wrote_them(app, client, bank, setup):
    """A document whose amount is a JSON number verifies; the amount is kept exactly."""
    doc = dict(setup.document("coop1"), amount=5000.5)
    text = json.dumps({"document": doc, "signature": sign(doc, bank["key"])["signature"]})
    r = _raw_post(client, text)
    assert r.status_code == 201, r.get_json()
    with app.app_context():
        assert _db.session.execute(select(Guarantee.amount)).scalar_one() == Decimal("5000.50")


@pytest.mark.parametrize("body", ['{"signature": "x"}', '{"document": [], "signature": "x"}', '[1]'])
def test_a_body_without_a_document_object_is_invalid_document(client, body):
    r = _raw_post(client, body)
    assert r.status_code == 422
    assert r.get_json()["error"]["code"] == "invalid_document"


def test_malformed_json_is_400(client):
    r = _raw_post(client, "{not json")
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "malformed_json"


_values = st.one_of(st.text(max_size=30), st.integers(), st.booleans(), st.none(),
                    st.decimals(allow_nan=False, allow_infinity=False, places=2),
                    st.lists(st.text(max_size=3), max_size=2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=_values, action=st.sampled_from(["change", "drop", "add"]))
def test_any_single_field_change_to_a_signed_document_is_refused(app, client, gxrcb, field, value, action):
    doc = dict(gxrcb["document"])
    if action == "change":
        if value == doc[field] or (isinstance(value, Decimal) and str(value) == doc[field]):
            return
        doc[field] = value
    elif action == "drop":
        del doc[field]
    else:
        doc["x_" + field] = value
    body = json.dumps({"document": doc, "signature": gxrcb["signature"]}, ensure_ascii=False,
                      default=lambda d: float(d))
    r = _raw_post(client, body)
    assert r.status_code == 422
    code = r.get_json()["error"]["code"]
    if field == "issuer" and action != "add":
        # the issuer names the key, so a changed issuer is not even a registered one
        assert code in {"unknown_issuer", "invalid_document"}
    else:
        assert code == "bad_signature"  # the signature is checked before the document
    assert _count(app) == 0
