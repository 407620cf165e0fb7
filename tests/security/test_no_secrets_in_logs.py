"""A representative flow with every logger at DEBUG (SQL statements and their parameters included): the captured
log output never contains a password, a raw API token, private key material or the SECRET_KEY."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from trading import clock

NEW_PASSWORD = "Lt-Secret-9f3Kq!x"
CHANGED_PASSWORD = "Lt-Changed-7hZ2w!y"


@pytest.fixture
def debug_logs(caplog):
    names = ["", "tradehall", "tradehall.scheduler", "sqlalchemy.engine", "werkzeug", "flask_limiter"]
    old = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield caplog
    for n, lvl in old.items():
        logging.getLogger(n).setLevel(lvl)


def _key_material(app) -> list[str]:
    from certificates import keys

    with app.app_context():
        keys.init_keys(app.config["TRADING_CENTER_NAME"])
        p = keys.key_paths()
    out = []
    for path in (p.ed25519, p.ca_key, p.signer_key):
        body = [line for line in path.read_text().splitlines() if line and not line.startswith("-----")]
        out += [line for line in body if len(line) >= 16]
    assert out
    return out


def test_flow_logs_no_secret(app, hall, api, factory, debug_logs, capsys):
    from tests.certificates.conftest import make_awarded
    from trading.accounts.credit import make_uscc

    key_lines = _key_material(app)
    web = app.test_client()
    r = web.post("/register", data={
        "username": "newfarmer", "password": NEW_PASSWORD, "password2": NEW_PASSWORD, "display_name": "韦农民",
        "phone": "13907720001", "org_name": "韦氏家庭农场", "org_kind": "cooperative",
        "credit_code": make_uscc(424242)})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    web.post("/logout")
    web.post("/login", data={"username": "newfarmer", "password": NEW_PASSWORD + "x"})  # a failed login
    assert web.post("/login", data={"username": "newfarmer", "password": NEW_PASSWORD}).status_code == 302
    web.post("/password", data={"old_password": NEW_PASSWORD, "new_password": CHANGED_PASSWORD,
                                "new_password2": CHANGED_PASSWORD})
    tok = api.client.post("/api/v1/auth/token", json={"username": "newfarmer", "password": CHANGED_PASSWORD})
    assert tok.status_code == 200, tok.get_json()  # the password change went through
    raw_tokens = [tok.get_json()["token"]]

    pid = hall.project()
    hall.qualify(pid, "logbidder")
    hall.at(pid, 10)
    assert hall.bid(pid, "logbidder", "800.00").status_code == 201
    hall.api.client.get(f"/api/v1/projects/{pid}/auction", headers={"Authorization": "Bearer not-a-real-token"})
    clock.freeze(hall.row(pid).ends_at + timedelta(seconds=1))
    hall.sweep()
    clock.freeze(None)

    out = make_awarded(app, factory, api, winner="certwinner")
    clock.freeze(out["publicity_ends_at"] + timedelta(minutes=5))
    r = api.post(f"/api/v1/projects/{out['id']}/certificate", user=out["staff"])
    assert r.status_code == 201, r.get_json()
    raw_tokens += list(api.tokens.values())

    captured = debug_logs.text + "\n".join(str(rec.args) for rec in debug_logs.records)
    std = capsys.readouterr()
    captured += std.out + std.err
    # the capture saw the flow and its SQL (on PostgreSQL the bid itself runs as plain SQL beside SQLAlchemy's
    # logging, auctions.bidstore; registering for the project is logged on both backends)
    assert len(debug_logs.records) > 50 and "INSERT INTO registrations" in captured
    secrets = {"password": "passw0rd-test", "new password": NEW_PASSWORD, "changed password": CHANGED_PASSWORD,
               "SECRET_KEY": app.config["SECRET_KEY"], "PRIVATE KEY": "PRIVATE KEY"}
    secrets.update({f"token {i}": t for i, t in enumerate(raw_tokens)})
    secrets.update({f"key line {i}": line for i, line in enumerate(key_lines)})
    leaked = [name for name, value in secrets.items() if value and value in captured]
    assert not leaked, leaked
