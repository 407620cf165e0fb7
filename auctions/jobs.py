"""Scheduler jobs: open due auctions, close ended ones. One transaction per transition.

Any number of schedulers may run: each candidate is re-read under `FOR UPDATE SKIP LOCKED` (PostgreSQL;
SQLite serialises writers), its status and the clock are re-checked inside the transaction, and a
project another scheduler already moved is simply skipped — so each transition happens exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from auctions import services
from trading.clock import now
from trading.db import lock
from trading.extensions import db
from trading.models import IdempotencyKey, Project
from trading.states import ProjectStatus

log = logging.getLogger("tradehall.scheduler")
S = ProjectStatus
BATCH = 500


def _each(ids: list[int], step: Callable[[Project], object]) -> int:
    done = 0
    for pid in ids:
        try:
            project = lock(Project, pid, skip_locked=True)
            result = step(project) if project is not None else None
            if result:
                db.session.commit()
                done += 1
                log.info("project %s: %s", pid, result)
            else:
                db.session.rollback()
        except Exception:
            db.session.rollback()
            log.exception("project %s: transition failed", pid)
    return done


def open_due() -> int:
    """announced → bidding at bidding_start (reads already imply it; this makes the column catch up)."""
    t = now()
    ids = list(db.session.execute(select(Project.id).where(
        Project.status == S.ANNOUNCED, Project.bidding_start <= t,
        func.coalesce(Project.ends_at, Project.bidding_end) > t).order_by(Project.bidding_start).limit(BATCH))
        .scalars())
    db.session.rollback()
    return _each(ids, lambda p: "opened" if services.open_project(p) else None)


def close_due() -> int:
    """bidding (or a never-opened announced project) → awarded | failed once ends_at has passed."""
    t = now()
    ids = list(db.session.execute(select(Project.id).where(
        Project.status.in_([S.ANNOUNCED, S.BIDDING]),
        func.coalesce(Project.ends_at, Project.bidding_end) <= t).order_by(Project.id).limit(BATCH)).scalars())
    db.session.rollback()
    return _each(ids, services.close_project)


def purge_idempotency_keys() -> int:
    """Forget bid idempotency keys older than TRADING_IDEMPOTENCY_RETENTION_HOURS (a replay after that places
    a new bid, as API.md allows for a key it no longer knows). One DELETE: schedulers racing delete each row
    once, and the rows another one deleted are simply not counted."""
    cutoff = now() - timedelta(hours=current_app.config["TRADING_IDEMPOTENCY_RETENTION_HOURS"])
    done = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)).rowcount or 0
    db.session.commit()
    if done:
        log.info("purged %s idempotency keys", done)
    return done
