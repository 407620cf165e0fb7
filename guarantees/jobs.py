"""Scheduler job: expire guarantees whose validity has passed (idempotent, many schedulers may run)."""

from __future__ import annotations

from sqlalchemy import select

from guarantees import services
from guarantees.models import Guarantee
from guarantees.states import GuaranteeStatus
from trading.clock import now
from trading.db import lock
from trading.extensions import db

BATCH = 200


def expire_guarantees() -> int:
    """issued | attached → expired when valid_until has passed; one commit per guarantee."""
    due = db.session.execute(
        select(Guarantee.id).where(Guarantee.status.in_([GuaranteeStatus.ISSUED, GuaranteeStatus.ATTACHED]),
                                   Guarantee.valid_until <= now())
        .order_by(Guarantee.valid_until).limit(BATCH)).scalars().all()
    db.session.rollback()
    done = 0
    for gid in due:
        # SKIP LOCKED on PostgreSQL: a row another scheduler holds is its work, not ours
        g = lock(Guarantee, gid, skip_locked=True)
        if g is not None and services.expire(g, actor="scheduler"):
            db.session.commit()
            done += 1
        else:
            db.session.rollback()
    return done
