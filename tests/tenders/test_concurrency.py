"""Real threads on real connections (run on PostgreSQL with DATABASE_URL; SQLite serialises its writers):
two schedulers opening 200 lots move each exactly once; 50 bidders decrypting at once are each recorded."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tenders.client import encrypt_bid
from tests.conftest import second_app
from tests.tenders.conftest import ITER
from trading import clock
from trading.extensions import db as _db

LOTS = 200
SCHEDULERS = 2


@pytest.fixture
def wide_app(app):
    with second_app(app, pool_size=12, max_overflow=8) as wide:
        yield wide


def _seed_lots(app, factory, bidders: list[tuple[int, str]], n_lots: int, bids_of) -> None:
    """n_lots lots past their deadline; lot i gets bids from bids_of(i) bidders (ciphertexts from encrypt_bid)."""
    from auctions.models import Registration
    from tenders.models import Lot, LotRegistration, Tender, TenderBid

    owner_id, _ = factory.user("collective", "tenderee1")
    t0 = clock.now()
    with app.app_context():
        tender = None
        for i in range(n_lots):
            if i % 10 == 0:
                tender = Tender(code=f"ZB-2026-{i // 10:04d}", kind="construction", title=f"工程{i // 10}",
                                location="寨沙镇", method="open", evaluation="lowest_price",
                                announce_start=t0 - timedelta(days=30), bid_deadline=t0 - timedelta(seconds=1),
                                status="announced", owner_id=owner_id, approved_at=t0 - timedelta(days=30))
                _db.session.add(tender)
                _db.session.flush()
            lot = Lot(tender_id=tender.id, no=i % 10 + 1, name=f"标段{i}", budget=Decimal("1000000"),
                      security_amount=Decimal("1000"), speciality="road", committee_size=5,
                      price_points=Decimal("0"), criteria=[], status="bidding" if i % 3 else "announced")
            _db.session.add(lot)
            _db.session.flush()
            for uid, username in bidders[: bids_of(i)]:
                reg = Registration(project_id=None, bidder_id=uid, bidder_no=f"{100000 + uid}", status="pending",
                                   security_type="deposit", created_at=t0 - timedelta(days=2))
                _db.session.add(reg)
                _db.session.flush()
                _db.session.add(LotRegistration(registration_id=reg.id, lot_id=lot.id, bidder_id=uid))
                body, _key = encrypt_bid(lot.id, username, "pw", "900000.00", iterations=ITER,
                                         salt=b"s" * 16, nonce=b"n" * 12)
                _db.session.add(TenderBid(lot_id=lot.id, registration_id=reg.id, bidder_id=uid,
                                          ciphertext=body["ciphertext"], nonce=body["nonce"], salt=body["salt"],
                                          iterations=ITER, receipt="0" * 64, status="submitted",
                                          submitted_at=t0 - timedelta(days=1)))
        _db.session.commit()
        _db.session.remove()


def test_two_schedulers_move_each_of_200_lots_exactly_once(app, wide_app, factory):
    from tenders import jobs
    from tenders.models import Lot
    from trading import audit
    from trading.models import AuditEntry

    clock.freeze(clock.now())
    bidders = [factory.user("bidder", f"b{k}", org_name=f"b{k}建设有限公司") for k in range(3)]
    _seed_lots(app, factory, bidders, LOTS, lambda i: 3 if i % 2 == 0 else 2)
    totals = [0] * SCHEDULERS
    errors: list[BaseException] = []
    barrier = threading.Barrier(SCHEDULERS)

    def scheduler(k: int) -> None:
        try:
            with wide_app.app_context():
                barrier.wait()
                for _ in range(50):
                    n = jobs.advance_due()
                    totals[k] += n
                    _db.session.remove()
                    if n == 0 and sum(totals) >= LOTS:
                        break
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=scheduler, args=(k,)) for k in range(SCHEDULERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors and not any(t.is_alive() for t in threads)
    assert sum(totals) == LOTS, totals
    with app.app_context():
        moves = Counter(_db.session.execute(select(AuditEntry.object).where(
            AuditEntry.action.in_(["lot.opening", "lot.fail"]))).scalars())
        assert len(moves) == LOTS and set(moves.values()) == {1}
        statuses = Counter(_db.session.execute(select(Lot.status)).scalars())
        assert statuses == {"opening": LOTS // 2, "failed": LOTS // 2}
        assert audit.verify()["ok"]
        _db.session.remove()
    with wide_app.app_context():
        assert jobs.advance_due() == 0  # the decryption windows are still open
        _db.session.remove()


def test_fifty_bidders_decrypting_at_once_are_each_recorded(app, wide_app, factory, api):
    from tenders.models import Lot, TenderBid
    from trading.models import AuditEntry

    clock.freeze(clock.now())
    n = 50
    bidders = [factory.user("bidder", f"d{k}", org_name=f"d{k}建设有限公司") for k in range(n)]
    prices = {username: f"{800000 + k}.{k:02d}" for k, (_uid, username) in enumerate(bidders)}
    keys: dict[str, str] = {}
    _seed_lots(app, factory, bidders, 1, lambda i: n)
    with app.app_context():
        lot_id = _db.session.execute(select(Lot.id)).scalar_one()
        for bid in _db.session.execute(select(TenderBid)).scalars():  # real, distinct ciphertexts and keys
            username = bid.bidder.username
            body, keys[username] = encrypt_bid(lot_id, username, f"pw-{username}", prices[username], iterations=ITER)
            bid.ciphertext, bid.nonce, bid.salt = body["ciphertext"], body["nonce"], body["salt"]
        _db.session.commit()
        _db.session.remove()
    tokens = {u: api.token(u) for u in keys}
    results: dict[str, int] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def bidder(username: str) -> None:
        try:
            client = wide_app.test_client()
            barrier.wait()
            r = client.post(f"/api/v1/lots/{lot_id}/bid/decrypt", json={"key": keys[username]},
                            headers={"Authorization": f"Bearer {tokens[username]}"})
            results[username] = r.status_code
            assert r.get_json()["price"] == prices[username]
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=bidder, args=(u,)) for u in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors[:3]
    assert set(results.values()) == {200} and len(results) == n
    with app.app_context():
        bids = _db.session.execute(select(TenderBid)).scalars().all()
        assert {b.bidder.username: format(b.price, "f") for b in bids} == prices
        assert all(b.status == "decrypted" for b in bids)
        decrypts = _db.session.execute(select(AuditEntry).where(AuditEntry.action == "lot.decrypt")).scalars().all()
        assert len(decrypts) == n
        lot = _db.session.get(Lot, lot_id)
        assert lot.status == "opened" and lot.revealed_at is not None  # the last key revealed the table
        _db.session.remove()


def test_reads_imply_the_outcome_while_two_schedulers_reveal_each_lot_once(app, wide_app, factory):
    """Lots whose decryption window has ended, the scheduler not yet run: readers on their own connections read
    every lot `opened` (three valid bids) or `failed` (two) before, during and after two schedulers write the moves;
    each lot is revealed exactly once."""
    from tenders import jobs
    from tenders.models import Lot, TenderBid
    from trading import audit
    from trading.models import AuditEntry

    n_lots, readers = 40, 4
    clock.freeze(clock.now())
    bidders = [factory.user("bidder", f"r{k}", org_name=f"r{k}建设有限公司") for k in range(3)]
    _seed_lots(app, factory, bidders, n_lots, lambda i: 3)
    expected: dict[int, str] = {}
    with app.app_context():
        for k, lot in enumerate(_db.session.execute(select(Lot).order_by(Lot.id)).scalars()):
            lot.status, lot.opened_at = "opening", lot.tender.bid_deadline
            lot.decrypt_ends_at = clock.now() - timedelta(seconds=1)
            bids = _db.session.execute(select(TenderBid).where(TenderBid.lot_id == lot.id)
                                       .order_by(TenderBid.id)).scalars().all()
            decrypted = 3 if k % 2 == 0 else 2  # the third bidder of every odd lot never decrypted
            for bid in bids[:decrypted]:
                bid.status, bid.price, bid.decrypted_at = "decrypted", Decimal("900000.00"), clock.now()
            expected[lot.id] = "opened" if decrypted == 3 else "failed"
        _db.session.commit()
        _db.session.remove()
    seen: list[tuple[int, str, str | None]] = []
    errors: list[BaseException] = []
    done = threading.Event()
    barrier = threading.Barrier(SCHEDULERS + readers)

    def scheduler() -> None:
        try:
            with wide_app.app_context():
                barrier.wait()
                for _ in range(20):
                    jobs.advance_due()
                    _db.session.remove()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def reader() -> None:
        try:
            client = wide_app.test_client()
            barrier.wait()
            for _ in range(3):
                for lot_id in expected:
                    body = client.get(f"/api/v1/lots/{lot_id}").get_json()
                    seen.append((lot_id, body["status"], body["failure_reason"]))
                if done.is_set():
                    break
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(SCHEDULERS)]
    threads += [threading.Thread(target=reader) for _ in range(readers)]
    for t in threads:
        t.start()
    for t in threads[:SCHEDULERS]:
        t.join(timeout=300)
    done.set()
    for t in threads[SCHEDULERS:]:
        t.join(timeout=300)
    assert not errors, errors[:3]
    assert len(seen) >= n_lots * readers
    wrong = [(lot_id, status, reason) for lot_id, status, reason in seen
             if (status, reason) != ((expected[lot_id], None) if expected[lot_id] == "opened"
                                     else ("failed", "fewer_than_three"))]
    assert not wrong, wrong[:5]
    with app.app_context():
        reveals = Counter(_db.session.execute(select(AuditEntry.object).where(
            AuditEntry.action == "lot.opened")).scalars())
        assert len(reveals) == n_lots and set(reveals.values()) == {1}
        assert {lot.id: lot.status for lot in _db.session.execute(select(Lot)).scalars()} == expected
        assert audit.verify()["ok"]
        _db.session.remove()
