"""SM2/SM3 (国密) guarantees: the SM2 vector both ways, independent implementations, and every refusal."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from asn1crypto import pem as asn1_pem
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from guarantees import client as gclient
from guarantees import sm2
from guarantees.models import Guarantee
from trading.extensions import db as _db

from . import make_sm2_vector
from .conftest import canonical

URL = "/api/v1/guarantees"
HERE = Path(__file__).parent


def sm2_vector() -> dict:
    return json.loads((HERE / "guarantee-sm2.json").read_text(encoding="utf-8"))


def _count(app) -> int:
    with app.app_context():
        n = _db.session.execute(select(func.count(Guarantee.id))).scalar_one()
        _db.session.remove()
    return n


def _raw_post(client, text: str):
    return client.post(URL, data=text.encode("utf-8"), content_type="application/json")


def _register(api, factory, code: str, pem: str):
    factory.user("staff", "staff9")
    return api.post("/api/v1/guarantors", {"code": code, "name": "中国银行广西壮族自治区分行",
                                           "public_key_pem": pem}, user="staff9")


@pytest.fixture
def gxboc(api, factory):
    """The SM2 vector's guarantor, registered through the API by staff."""
    v = sm2_vector()
    r = _register(api, factory, "GXBOC", v["public_key_pem"])
    assert r.status_code == 201, r.get_json()
    key = r.get_json()["keys"][0]
    assert (key["algorithm"], key["algorithm_label"]) == ("sm2", "国密 SM2")
    return v


def _gmssl_verifies(public_xy_hex: str, message: bytes, r: int, s: int) -> bool:
    from gmssl import sm2 as gm

    verifier = gm.CryptSM2(private_key="", public_key="00")
    verifier.public_key = public_xy_hex  # set directly: gmssl's constructor lstrip("04")s the key
    return bool(verifier.verify_with_sm3(f"{r:064x}{s:064x}", message))


# ---------------------------------------------------------------- (a) the platform accepts the vector

def test_the_sm2_vector_is_accepted_byte_for_byte(app, client, api, gxboc):
    v = gxboc
    assert canonical(v["document"]) == v["canonical_utf8"].encode("utf-8")
    assert hashlib.sha256(v["canonical_utf8"].encode("utf-8")).hexdigest() == v["canonical_sha256"]
    body = '{"document": ' + json.dumps(v["document"], ensure_ascii=False, indent=2) + ', "signature": "' + \
        v["signature"] + '"}'
    r = _raw_post(client, body)
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"guarantee_no": "GXBOC-BH-2026-000456", "status": "issued"}
    with app.app_context():
        g = _db.session.execute(select(Guarantee)).scalar_one()
        assert (g.document, g.sha256, g.signature) == (v["canonical_utf8"], v["canonical_sha256"], v["signature"])
        assert g.key.algorithm == "sm2"
    shown = api.get("/api/v1/guarantees/GXBOC-BH-2026-000456", user="staff9").get_json()
    assert (shown["algorithm"], shown["algorithm_label"]) == ("sm2", "国密 SM2")


def test_the_checked_in_vector_is_exactly_what_its_script_makes():
    assert make_sm2_vector.render(make_sm2_vector.build()) == (HERE / "guarantee-sm2.json").read_text(
        encoding="utf-8")


def test_the_vector_is_reproduced_by_gmssl_an_independent_implementation():
    """gmssl computes Z and e its own way (hard-coded ID 1234567812345678) and, with the vector's k, signs
    to the very same r‖s; it also verifies the vector's signature."""
    v = sm2_vector()
    gm_e, gm_rs = make_sm2_vector.gmssl_signature(int(v["private_key_hex"], 16),
                                                  bytes.fromhex("04" + v["public_key_xy_hex"]),
                                                  v["canonical_utf8"].encode("utf-8"), int(v["k_hex"], 16))
    assert gm_e == v["e_hex"]
    assert gm_rs == v["signature_r_s_hex"]
    ((r, s),) = sm2.decode_signature(base64.b64decode(v["signature"]))
    assert f"{r:064x}{s:064x}" == v["signature_r_s_hex"]
    assert _gmssl_verifies(v["public_key_xy_hex"], v["canonical_utf8"].encode(), r, s)
    assert not _gmssl_verifies(v["public_key_xy_hex"], v["canonical_utf8"].encode() + b" ", r, s)


def test_gmalg_reproduces_the_gbt_32918_2_annex_a_example():
    """GB/T 32918.2-2016 Annex A.2 (its Fp-256 test curve, ID ALICE123@YAHOO.COM, "message digest")."""
    from gmalg import SM3
    from gmalg import ellipticcurve as ecc
    from gmalg.sm2 import SM2Core

    curve = ecc.ECDLP(
        0x8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3,
        0x787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498,
        0x63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A,
        (0x421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D,
         0x0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2),
        0x8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7)
    d = 0x128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263
    k = 0x6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F
    core = SM2Core(curve, SM3(), lambda _bits: k)
    pk = core.generate_pk(d)
    assert pk == (0x0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A,
                  0x7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857)
    uid = b"ALICE123@YAHOO.COM"
    assert core.entity_info(uid, pk).hex().upper() == \
        "F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A"
    r, s = core.sign(b"message digest", d, uid, pk)
    assert r == 0x40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1
    assert s == 0x6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7
    assert core.verify(b"message digest", r, s, uid, pk)
    assert not core.verify(b"message digest", r, s, b"1234567812345678", pk)


# ---------------------------------------------------------------- (b) the client helper, checked elsewhere

def test_the_client_helpers_sm2_signature_verifies_with_gmssl(tmp_path):
    public = gclient.generate_key(tmp_path / "bank-sm2.pem", "sm2")
    assert oct((tmp_path / "bank-sm2.pem").stat().st_mode & 0o777) == "0o600"
    key = gclient.load_private_key(tmp_path / "bank-sm2.pem")
    assert gclient.public_pem(key) == public
    doc = dict(sm2_vector()["document"], guarantee_no="GXBOC-BH-2026-000789")
    body = gclient.build_and_sign(doc, key)
    der = base64.b64decode(body["signature"])
    ((r, s),) = sm2.decode_signature(der)
    xy = sm2.load_public_pem(public).point[1:].hex()
    assert _gmssl_verifies(xy, canonical(doc), r, s)
    assert not _gmssl_verifies(xy, canonical(dict(doc, amount="8000.01")), r, s)


def _openssl_has_sm2() -> bool:
    if shutil.which("openssl") is None:
        return False
    out = subprocess.run(["openssl", "list", "-public-key-algorithms"],  # noqa: S607
                         capture_output=True, text=True, check=False).stdout
    return "SM2" in out


@pytest.mark.skipif(not _openssl_has_sm2(), reason="no openssl command with SM2")
def test_the_client_helpers_sm2_signature_verifies_with_openssl(tmp_path):
    """OpenSSL 3 (its own SM2 and SM3) checks the helper's DER signature, and the ID is part of it."""
    key = sm2.generate_private_key()
    doc = sm2_vector()["document"]
    body = gclient.build_and_sign(doc, key)
    (tmp_path / "pub.pem").write_text(key.public_key().pem())
    (tmp_path / "msg").write_bytes(canonical(doc))
    (tmp_path / "sig").write_bytes(base64.b64decode(body["signature"]))

    def openssl_verify(uid: str) -> subprocess.CompletedProcess:
        return subprocess.run(["openssl", "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pubin",  # noqa: S607
                               "-inkey", "pub.pem", "-in", "msg", "-sigfile", "sig", "-pkeyopt", f"distid:{uid}"],
                              cwd=tmp_path, capture_output=True, text=True, check=False)

    ok = openssl_verify("1234567812345678")
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout, ok.stderr
    assert openssl_verify("ALICE123@YAHOO.COM").returncode != 0


def test_an_sm2_guarantee_signed_by_the_client_and_cli_is_issued(app, client, api, factory, runner, setup, tmp_path):
    out = tmp_path / "sm2.pem"
    r = runner.invoke(args=["guarantees", "keygen", "--out", str(out), "--algorithm", "sm2"])
    assert r.exit_code == 0, r.output
    assert sm2.load_public_pem(r.output) is not None
    assert _register(api, factory, "SMBANK", r.output).status_code == 201
    doc = setup.document("coop1", issuer="SMBANK")
    r = client.post(URL, json=gclient.build_and_sign(doc, gclient.load_private_key(out)))
    assert r.status_code == 201, r.get_json()


def test_the_demo_guarantor_can_sign_with_sm2(app, runner, setup):
    from guarantees.demo import issue_demo_guarantee

    r = runner.invoke(args=["guarantees", "demo-guarantor", "--code", "DEMOSM2", "--algorithm", "sm2"])
    assert r.exit_code == 0, r.output
    doc = setup.document("coop1", issuer="DEMOSM2")
    with app.app_context():
        g = issue_demo_guarantee(doc, code="DEMOSM2")
        assert g.key.algorithm == "sm2"
        _db.session.rollback()


# ---------------------------------------------------------------- refusals: the same 422 codes as today

def test_the_tampered_sm2_vector_is_bad_signature_and_stores_nothing(app, client, gxboc):
    doc = dict(gxboc["document"], **gxboc["tampered"]["change"])
    r = _raw_post(client, json.dumps({"document": doc, "signature": gxboc["signature"]}, ensure_ascii=False))
    assert r.status_code == 422
    assert r.get_json()["error"]["code"] == "bad_signature"
    assert _count(app) == 0


def test_an_unsigned_sm2_guarantee_is_bad_signature(app, client, gxboc):
    for signature in (None, "", "not base64!"):
        body = {"document": gxboc["document"]} | ({} if signature is None else {"signature": signature})
        r = client.post(URL, json=body)
        assert r.status_code == 422
        assert r.get_json()["error"]["code"] == "bad_signature"
    assert _count(app) == 0


def test_a_signature_with_another_user_id_is_bad_signature(app, client, gxboc):
    v = gxboc
    key = sm2.SM2PrivateKey(int(v["private_key_hex"], 16))
    wrong = key.sign(canonical(v["document"]), user_id=b"ALICE123@YAHOO.COM")
    assert key.public_key().verify(canonical(v["document"]), wrong, b"ALICE123@YAHOO.COM")  # a good signature...
    r = client.post(URL, json={"document": v["document"], "signature": base64.b64encode(wrong).decode()})
    assert r.status_code == 422  # ...but not under the default ID the platform uses
    assert r.get_json()["error"]["code"] == "bad_signature"
    assert _count(app) == 0


def test_an_sm2_signature_by_another_key_or_with_an_altered_r_is_bad_signature(app, client, gxboc):
    v = gxboc
    forged = sm2.generate_private_key().sign(canonical(v["document"]))
    rs = bytearray(bytes.fromhex(v["signature_r_s_hex"]))
    rs[5] ^= 1
    for sig in (forged, bytes(rs), base64.b64decode(v["signature"]) + b"\x00"):
        r = client.post(URL, json={"document": v["document"], "signature": base64.b64encode(sig).decode()})
        assert r.get_json()["error"]["code"] == "bad_signature"
    assert _count(app) == 0


def test_raw_r_s_is_accepted_as_well_as_der(app, client, gxboc):
    raw = base64.b64encode(bytes.fromhex(gxboc["signature_r_s_hex"])).decode()
    r = client.post(URL, json={"document": gxboc["document"], "signature": raw})
    assert r.status_code == 201, r.get_json()


def test_an_ed25519_guarantor_cannot_pass_off_an_sm2_signature(app, client, bank, setup):
    """A document from an Ed25519 guarantor signed with an SM2 key is refused like any wrong signature."""
    doc = setup.document("coop1")
    body = gclient.build_and_sign(doc, sm2.generate_private_key())
    r = client.post(URL, json=body)
    assert r.get_json()["error"]["code"] == "bad_signature"


# ---------------------------------------------------------------- keys

def _spki(algorithm_oid_der: bytes, point: bytes) -> str:
    algorithm = b"\x30" + bytes([len(algorithm_oid_der)]) + algorithm_oid_der
    bits = b"\x03" + bytes([len(point) + 1]) + b"\x00" + point
    body = algorithm + bits
    return asn1_pem.armor("PUBLIC KEY", b"\x30" + bytes([len(body)]) + body).decode()


EC_PUBLIC_KEY = bytes.fromhex("06072a8648ce3d0201")
SM2_CURVE = bytes.fromhex("06082a811ccf5501822d")
P256_CURVE = bytes.fromhex("06082a8648ce3d030107")


def test_a_p256_key_mislabelled_as_sm2_is_refused_at_registration(app, api, factory):
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    r = _register(api, factory, "MISLABEL", _spki(EC_PUBLIC_KEY + SM2_CURVE, p256))
    assert r.status_code == 422
    assert "SM2" in r.get_json()["error"]["fields"]["public_key_pem"]
    # and the other way round: an SM2 point labelled P-256
    sm2_point = sm2.generate_private_key().public_key().point
    r = _register(api, factory, "MISLABEL", _spki(EC_PUBLIC_KEY + P256_CURVE, sm2_point))
    assert r.status_code == 422
    assert "public_key_pem" in r.get_json()["error"]["fields"]


def test_an_sm2_key_in_either_encoding_has_one_fingerprint(app, api, factory):
    """The form with 1.2.156.10197.1.301 as the algorithm is read too, and is the same key: 409 duplicate."""
    v = sm2_vector()
    point = bytes.fromhex("04" + v["public_key_xy_hex"])
    alt = _spki(SM2_CURVE, point)
    r = _register(api, factory, "ALTSM2", alt)
    assert r.status_code == 201, r.get_json()
    key = r.get_json()["keys"][0]
    assert key["public_key_pem"] == v["public_key_pem"]
    assert key["fingerprint"] == hashlib.sha256(asn1_pem.unarmor(v["public_key_pem"].encode())[2]).hexdigest()
    r = api.post("/api/v1/guarantors/ALTSM2/keys", {"public_key_pem": v["public_key_pem"]}, user="staff9")
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "duplicate_key"


def test_an_openssl_style_key_off_the_curve_or_compressed(app, api, factory):
    point = bytearray(sm2.generate_private_key().public_key().point)
    point[-1] ^= 1  # no longer on the curve
    r = _register(api, factory, "OFFCURVE", _spki(EC_PUBLIC_KEY + SM2_CURVE, bytes(point)))
    assert r.status_code == 422
    full = sm2.generate_private_key().public_key().point
    compressed = bytes([2 + (full[-1] & 1)]) + full[1:33]
    r = _register(api, factory, "COMPRESSED", _spki(EC_PUBLIC_KEY + SM2_CURVE, compressed))
    assert r.status_code == 201, r.get_json()
    assert sm2.load_public_pem(r.get_json()["keys"][0]["public_key_pem"]).point == full


def test_staff_register_an_sm2_guarantor_on_the_page_and_see_its_algorithm(app, client, factory):
    from .test_views import login

    factory.user("staff", "staff1")
    login(app, client, "staff1")
    page = client.get("/staff/guarantees").get_data(as_text=True)
    assert "国密 SM2" in page  # the form says which keys it takes
    r = client.post("/staff/guarantors", data={"code": "WEBSM2", "name": "网页登记银行",
                                               "public_key_pem": sm2_vector()["public_key_pem"]},
                    follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "已登记担保机构 WEBSM2（公钥算法：国密 SM2）" in html
    assert "1 把公钥（国密 SM2）" in html


def test_a_key_on_a_curve_cryptography_does_not_know_is_422_not_500(app, api, factory):
    """Before SM2 support an SM2 PEM (or any unknown curve) escaped as UnsupportedAlgorithm: a 500."""
    unknown_curve = bytes.fromhex("06032a0304")  # OID 1.2.3.4
    r = _register(api, factory, "ODDCURVE", _spki(EC_PUBLIC_KEY + unknown_curve, b"\x04" + b"\x01" * 64))
    assert r.status_code == 422
    assert "public_key_pem" in r.get_json()["error"]["fields"]
