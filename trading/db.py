"""Database plumbing: SQLite pragmas and transaction mode, and row locks that work on both backends."""

from __future__ import annotations

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


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        _ping_after_idle(engine)
        return

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
        conn.exec_driver_sql("BEGIN" if is_read_only() else "BEGIN IMMEDIATE")


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
