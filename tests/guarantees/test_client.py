"""The integrator's client: keygen and sign-and-submit against a running server."""

from __future__ import annotations

import json
import threading

import pytest
from werkzeug.serving import make_server

from guarantees import client as gclient


@pytest.fixture
def server(app):
    srv = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join()


def test_keygen_writes_a_private_key_with_mode_600_and_never_overwrites(runner, tmp_path):
    out = tmp_path / "bank.pem"
    r = runner.invoke(args=["guarantees", "keygen", "--out", str(out)])
    assert r.exit_code == 0
    assert r.output.startswith("-----BEGIN PUBLIC KEY-----")
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert runner.invoke(args=["guarantees", "keygen", "--out", str(out)]).exit_code != 0


def test_sign_and_submit_posts_a_guarantee_the_platform_accepts(app, runner, tmp_path, server, api, factory, setup):
    key = tmp_path / "bank.pem"
    pub = gclient.generate_key(key)
    factory.user("staff", "staff1")
    assert api.post("/api/v1/guarantors", {"code": "CLIB", "name": "客户端银行", "public_key_pem": pub},
                    user="staff1").status_code == 201
    doc_file = tmp_path / "doc.json"
    doc = setup.document("coop1", issuer="CLIB")
    doc_file.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    r = runner.invoke(args=["guarantees", "sign-and-submit", "--key", str(key), "--document", str(doc_file),
                            "--url", server])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"guarantee_no": doc["guarantee_no"], "status": "issued"}
    r = runner.invoke(args=["guarantees", "sign-and-submit", "--key", str(key), "--document", str(doc_file),
                            "--url", server])
    assert r.exit_code == 1
    assert json.loads(r.output)["error"]["code"] == "duplicate_guarantee"


def test_the_standalone_client_signs_ecdsa_too(app, server, api, factory, setup):
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    factory.user("staff", "staff1")
    api.post("/api/v1/guarantors", {"code": "ECC", "name": "EC保险", "public_key_pem": gclient.public_pem(key)},
             user="staff1")
    status, answer = gclient.submit(server, gclient.build_and_sign(setup.document("coop1", issuer="ECC"), key))
    assert status == 201, answer


def test_the_demo_guarantor_key_lives_in_the_instance_dir(app, runner):
    from guarantees.demo import key_path

    r = runner.invoke(args=["guarantees", "demo-guarantor"])
    assert r.exit_code == 0, r.output
    with app.app_context():
        path = key_path("LZRCB")
    assert path.exists()
    assert str(path).startswith(app.config["TRADING_KEYS_DIR"])
    assert runner.invoke(args=["guarantees", "demo-guarantor"]).exit_code == 0  # idempotent
