"""The certificate's project lock, written for PostgreSQL (FOR UPDATE OF projects, parties joined) and for other
backends (the same statement without the lock): on PostgreSQL both read the same project and parties."""

from __future__ import annotations

import pytest

from certificates import services
from tests.conftest import PG_URL
from trading.extensions import db as _db

pytestmark = pytest.mark.skipif(not PG_URL, reason="both statements are compared on PostgreSQL")


def _read(project_id: int, for_update: bool) -> dict:
    p = _db.session.execute(services._lock_statement(for_update), {"project_id": project_id}).unique().scalar_one()
    party = lambda u: (u.id, u.username, u.name, u.org.name if u.org else None,  # noqa: E731
                       u.org.credit_code if u.org else None)
    cols = ("id", "code", "status", "final_price", "winner_id", "owner_id", "awarded_at", "publicity_ends_at",
            "bid_count", "closed_at", "price_unit", "area_mu")
    return {"project": {c: getattr(p, c) for c in cols}, "owner": party(p.owner), "winner": party(p.winner)}


def test_certificate_lock_reads_the_same_on_both_paths(app, issuable):
    with app.app_context():
        locked = _read(issuable["id"], True)
        _db.session.rollback()
        plain = _read(issuable["id"], False)
        _db.session.rollback()
    assert locked == plain and locked["winner"][0] is not None
