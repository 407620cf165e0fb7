"""Fixtures: one app and one migrated schema per run; each test starts from empty tables.

Tests commit for real (the request boundary, row locks and several connections are what we test),
so isolation comes from emptying every table after each test rather than from a rolled-back savepoint.
Set DATABASE_URL to a PostgreSQL database whose name contains "test" to run the suite there.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from trading import clock, create_app
from trading.extensions import db as _db

PG_URL = os.environ.get("DATABASE_URL", "")


def _test_db_url(tmp: Path) -> str:
    if PG_URL:
        name = PG_URL.rsplit("/", 1)[-1].split("?")[0]
        if "test" not in name and "ci" not in name:
            raise RuntimeError(f"refusing to run tests against database {name!r}: its name must contain 'test'")
        return PG_URL
    return f"sqlite:///{tmp / 'test.db'}"


@pytest.fixture(scope="session")
def instance_dir():
    with tempfile.TemporaryDirectory(prefix="tradehall-test-") as d:
        yield Path(d)


@pytest.fixture(scope="session")
def app(instance_dir):
    url = _test_db_url(instance_dir)
    os.environ.setdefault("TRADING_ENV", "development")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "INSTANCE_PATH": str(instance_dir),
        "TRADING_KEYS_DIR": str(instance_dir / "keys"),
        "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1)
        if url.startswith("postgresql://") else url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "TRADING_MIN_ANNOUNCEMENT_SECONDS": 432000,
        "TRADING_PUBLICITY_SECONDS": 432000,
        "TRADING_DEFAULT_EXTENSION_SECONDS": 300,
        "RATELIMIT_ENABLED": False,
        # tests commit thousands of tiny transactions; durability across a crash is not what they test
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "connect_args": {"options": "-c synchronous_commit=off"}} if url.startswith("postgresql") else {},
        "TRADING_TOKEN_TTL_SECONDS": 30 * 86400,
    })
    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            with _db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade()
        _db.session.remove()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def _tables() -> list[str]:
    return [t.name for t in reversed(_db.metadata.sorted_tables) if t.name != "audit_head"]


@pytest.fixture(autouse=True)
def _clean(request):
    """Empty every table after each test that touched the app; unfreeze the clock."""
    yield
    clock.freeze(None)
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        _db.session.remove()
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # DELETE on a few small tables is much faster than TRUNCATE, which rewrites files
                for name in _tables():
                    conn.execute(text(f'DELETE FROM "{name}"'))
                conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c "
                                  "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"))
            else:
                for name in _tables():
                    conn.execute(text(f'DELETE FROM "{name}"'))
                conn.execute(text("DELETE FROM sqlite_sequence")) if conn.execute(
                    text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first() else None
            conn.execute(text("UPDATE audit_head SET seq = 0, hash = :h WHERE id = 1"), {"h": "0" * 64})


@pytest.fixture
def ctx(app):
    """An application context for service-level tests."""
    with app.app_context():
        yield
        _db.session.remove()


@pytest.fixture
def db(ctx):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---------------------------------------------------------------- factories

PASSWORD = "passw0rd-test"


class Factory:
    """Builds users and projects through the real services, committing like a request would."""

    def __init__(self, app):
        self.app = app
        self.n = 0

    def user(self, role: str = "bidder", username: str | None = None, org_name: str | None = None, **kw):
        from sqlalchemy import select

        from trading.accounts import create_org, create_user
        from trading.credit import make_resident_id, make_uscc
        from trading.models import User

        self.n += 1
        username = username or f"{role}{self.n}"
        with self.app.app_context():
            existing = _db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
            if existing is not None:  # fixtures may ask for the same person twice
                return existing.id, username
            kind = {"bidder": "cooperative", "collective": "village_collective", "staff": "center",
                    "guarantor": "guarantor", "expert": "company"}[role]
            code = make_resident_id(self.n) if kind == "individual" else make_uscc(self.n * 7919)
            org = create_org(org_name or f"{username}的组织", kind, code, code=kw.pop("org_code", None))
            user = create_user(username, PASSWORD, role, org=org, **kw)
            _db.session.commit()
            uid = user.id
            _db.session.remove()
        return uid, username

    def project_body(self, **over) -> dict:
        t = clock.now()
        body = {
            "kind": "rural_land", "title": "耕地经营权出租", "location": "寨沙镇龙田村",
            "description": "水田，灌溉便利", "method": "auction", "direction": "ascending",
            "price_unit": "per_mu_year", "area_mu": "44.27", "term_years": 5,
            "start_price": "800.00", "reserve_price": "850.00", "increment": "10.00",
            "deposit": "5000.00", "extension_seconds": 300,
            "announce_start": iso(t), "registration_end": iso(t + timedelta(days=6)),
            "bidding_start": iso(t + timedelta(days=6, hours=1)),
            "bidding_end": iso(t + timedelta(days=6, hours=2)),
        }
        body.update(over)
        return {k: v for k, v in body.items() if v is not None}


def iso(t: datetime) -> str:
    return t.astimezone(clock.BEIJING).isoformat()


@pytest.fixture
def factory(app):
    return Factory(app)


class Api:
    """Calls the JSON API with a bearer token per user."""

    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, str] = {}

    def token(self, username: str, password: str = PASSWORD) -> str:
        if username not in self.tokens:
            r = self.client.post("/api/v1/auth/token", json={"username": username, "password": password})
            assert r.status_code == 200, r.get_json()
            self.tokens[username] = r.get_json()["token"]
        return self.tokens[username]

    def _headers(self, user: str | None, headers: dict | None) -> dict:
        h = dict(headers or {})
        if user:
            h["Authorization"] = f"Bearer {self.token(user)}"
        return h

    def get(self, url: str, user: str | None = None, headers: dict | None = None):
        return self.client.get(url, headers=self._headers(user, headers))

    def post(self, url: str, json=None, user: str | None = None, headers: dict | None = None, **kw):
        return self.client.post(url, json=json, headers=self._headers(user, headers), **kw)

    def put(self, url: str, json=None, user: str | None = None):
        return self.client.put(url, json=json, headers=self._headers(user, None))


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def announced(factory, api):
    """A collective, a staff member and an approved (announced) rural land project."""
    _, owner = factory.user("collective", "village1")
    _, staff = factory.user("staff", "staff1")
    r = api.post("/api/v1/projects", factory.project_body(), user=owner)
    assert r.status_code == 201, r.get_json()
    pid = r.get_json()["id"]
    assert api.post(f"/api/v1/projects/{pid}/submit", user=owner).status_code == 200
    assert api.post(f"/api/v1/projects/{pid}/approve", user=staff).status_code == 200
    return {"id": pid, "owner": owner, "staff": staff}


__all__ = ["PASSWORD", "Decimal", "UTC", "iso"]


@contextmanager
def second_app(app, *, pool_size: int, max_overflow: int):
    """Another app on the test database with its own pool, for tests that need many real connections."""
    cfg = {k: app.config[k] for k in ("SECRET_KEY", "INSTANCE_PATH", "TRADING_KEYS_DIR", "SQLALCHEMY_DATABASE_URI",
                                      "TRADING_PUBLICITY_SECONDS", "TRADING_MIN_ANNOUNCEMENT_SECONDS")}
    cfg.update(TESTING=True, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
               SQLALCHEMY_ENGINE_OPTIONS={"pool_size": pool_size, "max_overflow": max_overflow})
    other = create_app(cfg)
    try:
        yield other
    finally:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()
