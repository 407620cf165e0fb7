"""SQLite (the embedded default): reads run beside an open write transaction; writes still begin IMMEDIATE."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import PG_URL
from trading.db import is_read_only, read_only

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="SQLite's transaction modes")


def _db_file(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def test_a_reader_is_not_blocked_by_an_open_write_transaction(app, announced, client):
    pid = announced["id"]
    before = client.get(f"/api/v1/projects/{pid}/auction").get_json()
    writer = sqlite3.connect(_db_file(app), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock, mid-transaction
        writer.execute("UPDATE projects SET title = 'uncommitted' WHERE id = ?", (pid,))
        # before: every transaction began IMMEDIATE, so these waited for the writer (busy_timeout) and failed
        r = client.get(f"/api/v1/projects/{pid}/auction")
        assert r.status_code == 200 and r.get_json()["bid_count"] == before["bid_count"]
        r = client.get(f"/api/v1/projects/{pid}")
        assert r.status_code == 200 and r.get_json()["title"] != "uncommitted"  # its own snapshot
        assert client.get("/api/v1/projects").status_code == 200
        assert client.get(f"/auctions/projects/{pid}/room").status_code == 200
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_only_reads_begin_deferred(app):
    with app.test_request_context("/", method="GET"):
        assert is_read_only() is True
        with read_only(False):
            assert is_read_only() is False
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        with app.test_request_context("/", method=method):
            assert is_read_only() is False
    with app.app_context():  # the scheduler, the CLI: writers
        assert is_read_only() is False


def test_a_write_takes_the_write_lock_up_front(app, db):
    """The write transaction's first statement already holds the lock: another writer cannot start."""
    from sqlalchemy import text

    db.session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE (no request: a writer)
    other = sqlite3.connect(_db_file(app), isolation_level=None, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        db.session.rollback()
