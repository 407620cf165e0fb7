"""Scheduler jobs: lots at their deadline (open or fail), at the end of the decryption window (opened or fail).

Any number of schedulers may run: each due lot is re-read under `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite
serialises writers) and bidding.advance re-checks its status and the clock inside the transaction, so each lot
moves exactly once. The end of the candidates' publicity needs no move: the award is a staff action that checks
the clock (docs/api.md)."""

from __future__ import annotations

import logging

from sqlalchemy import or_, select

from tenders import bidding
from tenders.models import Lot, Tender
from tenders.states import LotStatus, TenderStatus
from trading.clock import now
from trading.db import lock
from trading.extensions import db

log = logging.getLogger("tradehall.scheduler")
L = LotStatus
BATCH = 500


def due_lot_ids() -> list[int]:
    t = now()
    stmt = select(Lot.id).join(Tender, Tender.id == Lot.tender_id).where(
        Tender.status == TenderStatus.ANNOUNCED,
        or_((Lot.status.in_([L.ANNOUNCED, L.BIDDING])) & (Tender.bid_deadline <= t),
            (Lot.status == L.ANNOUNCED) & (Tender.announce_start <= t),
            (Lot.status == L.OPENING) & (Lot.decrypt_ends_at <= t))).order_by(Lot.id).limit(BATCH)
    ids = list(db.session.execute(stmt).scalars())
    db.session.rollback()
    return ids


def advance_due() -> int:
    done = 0
    for lot_id in due_lot_ids():
        try:
            lot = lock(Lot, lot_id, skip_locked=True)
            result = bidding.advance(lot) if lot is not None else None
            if result:
                db.session.commit()
                done += 1
                log.info("lot %s: %s", lot_id, result)
            else:
                db.session.rollback()
        except Exception:
            db.session.rollback()
            log.exception("lot %s: transition failed", lot_id)
    return done
