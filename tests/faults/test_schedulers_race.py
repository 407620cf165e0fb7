"""Three schedulers race over 300 due auctions whose bidders hold attached guarantees: each auction closes exactly
once, each loser's guarantee is released exactly once, each winner's stays attached, and the audit chain holds.
(tests/auctions/test_concurrency.py races two schedulers without securities; this extends it.)"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import second_app
from trading import clock
from trading.extensions import db as _db

N = 300
SCHEDULERS = 3


@pytest.fixture
def wide_app(app):
    with second_app(app, pool_size=8, max_overflow=4) as wide:
        yield wide


def _seed(app, factory) -> dict[str, set[str]]:
    """N due auctions, two qualified bidders each with an attached guarantee; odd ones have a leading bid."""
    from auctions.models import Registration
    from guarantees.models import Guarantee, Guarantor, GuarantorKey
    from trading.accounts.models import User
    from trading.projects.models import Project

    owner_id, _ = factory.user("collective", "village1")
    a_id, _ = factory.user("bidder", "bidder_a")
    b_id, _ = factory.user("bidder", "bidder_b")
    g_user, _ = factory.user("guarantor", "guarantor1")
    t0 = clock.now()
    expect: dict[str, set[str]] = {"released": set(), "kept": set()}
    with app.app_context():
        org_id = _db.session.get(User, g_user).org_id
        gtor = Guarantor(code="G001", name="测试担保公司", org_id=org_id)
        _db.session.add(gtor)
        _db.session.flush()
        key = GuarantorKey(guarantor_id=gtor.id, algorithm="ed25519", public_key_pem="-", fingerprint="f" * 64,
                           valid_from=t0 - timedelta(days=30))
        _db.session.add(key)
        _db.session.flush()
        for i in range(N):
            bid = i % 2 == 1
            p = Project(code=f"NC-2026-{i:04d}", kind="rural_land", title=f"测试项目{i}", location="寨沙镇龙田村",
                        method="auction", direction="ascending", price_unit="total", start_price=Decimal("800"),
                        reserve_price=None, increment=Decimal("10"), deposit=Decimal("100"), extension_seconds=300,
                        announce_start=t0 - timedelta(days=8), registration_end=t0 - timedelta(days=1),
                        bidding_start=t0 - timedelta(hours=2), bidding_end=t0 - timedelta(seconds=1),
                        ends_at=t0 - timedelta(seconds=1), status="bidding" if i % 3 else "announced",
                        owner_id=owner_id, approved_at=t0 - timedelta(days=8),
                        current_price=Decimal("900") if bid else None, bid_count=1 if bid else 0,
                        leader_id=a_id if bid else None)
            _db.session.add(p)
            _db.session.flush()
            for who, uid, no in (("a", a_id, "100001"), ("b", b_id, "100002")):
                reg = Registration(project_id=p.id, bidder_id=uid, bidder_no=no, status="qualified",
                                   security_type="guarantee", created_at=t0 - timedelta(days=2))
                _db.session.add(reg)
                _db.session.flush()
                gno = f"BH{i:04d}{who}"
                _db.session.add(Guarantee(
                    guarantee_no=gno, guarantor_id=gtor.id, key_id=key.id, type="bid", applicant=f"bidder_{who}",
                    beneficiary="县公共资源交易中心", project_code=p.code, amount=Decimal("100"), currency="CNY",
                    valid_from=t0 - timedelta(days=3), valid_until=t0 + timedelta(days=60),
                    issued_at=t0 - timedelta(days=3), document="{}", sha256="0" * 64, signature="-",
                    status="attached", registration_id=reg.id, attached_at=t0 - timedelta(days=2)))
                (expect["kept"] if bid and who == "a" else expect["released"]).add(gno)
        _db.session.commit()
        _db.session.remove()
    return expect


def test_three_schedulers_close_each_auction_and_release_each_guarantee_once(app, wide_app, factory):
    from auctions import jobs
    from guarantees.models import Guarantee
    from trading import audit
    from trading.models import AuditEntry
    from trading.projects.models import Project

    expect = _seed(app, factory)
    totals = [0] * SCHEDULERS
    errors: list[BaseException] = []
    barrier = threading.Barrier(SCHEDULERS)

    def scheduler(k: int) -> None:
        try:
            with wide_app.app_context():
                barrier.wait()
                for _ in range(60):
                    n = jobs.close_due()
                    totals[k] += n
                    _db.session.remove()
                    if n == 0 and sum(totals) >= N:
                        break
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=scheduler, args=(k,)) for k in range(SCHEDULERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors and not any(t.is_alive() for t in threads)
    assert sum(totals) == N, totals
    with app.app_context():
        closes = Counter(_db.session.execute(select(AuditEntry.object).where(
            AuditEntry.action == "auction.close")).scalars())
        assert len(closes) == N and set(closes.values()) == {1}
        releases = Counter(_db.session.execute(select(AuditEntry.object).where(
            AuditEntry.action == "guarantee.release")).scalars())
        assert set(releases) == {f"guarantee:{g}" for g in expect["released"]}
        assert set(releases.values()) == {1}
        status = dict(_db.session.execute(select(Guarantee.guarantee_no, Guarantee.status)).all())
        assert {g for g, s in status.items() if s == "released"} == expect["released"]
        assert {g for g, s in status.items() if s == "attached"} == expect["kept"]
        assert Counter(_db.session.execute(select(Project.status)).scalars()) == {"awarded": N // 2,
                                                                                  "failed": N // 2}
        assert audit.verify()["ok"]
        _db.session.remove()
    with wide_app.app_context():
        assert jobs.close_due() == 0
        _db.session.remove()
