"""Database plumbing: SQLite pragmas and transaction mode, and row locks that work on both backends."""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from trading.extensions import db


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
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
        # Every SQLite transaction takes the write lock up front: the embedded mode serialises
        # writers, so a locked re-read inside a transaction is never stale (DESIGN.md §5).
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def lock(model, ident, *, skip_locked: bool = False):
    """Re-read one row under a write lock (FOR UPDATE on PostgreSQL; SQLite is already locked)."""
    stmt = select(model).where(model.__mapper__.primary_key[0] == ident)
    if is_postgres():
        stmt = stmt.with_for_update(skip_locked=skip_locked)
    return db.session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()
