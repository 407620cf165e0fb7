"""Public verification: pyHanko's own validator, byte flips, other PDFs, garbage, revocation, bad uploads."""

from __future__ import annotations

import hashlib
import io

import pytest


def _pdf(api, number):
    r = api.get(f"/api/v1/certificates/{number}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    return r.data


def _verify(api, data, content_type="application/pdf"):
    return api.client.post("/api/v1/certificates/verify", data=data, headers={"Content-Type": content_type})


def test_pyhanko_validator_accepts_the_issued_pdf(issued, api, app, signing_keys):
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    data = _pdf(api, issued["number"])
    assert data.startswith(b"%PDF-")
    reader = PdfFileReader(io.BytesIO(data))
    assert len(reader.embedded_signatures) == 1
    sig = reader.embedded_signatures[0]
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    vc = ValidationContext(trust_roots=[load_cert_from_pemder(str(signing_keys.ca_cert))])
    status = validate_pdf_signature(sig, vc)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"
    # without trusting the center's CA the same signature is intact but not trusted
    untrusted = validate_pdf_signature(sig, ValidationContext(trust_roots=[]))
    assert untrusted.intact and not untrusted.trusted


def test_sha256_published_matches_pdf_bytes(issued, api):
    body = api.get(f"/api/v1/certificates/{issued['number']}").get_json()
    assert body["sha256"] == hashlib.sha256(_pdf(api, issued["number"])).hexdigest()


def test_pdf_embeds_cjk_font_subset(issued, api):
    data = _pdf(api, issued["number"])
    assert b"/FontFile2" in data  # embedded TrueType
    assert b"+WenQuanYiMicroHei" in data  # subset tag prefix
    assert b"/Helvetica" not in data  # no unembedded standard font


def test_verify_genuine(issued, api):
    r = _verify(api, _pdf(api, issued["number"]))
    assert r.status_code == 200
    assert r.get_json() == {"valid": True, "number": issued["number"], "status": "valid",
                            "reason": r.get_json()["reason"]}
    assert "有效" in r.get_json()["reason"]


@pytest.mark.parametrize("where", [0.1, 0.5, 0.97])
def test_one_flipped_byte_is_invalid(issued, api, where):
    data = bytearray(_pdf(api, issued["number"]))
    i = int(len(data) * where)
    data[i] ^= 0x01
    r = _verify(api, bytes(data))
    assert r.status_code == 200
    body = r.get_json()
    assert body["valid"] is False and body["reason"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["reason"])


def test_appended_bytes_are_invalid(issued, api):
    r = _verify(api, _pdf(api, issued["number"]) + b"\n%%EOF\n")
    assert r.get_json()["valid"] is False
    assert r.get_json()["number"] == issued["number"]  # recognised, but not the issued bytes


def test_a_different_pdf_is_invalid(issued, api):
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(100, 700, "not a certificate")
    c.save()
    body = _verify(api, buf.getvalue()).get_json()
    assert body == {"valid": False, "number": None, "status": None, "reason": body["reason"]}
    assert "不是本中心签发" in body["reason"]


def test_garbage_is_invalid(api, signing_keys):
    body = _verify(api, b"\x00\x01garbage" * 50).get_json()
    assert body["valid"] is False and body["number"] is None and "PDF" in body["reason"]
    body = _verify(api, b"%PDF-1.7\n garbage garbage").get_json()
    assert body["valid"] is False


def test_revoked_is_reported_invalid(issued, api, app):
    data = _pdf(api, issued["number"])
    r = api.post(f"/api/v1/certificates/{issued['number']}/revoke", json={"reason": "交易双方解除合同"},
                 user=issued["staff"])
    assert r.status_code == 200
    assert r.get_json()["status"] == "revoked" and r.get_json()["revoke_reason"] == "交易双方解除合同"
    body = _verify(api, data).get_json()
    assert body["valid"] is False and body["status"] == "revoked" and "撤销" in body["reason"]
    assert api.get(f"/api/v1/certificates/{issued['number']}").get_json()["status"] == "revoked"
    again = api.post(f"/api/v1/certificates/{issued['number']}/revoke", json={"reason": "再次"},
                     user=issued["staff"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_revoked"
    audit = api.get("/api/v1/audit/verify", user=issued["staff"]).get_json()
    assert audit["ok"] is True
    from trading.extensions import db
    from trading.models import AuditEntry

    with app.app_context():
        assert db.session.query(AuditEntry).filter_by(action="certificate.revoke").count() == 1


def test_revoke_needs_a_reason(issued, api):
    r = api.post(f"/api/v1/certificates/{issued['number']}/revoke", json={"reason": ""}, user=issued["staff"])
    assert r.status_code == 422
    r = api.post(f"/api/v1/certificates/{issued['number']}/revoke", json={}, user=issued["staff"])
    assert r.status_code == 422
    assert api.get(f"/api/v1/certificates/{issued['number']}").get_json()["status"] == "valid"


def test_verify_refuses_wrong_media_type_empty_and_large(api):
    r = _verify(api, b"%PDF-1.7", content_type="application/json")
    assert r.status_code == 415 and r.get_json()["error"]["code"] == "unsupported_media_type"
    r = api.client.post("/api/v1/certificates/verify", data={"file": (io.BytesIO(b"%PDF"), "a.pdf")},
                        content_type="multipart/form-data")
    assert r.status_code == 415
    r = _verify(api, b"")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "empty_body"
    r = _verify(api, b"%PDF-" + b"0" * (10 * 1024 * 1024))
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "payload_too_large"


def test_lookup_by_readable_number_is_for_staff_only(issued, api):
    """The readable number is sequential: the public looks up by the ASCII number with its token."""
    from urllib.parse import quote

    r = api.get(f"/api/v1/certificates/{quote(issued['number_text'])}", user=issued["staff"])
    assert r.status_code == 200 and r.get_json()["number"] == issued["number"]
    assert api.get(f"/api/v1/certificates/{quote(issued['number_text'])}").status_code == 404


def test_signing_keys_endpoint(issued, api):
    body = api.get("/api/v1/certificates/signing-keys").get_json()
    assert body["ed25519_public_key"] == api.get(f"/api/v1/certificates/{issued['number']}").get_json()[
        "signature"]["public_key"]
    assert body["ca_certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")


def test_old_certificate_still_verifies_after_key_rotation(issued, api, app, runner, tmp_path):
    data = _pdf(api, issued["number"])
    old = app.config["TRADING_KEYS_DIR"]
    app.config["TRADING_KEYS_DIR"] = str(tmp_path / "rotated")
    try:
        assert runner.invoke(args=["keys", "init"]).exit_code == 0  # a new CA and signer
        body = _verify(api, data).get_json()
        assert body["valid"] is True, body  # trusted through the CA recorded at issue
        flipped = bytearray(data)
        flipped[len(flipped) // 3] ^= 0x04
        assert _verify(api, bytes(flipped)).get_json()["valid"] is False
    finally:
        app.config["TRADING_KEYS_DIR"] = old


def test_verify_works_without_current_keys(issued, api, app, tmp_path):
    data = _pdf(api, issued["number"])
    old = app.config["TRADING_KEYS_DIR"]
    app.config["TRADING_KEYS_DIR"] = str(tmp_path / "none")
    try:
        body = _verify(api, data).get_json()  # still trusted through the recorded CA
        assert body["valid"] is True
    finally:
        app.config["TRADING_KEYS_DIR"] = old
