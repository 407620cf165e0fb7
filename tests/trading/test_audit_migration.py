"""Migration 0007: a single global chain written the old way becomes the `legacy` chain and still verifies."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.conftest import PG_URL
from trading import audit, create_app
from trading.extensions import db

SCHEMA = "tradehall_auditmig"


@pytest.fixture
def old_app(app, tmp_path):
    """A second app on an empty schema of its own (a temp SQLite file, or a PostgreSQL schema)."""
    if PG_URL:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        options = {"connect_args": {"options": f"-c search_path={SCHEMA}"}}
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    else:
        url, options = f"sqlite:///{tmp_path / 'old.db'}", {}
    other = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "INSTANCE_PATH": str(tmp_path),
                        "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options})
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
    if PG_URL:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))


def _old_append(conn, seq, prev, at, action, obj, data):
    """What the pre-0007 trading.audit.record wrote: one global chain, the hash without a "chain" key."""
    h = audit.entry_hash(prev, seq, at.isoformat(), "tester", action, obj, data)
    conn.execute(text("INSERT INTO audit_log (seq, at, actor, action, object, data, prev_hash, hash) "
                      "VALUES (:s, :at, 'tester', :a, :o, :d, :p, :h)"),
                 {"s": seq, "at": at, "a": action, "o": obj, "d": audit.canonical(data).decode(), "p": prev, "h": h})
    conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": seq, "h": h})
    return h


def test_old_single_chain_is_migrated_and_still_verifies(old_app):
    from flask_migrate import upgrade

    with old_app.app_context():
        upgrade(revision="0004_certificates")
        t0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
        with db.engine.begin() as conn:
            prev = audit.GENESIS
            for i, (action, obj) in enumerate([("user.create", "user:1"), ("project.create", "project:1"),
                                               ("bid.place", "project:1"), ("org.create", "org:1")], 1):
                prev = _old_append(conn, i, prev, t0 + timedelta(seconds=i), action, obj, {"n": i, "名": "张三"})
        old_head = prev
        upgrade()
        db.session.remove()
        out = audit.verify()
        assert out["ok"] is True and out["entries"] == 4 and out["errors"] == []
        assert audit.chain_head(audit.LEGACY) == (4, old_head)  # a hash quoted before still names the head
        # new entries go to the new chains, the anchor covers the legacy head, all verifies
        audit.record("bid.place", "project:1", {"n": 5}, "tester")
        db.session.commit()
        assert audit.anchor() == 1
        assert audit.covering_anchor(audit.LEGACY, 4)["head"]["hash"] == old_head
        assert audit.verify()["ok"] is True
        # and the legacy chain is still protected
        db.session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE chain = 'legacy' AND chain_seq = 2"))
        db.session.commit()
        assert audit.verify()["ok"] is False
