"""SQLite's write gate (trading.db._WriteGate): writers queue on a flock() beside the database and take the write
lock in turn, released at COMMIT and ROLLBACK (also the pool's rollback on return); many threads writing at
once all finish, each exactly once; readers never queue."""

from __future__ import annotations

import fcntl
import os
import threading

import pytest
from sqlalchemy import text

from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="the gate is SQLite's")


def _gate_path(app) -> str:
    return os.path.abspath(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")) + "-writegate"


def _gate_free(app) -> bool:
    fd = os.open(_gate_path(app), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_write_holds_the_gate_until_commit_or_rollback(app, db):
    assert _gate_free(app)
    db.session.execute(text("SELECT 1"))  # a writer (no request): BEGIN IMMEDIATE behind the gate
    assert not _gate_free(app)
    db.session.commit()
    assert _gate_free(app)
    db.session.execute(text("SELECT 1"))
    assert not _gate_free(app)
    db.session.rollback()
    assert _gate_free(app)
    db.session.execute(text("SELECT 1"))
    db.session.remove()  # returned to the pool: its reset rolls back, which opens the gate too
    assert _gate_free(app)


def test_a_read_does_not_queue_at_the_gate(app, announced, client):
    from trading.extensions import db as _db

    with app.app_context():
        _db.session.execute(text("SELECT 1"))  # a writer holds the gate and the write lock
        assert not _gate_free(app)
        r = client.get(f"/api/v1/projects/{announced['id']}")
        assert r.status_code == 200
        _db.session.rollback()
        _db.session.remove()


def test_many_threads_writing_at_once_all_finish_in_turn(app):
    from trading.extensions import db as _db

    with app.app_context():
        _db.session.execute(text("CREATE TABLE IF NOT EXISTS gate_probe (n INTEGER)"))
        _db.session.commit()
        _db.session.remove()
    errors: list[BaseException] = []
    barrier = threading.Barrier(16)

    def writer(i: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                for k in range(10):
                    _db.session.execute(text("INSERT INTO gate_probe (n) VALUES (:n)"), {"n": i * 100 + k})
                    if k % 3 == 2:
                        _db.session.rollback()  # a refused request: the gate opens as well
                    else:
                        _db.session.commit()
                _db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a writer is stuck at the gate"
    assert errors == []
    with app.app_context():
        n = _db.session.execute(text("SELECT count(*) FROM gate_probe")).scalar_one()
        _db.session.remove()
    assert n == 16 * 7  # k = 2, 5, 8 rolled back
    assert _gate_free(app)
