"""The hot paths written twice — plain SQL on PostgreSQL, the ORM elsewhere — run with the same inputs through
both implementations ON POSTGRESQL, compared field by field (the bid's lock and record, the audit append and
its SQL hash, the token check). Each implementation runs in its own transaction, rolled back, from one state
and one frozen clock, so everything they write must be identical. The certificate lock: tests/certificates."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from auctions import bidstore, rules
from tests.conftest import PG_URL
from trading import audit, clock
from trading.extensions import db as _db
from trading.models import AuditEntry
from trading.projects.models import Project

pytestmark = pytest.mark.skipif(not PG_URL, reason="both implementations exist only on PostgreSQL")


@pytest.fixture
def live(hall):
    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.qualify(pid, "bob")
    hall.at(pid, 60)
    assert hall.bid(pid, "alice", "800.00").status_code == 201
    hall.factory.user("bidder", "carol")  # registered nowhere
    return pid


def _uid(name):
    from trading.accounts.models import User

    return _db.session.execute(select(User.id).where(User.username == name)).scalar_one()


def _rows(pid):
    from auctions.models import Bid

    p = _db.session.execute(select(Project).where(Project.id == pid)
                            .execution_options(populate_existing=True)).scalar_one()
    bids = _db.session.execute(select(Bid).where(Bid.project_id == pid).order_by(Bid.seq)).scalars().all()
    entries = _db.session.execute(select(AuditEntry).where(AuditEntry.chain == f"project:{pid}")
                                  .order_by(AuditEntry.chain_seq)).scalars().all()
    cols = ("current_price", "leader_id", "leader_is_priority", "bid_count", "ends_at", "extensions_used")
    return {"project": {c: getattr(p, c) for c in cols},
            "bids": [(b.seq, b.registration_id, b.bidder_id, b.amount, b.is_priority, b.at, b.ends_at_after, b.ip)
                     for b in bids],
            "audit": [(e.chain, e.chain_seq, e.at, e.actor, e.action, e.object, e.data, e.prev_hash, e.hash)
                      for e in entries],
            "head": audit.chain_head(f"project:{pid}")}


@pytest.mark.parametrize("who", ["alice", "bob", "carol"])
def test_bid_lock_reads_the_same_on_both_paths(app, live, who):
    with app.app_context():
        uid = _uid(who)
        pg = bidstore._lock_pg(live, uid)
        _db.session.rollback()
        orm = bidstore._lock_orm(live, uid)
        _db.session.rollback()
        assert asdict(pg.auction) == asdict(orm.auction)
        assert (pg.project_id, pg.bidder, pg.registration_id, pg.bidder_no) == \
               (orm.project_id, orm.bidder, orm.registration_id, orm.bidder_no)
        assert pg.bidder.qualified is (who != "carol")


def test_bid_record_writes_the_same_rows_on_both_paths(app, live):
    with app.app_context():
        uid = _uid("bob")
        at = clock.now()
        results = []
        for lock, record in ((bidstore._lock_pg, bidstore._record_pg), (bidstore._lock_orm, bidstore._record_orm)):
            locked = lock(live, uid)
            res = rules.validate_bid(locked.auction, locked.bidder, Decimal("830.00"), at)
            entry = {"action": "bid.place", "obj": f"project:{live}", "actor": "bob",
                     "data": {"amount": res.amount, "seq": res.after.bid_count, "bidder_no": locked.bidder_no}}
            record(locked, uid, res, at, "10.0.0.1", entry)
            _db.session.flush()
            results.append(_rows(live))
            _db.session.rollback()
        pg, orm = results
        for key in ("project", "bids", "audit", "head"):
            assert pg[key] == orm[key], key
        assert pg["project"]["bid_count"] == 2 and len(pg["audit"]) == len(orm["audit"])


@pytest.mark.parametrize("data", [{}, {"amount": Decimal("1234.50"), "名称": "张三 \"引号\" \\ 换行\n", "n": [1, 2.5]}])
def test_audit_append_sql_hash_equals_the_python_definition(app, live, data):
    with app.app_context():
        results = []
        for append in (lambda: audit.append_pg(audit.append_params("test.event", f"project:{live}", data, "t")),
                       lambda: audit._append_orm("test.event", f"project:{live}", data, "t", f"project:{live}")):
            e = append()
            _db.session.flush()
            stored = _db.session.execute(select(AuditEntry).where(AuditEntry.hash == e.hash)).scalar_one()
            results.append((stored.chain, stored.chain_seq, stored.at, stored.actor, stored.action, stored.object,
                            stored.data, stored.prev_hash, stored.hash, audit.chain_head(stored.chain)))
            # the one Python definition, recomputed from the stored row
            assert stored.hash == audit.entry_hash(stored.prev_hash, stored.chain_seq, stored.at.isoformat(),
                                                   stored.actor, stored.action, stored.object, stored.data,
                                                   stored.chain)
            _db.session.rollback()
        assert results[0] == results[1]


def test_audit_append_creates_a_new_chain_the_same_way(app, live):
    with app.app_context():
        results = []
        for append in (lambda: audit.append_pg(audit.append_params("test.event", "project:999999", {}, "t")),
                       lambda: audit._append_orm("test.event", "project:999999", {}, "t", "project:999999")):
            e = append()
            _db.session.flush()
            results.append((e.chain, e.chain_seq, e.prev_hash, e.hash, audit.chain_head("project:999999")))
            _db.session.rollback()
        assert results[0] == results[1] and results[0][1] == 1 and results[0][2] == audit.GENESIS


def test_token_check_answers_the_same_on_both_paths(app, factory, monkeypatch):
    from trading.accounts import services as accounts
    from trading.accounts.models import User

    with app.app_context():
        names = ["t_ok", "t_expired", "t_revoked", "t_inactive", "t_staff"]
        tokens = {}
        for n in names:
            user = factory.user("staff" if n == "t_staff" else "bidder", n)[0]
            u = _db.session.get(User, user.id if hasattr(user, "id") else user)
            tok, row = accounts.issue_token(u)
            if n == "t_expired":
                row.expires_at = clock.now() - timedelta(seconds=1)
            if n == "t_revoked":
                row.revoked_at = clock.now()
            if n == "t_inactive":
                u.active = False
            tokens[n] = tok
        _db.session.commit()
        tokens["unknown"] = "no-such-token"
        pg = {n: accounts.principal_for_token(t) for n, t in tokens.items()}
        _db.session.rollback()
        monkeypatch.setattr(_db.engine.dialect, "name", "sqlite")  # only the function's own branch reads it
        orm = {n: accounts.principal_for_token(t) for n, t in tokens.items()}
        monkeypatch.undo()
        _db.session.rollback()
        assert {n: tuple(v) if v else None for n, v in pg.items()} == \
               {n: tuple(v) if v else None for n, v in orm.items()}
        assert pg["t_ok"] is not None and pg["t_staff"] is not None
        assert all(pg[n] is None for n in ("t_expired", "t_revoked", "t_inactive", "unknown"))
