"""The database unreachable or restarting: 503 with a Chinese message (JSON envelope under /api, the error page
elsewhere), no stack trace or driver detail in the body, and the service recovers by itself."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from tests.faults.proxy import Proxy
from trading import create_app
from trading.extensions import db as _db

DEAD_PORT = 5179  # nothing listens here (our reserved port range)
PROXY_PORT = 5178
LEAKS = ("Traceback", "psycopg", "OperationalError", "sqlalchemy", "connection refused", "postgres", "5432")


def _app_on(app, url: str):
    cfg = {k: app.config[k] for k in ("SECRET_KEY", "INSTANCE_PATH", "TRADING_KEYS_DIR",
                                      "TRADING_PUBLICITY_SECONDS", "TRADING_MIN_ANNOUNCEMENT_SECONDS")}
    cfg.update(TESTING=False, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SQLALCHEMY_DATABASE_URI=url,
               PROPAGATE_EXCEPTIONS=False)
    return create_app(cfg)


def _assert_503(resp, api: bool) -> None:
    text = resp.get_data(as_text=True)
    assert resp.status_code == 503, (resp.status_code, text[:500])
    for leak in LEAKS:
        assert leak.lower() not in text.lower(), leak
    if api:
        body = resp.get_json()
        assert body["error"]["code"] == "unavailable" and "暂时不可用" in body["error"]["message"]
    else:
        assert "暂时不可用" in text and "<html" in text.lower()


REQUESTS = [("get", "/api/v1/projects", True), ("post", "/api/v1/auth/token", True),
            ("get", "/", False), ("get", "/projects", False), ("post", "/login", False)]


def _hit(client, method: str, url: str):
    if method == "get":
        return client.get(url)
    if url.startswith("/api/"):
        return client.post(url, json={"username": "someone", "password": "passw0rd-test"})
    return client.post(url, data={"username": "someone", "password": "passw0rd-test"})


def test_unreachable_database_answers_503_in_chinese(app):
    down = _app_on(app, f"postgresql+psycopg://postgres@127.0.0.1:{DEAD_PORT}/tradehall_test_nowhere")
    client = down.test_client()
    try:
        for method, url, is_api in REQUESTS:
            _assert_503(_hit(client, method, url), is_api)
    finally:
        with down.app_context():
            _db.engine.dispose()


@contextmanager
def _behind_proxy(app):
    """An app whose database connections go through a TCP proxy that the test stops ("the server is down") and
    starts again; yields (proxy, test client)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set DATABASE_URL): a TCP proxy in front of the server simulates its restart")
    parts = urlsplit(url)
    proxy = Proxy(PROXY_PORT, (parts.hostname or "127.0.0.1", parts.port or 5432))
    proxied = url.replace(f"{parts.hostname}:{parts.port or 5432}", f"127.0.0.1:{PROXY_PORT}", 1)
    proxy.start()
    flaky = _app_on(app, proxied)
    try:
        yield proxy, flaky.test_client()
    finally:
        proxy.stop()
        with flaky.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_database_restart_then_recovery_without_intervention(app):
    with _behind_proxy(app) as (proxy, client):
        assert client.get("/api/v1/projects").status_code == 200  # pool holds live connections now
        assert client.get("/projects").status_code == 200
        proxy.stop()  # every pooled connection is cut and new ones are refused
        for method, target, is_api in REQUESTS:
            _assert_503(_hit(client, method, target), is_api)
        proxy.start()  # the server is back: no restart of the app, no manual pool reset
        assert client.get("/api/v1/projects").status_code == 200
        assert client.get("/projects").status_code == 200
        r = client.post("/api/v1/auth/token", json={"username": "someone", "password": "passw0rd-test"})
        assert r.status_code == 401  # a real answer from the database again


def test_restart_while_idle_costs_no_request(app, monkeypatch):
    """A pooled connection that sat idle is pinged before use: a restart between requests is invisible."""
    from trading import db as dbmod

    monkeypatch.setattr(dbmod, "PING_AFTER_IDLE_SECONDS", 0.05)
    with _behind_proxy(app) as (proxy, client):
        assert client.get("/api/v1/projects").status_code == 200  # the pool now holds a live connection
        proxy.stop()  # the server "restarts" while nobody asks anything: the pooled connection is dead
        proxy.start()
        time.sleep(0.1)
        for _ in range(3):
            assert client.get("/api/v1/projects").status_code == 200
