"""`flask keys init`: creates the keys with 0600, idempotent; paths from the environment."""

from __future__ import annotations

import os
import stat


def test_keys_init_creates_and_is_idempotent(app, runner, tmp_path):
    old = app.config["TRADING_KEYS_DIR"]
    app.config["TRADING_KEYS_DIR"] = str(tmp_path / "keys")
    try:
        r = runner.invoke(args=["keys", "init"])
        assert r.exit_code == 0, r.output
        files = sorted(os.listdir(tmp_path / "keys"))
        assert files == ["ca.cert.pem", "ca.key.pem", "ed25519.key.pem", "signer.cert.pem", "signer.key.pem"]
        for name in files:
            assert stat.S_IMODE(os.stat(tmp_path / "keys" / name).st_mode) == 0o600
        before = {n: (tmp_path / "keys" / n).read_bytes() for n in files}
        r = runner.invoke(args=["keys", "init"])
        assert r.exit_code == 0 and "已存在" in r.output
        assert {n: (tmp_path / "keys" / n).read_bytes() for n in files} == before
    finally:
        app.config["TRADING_KEYS_DIR"] = old


def test_signer_certificate_names_from_config(app, runner, tmp_path):
    from cryptography import x509

    old = app.config["TRADING_KEYS_DIR"]
    app.config["TRADING_KEYS_DIR"] = str(tmp_path / "k")
    try:
        assert runner.invoke(args=["keys", "init"]).exit_code == 0
        cert = x509.load_pem_x509_certificate((tmp_path / "k" / "signer.cert.pem").read_bytes())
        ca = x509.load_pem_x509_certificate((tmp_path / "k" / "ca.cert.pem").read_bytes())
        assert app.config["TRADING_CENTER_NAME"] in cert.subject.rfc4514_string()
        assert cert.issuer == ca.subject and cert.issuer != cert.subject
    finally:
        app.config["TRADING_KEYS_DIR"] = old


def test_paths_from_environment(app, runner, tmp_path, monkeypatch):
    from certificates import keys

    monkeypatch.setenv("TRADING_ED25519_KEY", str(tmp_path / "elsewhere" / "ed.pem"))
    old = app.config["TRADING_KEYS_DIR"]
    app.config["TRADING_KEYS_DIR"] = str(tmp_path / "k2")
    try:
        assert runner.invoke(args=["keys", "init"]).exit_code == 0
        assert (tmp_path / "elsewhere" / "ed.pem").exists()
        assert not (tmp_path / "k2" / "ed25519.key.pem").exists()
        with app.app_context():
            assert keys.available()
    finally:
        app.config["TRADING_KEYS_DIR"] = old


def test_signer_is_cached_per_process(app, signing_keys):
    from certificates import keys

    with app.app_context():
        assert keys.pades_signer() is keys.pades_signer()
        assert keys.ed25519_key() is keys.ed25519_key()


def test_corrupt_key_is_signing_unavailable(app, tmp_path, issuable, api, runner):
    old = app.config["TRADING_KEYS_DIR"]
    app.config["TRADING_KEYS_DIR"] = str(tmp_path / "bad")
    try:
        assert runner.invoke(args=["keys", "init"]).exit_code == 0
        (tmp_path / "bad" / "signer.key.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nnope\n")
        r = api.post(f"/api/v1/projects/{issuable['id']}/certificate", user=issuable["staff"])
        assert r.status_code == 503 and r.get_json()["error"]["code"] == "signing_unavailable"
    finally:
        app.config["TRADING_KEYS_DIR"] = old
    assert api.get(f"/api/v1/projects/{issuable['id']}").get_json()["status"] == "awarded"


def test_keys_init_refuses_signer_without_ca(app, runner, tmp_path):
    old = app.config["TRADING_KEYS_DIR"]
    app.config["TRADING_KEYS_DIR"] = str(tmp_path / "k3")
    try:
        assert runner.invoke(args=["keys", "init"]).exit_code == 0
        (tmp_path / "k3" / "ca.key.pem").unlink()
        r = runner.invoke(args=["keys", "init"])
        assert r.exit_code != 0 and "根证书" in r.output
    finally:
        app.config["TRADING_KEYS_DIR"] = old
