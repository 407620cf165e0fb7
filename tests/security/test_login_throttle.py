"""Issue 12 finding 10: the client address behind a proxy, an indistinguishable locked account, and a per-address
throttle on failed logins that stops one address before it can lock anyone out."""

from __future__ import annotations

import re

import pytest
from limits import parse
from sqlalchemy import select

from tests.conftest import PASSWORD
from trading.extensions import db as _db


@pytest.fixture
def proxies(app):
    before = app.config.get("TRADING_TRUSTED_PROXIES", 0)
    yield app.config
    app.config["TRADING_TRUSTED_PROXIES"] = before


def _registration_ip(app, reg_id: int) -> str | None:
    from auctions.models import Registration

    with app.app_context():
        try:
            return _db.session.get(Registration, reg_id).ip
        finally:
            _db.session.remove()


def _register(hall, api, pid: int, name: str, xff: str) -> int:
    hall.bidder(name)
    r = api.post(f"/api/v1/projects/{pid}/registrations", {"security": {"type": "deposit"}}, user=name,
                 headers={"X-Forwarded-For": xff})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def test_x_forwarded_for_is_ignored_without_trusted_proxies_and_honoured_with_them(app, hall, api, proxies):
    pid = hall.project()
    proxies["TRADING_TRUSTED_PROXIES"] = 0
    reg = _register(hall, api, pid, "xff_a", "203.0.113.7")
    assert _registration_ip(app, reg) == "127.0.0.1"  # a client cannot choose the address collusion signals see

    proxies["TRADING_TRUSTED_PROXIES"] = 1  # one proxy in front: its X-Forwarded-For entry is the client
    reg = _register(hall, api, pid, "xff_b", "198.51.100.9, 203.0.113.8")
    assert _registration_ip(app, reg) == "203.0.113.8"  # the forged first entry is not trusted


def _no_clock(page: str) -> str:
    """The page shows the server time; everything else must match."""
    return re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+\+08:00", "", page)


def _lock(app, client, username: str) -> None:
    for _ in range(app.config["TRADING_MAX_FAILED_LOGINS"]):
        client.post("/api/v1/auth/token", json={"username": username, "password": "wrong-passw0rd"})


def test_a_locked_account_answers_exactly_like_a_bad_password(app, client, factory):
    from trading.models import User

    factory.user("bidder", "lock_me")
    _lock(app, client, "lock_me")
    with app.app_context():
        assert _db.session.execute(select(User.locked_until).where(User.username == "lock_me")).scalar_one()
        _db.session.remove()
    locked = client.post("/api/v1/auth/token", json={"username": "lock_me", "password": PASSWORD})
    unknown = client.post("/api/v1/auth/token", json={"username": "nobody_here", "password": PASSWORD})
    assert locked.status_code == unknown.status_code == 401
    assert locked.get_json() == unknown.get_json()
    assert locked.get_json()["error"]["code"] == "bad_credentials"

    page_locked = client.post("/login", data={"username": "lock_me", "password": PASSWORD})
    page_unknown = client.post("/login", data={"username": "nobody_here", "password": PASSWORD})
    assert page_locked.status_code == page_unknown.status_code == 200
    assert "用户名或密码错误" in page_locked.get_data(as_text=True)
    same = _no_clock(page_locked.get_data(as_text=True).replace("lock_me", "nobody_here"))
    assert same == _no_clock(page_unknown.get_data(as_text=True))  # the whole page, not only the message


def test_an_address_is_throttled_before_it_can_lock_the_account(app, client, factory, limits_on, proxies):
    from trading.models import User

    proxies["TRADING_TRUSTED_PROXIES"] = 1
    factory.user("bidder", "victim")
    allowed = parse(app.config["TRADING_LOGIN_FAILURES_PER_IP"]).amount
    assert allowed < app.config["TRADING_MAX_FAILED_LOGINS"]
    attacker = {"X-Forwarded-For": "203.0.113.66"}
    codes = [client.post("/api/v1/auth/token", json={"username": "victim", "password": f"guess-{i}x"},
                         headers=attacker).status_code
             for i in range(app.config["TRADING_MAX_FAILED_LOGINS"] + 2)]
    assert codes[:allowed] == [401] * allowed
    assert set(codes[allowed:]) == {429}
    r = client.post("/login", data={"username": "victim", "password": PASSWORD}, headers=attacker)
    assert r.status_code == 429 and "频繁" in r.get_data(as_text=True)  # even the right password waits

    with app.app_context():
        assert _db.session.execute(select(User.locked_until).where(User.username == "victim")).scalar_one() is None
        _db.session.remove()
    r = client.post("/api/v1/auth/token", json={"username": "victim", "password": PASSWORD},
                    headers={"X-Forwarded-For": "198.51.100.20"})
    assert r.status_code == 200  # the owner, from another address, still signs in
