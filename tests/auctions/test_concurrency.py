"""Real threads, real connections: concurrent bids are serialised; two schedulers close each auction once."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import second_app
from trading import clock
from trading.extensions import db as _db


@pytest.fixture
def wide_app(app):
    """A second app on the same database whose pool holds a connection per thread (no pool queueing)."""
    with second_app(app, pool_size=70, max_overflow=10) as wide:
        yield wide


def _fire(app, calls):
    """Run calls [(token, url, body)] at the same instant from one thread each; return (status, json) list."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def worker(i, token, url, body):
        client = app.test_client()
        barrier.wait()
        r = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        out[i] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=worker, args=(i, *c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out


def _room(hall, api, n):
    pid = hall.project()
    names = [f"racer{i}" for i in range(n)]
    for name in names:
        hall.qualify(pid, name)
    tokens = {name: api.token(name) for name in names}
    hall.at(pid, 10)
    return pid, tokens


def _is_pg(app) -> bool:
    with app.app_context():
        return _db.engine.dialect.name == "postgresql"


def test_fifty_simultaneous_equal_bids_exactly_one_accepted(hall, api, app, wide_app):
    if not _is_pg(app):
        pytest.skip("needs PostgreSQL: row locks (SELECT … FOR UPDATE) across real concurrent connections; "
                    "run with DATABASE_URL=postgresql+psycopg://…/<test db>")
    pid, tokens = _room(hall, api, 60)
    results = _fire(wide_app, [(tok, f"/api/v1/projects/{pid}/bids", {"amount": "800.00"})
                               for tok in tokens.values()])
    codes = Counter(s for s, _ in results)
    assert codes[201] == 1 and codes[409] == 59, codes
    assert {b["error"]["code"] for s, b in results if s == 409} == {"bid_too_low"}
    row = hall.row(pid)
    assert row.bid_count == 1 and row.current_price == Decimal("800.00")
    from auctions.models import Bid

    with app.app_context():
        assert _db.session.execute(select(func.count()).select_from(Bid).where(Bid.project_id == pid)).scalar() == 1


def test_no_accepted_bid_is_lost_or_duplicated(hall, api, app, wide_app):
    pid, tokens = _room(hall, api, 12)
    accepted: list[dict] = []
    lock = threading.Lock()
    rounds = 6
    names = list(tokens)
    rng = random.Random(7)

    for _ in range(rounds):
        current = hall.row(pid).current_price or Decimal("790.00")
        calls = [(tokens[n], f"/api/v1/projects/{pid}/bids",
                  {"amount": str(current + 10 * rng.randint(1, 3))}) for n in names]
        for status, body in _fire(wide_app, calls):
            if status == 201:
                with lock:
                    accepted.append(body)
            else:
                assert status == 409 and body["error"]["code"] in ("bid_too_low", "already_leading", "bad_increment")
    from auctions.models import Bid
    from trading.models import AuditEntry

    with app.app_context():
        rows = _db.session.execute(select(Bid).where(Bid.project_id == pid).order_by(Bid.seq)).scalars().all()
        audits = _db.session.execute(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "bid.place")).scalar()
        assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
        assert sorted((b["seq"], b["amount"]) for b in accepted) == [(r.seq, format(r.amount, "f")) for r in rows]
        assert all(rows[i].amount > rows[i - 1].amount for i in range(1, len(rows)))
        assert audits == len(rows) >= rounds
    row = hall.row(pid)
    assert row.bid_count == len(accepted) and row.current_price == rows[-1].amount


def test_two_schedulers_close_two_hundred_auctions_exactly_once(app, wide_app, factory):
    from auctions import jobs
    from trading.models import AuditEntry, Project

    owner_id, _ = factory.user("collective", "village1")
    t0 = clock.now()
    with app.app_context():
        for i in range(200):
            p = Project(code=f"NC-2026-{i:04d}", kind="rural_land", title=f"测试项目{i}", location="寨沙镇龙田村",
                        method="auction", direction="ascending", price_unit="total", start_price=Decimal("800"),
                        reserve_price=None, increment=Decimal("10"), deposit=Decimal("100"), extension_seconds=300,
                        announce_start=t0 - timedelta(days=8), registration_end=t0 - timedelta(days=1),
                        bidding_start=t0 - timedelta(hours=2), bidding_end=t0 - timedelta(seconds=1),
                        ends_at=t0 - timedelta(seconds=1), status="bidding" if i % 3 else "announced",
                        owner_id=owner_id, approved_at=t0 - timedelta(days=8),
                        current_price=Decimal("900") if i % 2 else None, bid_count=1 if i % 2 else 0,
                        leader_id=owner_id if i % 2 else None)
            _db.session.add(p)
        _db.session.commit()
        _db.session.remove()

    totals = [0, 0]

    def scheduler(k):
        with wide_app.app_context():
            for _ in range(50):
                n = jobs.close_due()
                totals[k] += n
                _db.session.remove()
                if n == 0 and sum(totals) >= 200:
                    break

    threads = [threading.Thread(target=scheduler, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert sum(totals) == 200, totals
    with app.app_context():
        per_project = Counter(_db.session.execute(select(AuditEntry.object)
                                                  .where(AuditEntry.action == "auction.close")).scalars())
        assert len(per_project) == 200 and set(per_project.values()) == {1}
        statuses = Counter(_db.session.execute(select(Project.status)).scalars())
        assert statuses == {"awarded": 100, "failed": 100}
        from trading import audit

        assert audit.verify()["ok"]
    with wide_app.app_context():
        assert jobs.close_due() == 0  # idempotent: nothing left


def test_three_simultaneous_winner_defaults_default_one_winner(hall, api, app, wide_app):
    """Issue 12, finding 3: three concurrent calls defaulted the winner AND the promoted runner-up."""
    if not _is_pg(app):
        pytest.skip("needs PostgreSQL: the project row lock across real concurrent connections")
    from tests.auctions.test_closing import _defaults_and_forfeits

    pid = hall.project()
    hall.qualify(pid, "alice")
    b = hall.qualify(pid, "bob")["id"]
    hall.qualify(pid, "carol")
    hall.at(pid, 5)
    for who, amount in (("alice", "850.00"), ("carol", "870.00"), ("bob", "900.00")):
        assert hall.bid(pid, who, amount).status_code == 201
    hall.at(pid, 1, from_end=True)
    hall.sweep()
    token = api.token(hall.staff)
    body = {"reason": "拒不签约", "award_next": True, "registration_id": b}
    results = _fire(wide_app, [(token, f"/api/v1/projects/{pid}/winner-default", body)] * 3)
    assert [s for s, _ in results] == [200, 200, 200], results
    assert {r["price"] for _, r in results} == {"870.00"}
    assert hall.row(pid).final_price == Decimal("870.00")
    assert _defaults_and_forfeits(app, pid) == (1, 1)
