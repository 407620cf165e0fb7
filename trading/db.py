"""Database plumbing: SQLite pragmas and transaction mode, and row locks that work on both backends."""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context, request
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

from trading.extensions import db

# A pooled connection idle longer than this is pinged before it is handed out (SQLAlchemy's pool_pre_ping pings
# every checkout: one round trip per request). A busy worker reuses its connection within milliseconds, so the
# ping is skipped exactly when it would cost the most; a connection that sat idle, across which the server may
# have restarted, is still checked. A connection that dies while in use makes its request answer 503 and
# SQLAlchemy then invalidates the whole pool, so the next request reconnects by itself.
PING_AFTER_IDLE_SECONDS = 1.0


def configure_engine(engine: Engine, *, write_gate: bool = True) -> None:
    if engine.dialect.name != "sqlite":
        _ping_after_idle(engine)
        return
    gate = _WriteGate.for_engine(engine) if write_gate else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # let SQLAlchemy's begin event issue BEGIN itself (pysqlite's own is deferred and late)
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A write transaction takes the write lock up front (BEGIN IMMEDIATE): the embedded mode serialises
        # writers, so the locked re-read inside every write is never stale (docs/architecture.md). A read (a GET or
        # HEAD request, or code inside read_only()) begins DEFERRED and, in WAL mode, runs beside the writer
        # on its own snapshot without waiting for the write lock.
        if is_read_only():
            conn.exec_driver_sql("BEGIN")
            return
        raw = conn.connection.dbapi_connection
        if gate is not None:
            gate.acquire(raw)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if gate is not None:
                gate.release(raw)
            raise


class _WriteGate:
    """Hands SQLite's write lock from one writer to the next without sleeping.

    SQLite makes a writer that finds the lock taken poll it, sleeping 1, 2, 5, 10 … 100 ms between tries
    (its busy handler): under a burst of bids (four gunicorn workers, one hot auction) waiters oversleep the
    lock's release and some starve for seconds. Writers therefore queue first on an exclusive flock() of a
    file beside the database — the kernel wakes the next waiter the moment the previous one unlocks, whatever
    process it is in — and only then BEGIN IMMEDIATE, which then finds the lock free. The gate is released
    right after COMMIT or ROLLBACK. Each pooled connection has its own open file (flock is per open file), so
    threads and processes queue alike; a process that dies releases it with its files. Programs outside the
    app (the sqlite3 shell, a backup) do not queue here and are met by busy_timeout as before.
    A micro-benchmark (8 processes, ~1 ms transactions, this machine): 1,000–1,160 tx/s with p99 ≈ 5 s through
    the busy handler, 1,900–2,400 tx/s with p99 58–76 ms through the gate (bench/README.md)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fds: dict[int, int] = {}
        self.held: set[int] = set()

    @classmethod
    def for_engine(cls, engine: Engine) -> _WriteGate | None:
        database = engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        gate = cls(os.path.abspath(database) + "-writegate")

        @event.listens_for(engine, "connect")
        def _open(dbapi_conn, _record):
            gate.fds[gate._key(dbapi_conn)] = os.open(gate.path, os.O_RDWR | os.O_CREAT, 0o600)

        @event.listens_for(engine, "close")
        def _close(dbapi_conn, _record):
            gate.release(dbapi_conn)
            fd = gate.fds.pop(gate._key(dbapi_conn), None)
            if fd is not None:
                os.close(fd)

        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_conn):
            try:
                commit(dbapi_conn)
            finally:
                gate.release(dbapi_conn)

        def do_rollback(dbapi_conn):
            try:
                rollback(dbapi_conn)
            finally:
                gate.release(dbapi_conn)

        dialect.do_commit, dialect.do_rollback = do_commit, do_rollback  # type: ignore[method-assign]
        return gate

    @staticmethod
    def _key(conn) -> int:
        # the pool hands dialect.do_commit/do_rollback its proxy; the events hand the driver's connection
        return id(getattr(conn, "dbapi_connection", None) or conn)

    def acquire(self, dbapi_conn) -> None:
        key = self._key(dbapi_conn)
        fd = self.fds.get(key)
        if fd is None or key in self.held:
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        self.held.add(key)

    def release(self, dbapi_conn) -> None:
        key = self._key(dbapi_conn)
        if key in self.held:
            self.held.discard(key)
            fcntl.flock(self.fds[key], fcntl.LOCK_UN)


def _ping_after_idle(engine: Engine) -> None:
    if engine.pool._pre_ping:  # the caller asked for a ping on every checkout: nothing to add
        return

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn, record, _proxy):
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return  # a new connection, or one used a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            # the pool discards this connection and checks out another (SQLAlchemy's documented recipe)
            raise DisconnectionError("stale pooled connection") from exc


_READ_ONLY: ContextVar[bool | None] = ContextVar("tradehall_read_only", default=None)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_read_only() -> bool:
    """True inside read_only(), and in a GET/HEAD/OPTIONS request unless write_intent() says otherwise."""
    forced = _READ_ONLY.get()
    if forced is not None:
        return forced
    return has_request_context() and request.method in READ_METHODS


@contextmanager
def read_only(flag: bool = True):
    """Transactions begun inside run as reads (True) or writes (False) on SQLite, whatever the request."""
    token = _READ_ONLY.set(flag)
    try:
        yield
    finally:
        _READ_ONLY.reset(token)


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def lock(model, ident, *, skip_locked: bool = False):
    """Re-read one row under a write lock (FOR UPDATE on PostgreSQL; SQLite is already locked)."""
    stmt = select(model).where(model.__mapper__.primary_key[0] == ident)
    if is_postgres():
        stmt = stmt.with_for_update(skip_locked=skip_locked)
    return db.session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()


def driver_cursor(*, dict_rows: bool = False):
    """A DB-API cursor on the connection the session's current transaction runs on (plain SQL on hot paths;
    it commits and rolls back with the session). `dict_rows`: rows map column names to values (psycopg)."""
    conn = db.session.connection().connection.driver_connection
    if dict_rows:
        from psycopg.rows import dict_row

        return conn.cursor(row_factory=dict_row)
    return conn.cursor()
