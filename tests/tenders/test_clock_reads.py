"""Reads follow the server clock, as projects do (docs/architecture.md "How a request flows"): once the decryption
window has ended, the API and the pages report the lot `opened` — or `failed` (fewer_than_three) when fewer than three
valid bids are left — before the scheduler has run; the scheduler job then writes the move, exactly once. The clock
is frozen; no scheduler runs until the test calls it."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.tenders.test_views import login, text
from trading import clock
from trading.extensions import db as _db


def _db_status(app, lot_id: int) -> str:
    from tenders.models import Lot

    with app.app_context():
        status = _db.session.get(Lot, lot_id).status
        _db.session.remove()
    return status


def _audits(app, action: str) -> list[dict]:
    from trading.models import AuditEntry

    with app.app_context():
        rows = [e.data for e in _db.session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                                    .order_by(AuditEntry.seq)).scalars()]
        _db.session.remove()
    return rows


def _bids(hall, lot_id: int, prices: dict[str, str]) -> None:
    for name, price in prices.items():
        hall.bidder(name)
        hall.register(lot_id, name)
        assert hall.bid(lot_id, name, price).status_code == 200


def _page_badge(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, r.status_code
    return text(r)


def test_after_the_window_reads_show_opened_before_the_scheduler_and_the_job_moves_once(app, client, hall, api):
    t = hall.tender()
    tid, lot_id = t["id"], t["lots"][0]["id"]
    _bids(hall, lot_id, {"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00", "delta": "990000.00"})
    hall.to_deadline(lot_id)
    for name in ("alpha", "beta", "gamma"):  # delta never decrypts: its bid stays sealed
        assert hall.decrypt(lot_id, name).status_code == 200
    assert api.get(f"/api/v1/lots/{lot_id}").get_json()["status"] == "opening"  # inside the window
    clock.advance(1800)  # the window (TRADING_DECRYPT_SECONDS after the deadline) has ended
    assert _db_status(app, lot_id) == "opening"  # the scheduler has not run

    lot = api.get(f"/api/v1/lots/{lot_id}").get_json()
    assert lot["status"] == "opened" and lot["failure_reason"] is None and lot["status_label"] == "已开标"
    assert api.get(f"/api/v1/tenders/{tid}").get_json()["lots"][0]["status"] == "opened"
    hall_json = api.get(f"/api/v1/lots/{lot_id}/opening", user=hall.staff).get_json()
    assert hall_json["status"] == "opened"
    # the public sees the hall and the decrypted prices already (the record follows with the scheduler)
    public = api.get(f"/api/v1/lots/{lot_id}/opening")
    assert public.status_code == 200, public.get_json()
    prices = {b["bidder_org"]: b["price"] for b in public.get_json()["bids"]}
    assert sorted(p for p in prices.values() if p) == ["900000.00", "950000.00", "980000.00"]
    assert public.get_json()["record"] is None
    login(client, app, None)
    assert client.get(f"/tenders/lots/{lot_id}/opening").status_code == 200
    assert api.get(f"/api/v1/lots/{lot_id}/opening", user="delta").get_json()["status"] == "opened"
    r = hall.decrypt(lot_id, "delta")  # too late, whatever the status column says
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "decryption_closed"
    # the pages: the tender's lot card and the opening hall
    assert "已开标" in _page_badge(client, f"/tenders/{tid}")
    login(client, app, "alpha")
    page = _page_badge(client, f"/tenders/lots/{lot_id}/opening")
    assert 'data-hall-status>已开标<' in page and 'data-status="opened"' in page
    assert "开标记录正在生成" in page
    assert _audits(app, "lot.opened") == []  # reads wrote nothing

    # the scheduler writes the move exactly once
    assert hall.sweep() == 1
    assert hall.sweep() == 0
    assert _db_status(app, lot_id) == "opened"
    (entry,) = _audits(app, "lot.opened")
    assert entry["status"] == "opened" and entry["valid"] == 3
    after = api.get(f"/api/v1/lots/{lot_id}/opening").get_json()  # public now
    assert after["status"] == "opened" and after["record_sha256"]
    assert {b["bidder_org"]: b["status"] for b in after["bids"]}["delta建设有限公司"] == "void"
    page = _page_badge(client, f"/tenders/lots/{lot_id}/opening")
    assert 'data-hall-status>已开标<' in page and "开标记录正在生成" not in page and 'id="record"' in page


def test_fewer_than_three_valid_after_the_window_read_as_failed_before_the_scheduler(app, client, hall, api):
    t = hall.tender()
    tid, lot_id = t["id"], t["lots"][0]["id"]
    # gamma's price is above the budget (rejected); beta never decrypts (void): one valid bid is left
    _bids(hall, lot_id, {"alpha": "900000.00", "beta": "950000.00", "gamma": "1000000.01"})
    hall.to_deadline(lot_id)
    assert hall.decrypt(lot_id, "alpha").status_code == 200
    assert hall.decrypt(lot_id, "gamma").status_code == 200
    clock.advance(1800)
    assert _db_status(app, lot_id) == "opening"

    lot = api.get(f"/api/v1/lots/{lot_id}").get_json()
    assert (lot["status"], lot["failure_reason"], lot["failure_label"]) == ("failed", "fewer_than_three",
                                                                            "有效投标不足三家")
    assert api.get(f"/api/v1/tenders/{tid}").get_json()["lots"][0]["status"] == "failed"
    assert api.get(f"/api/v1/lots/{lot_id}/opening", user=hall.staff).get_json()["status"] == "failed"
    assert "流标" in _page_badge(client, f"/tenders/{tid}")
    login(client, app, "beta")
    page = _page_badge(client, f"/tenders/lots/{lot_id}/opening")
    assert "流标：有效投标不足三家" in page and "不予开标" not in page  # it was opened, then failed

    assert hall.sweep() == 1
    assert hall.sweep() == 0
    (entry,) = _audits(app, "lot.opened")
    assert (entry["status"], entry["failure_reason"], entry["valid"]) == ("failed", "fewer_than_three", 1)
    lot = api.get(f"/api/v1/lots/{lot_id}").get_json()
    assert (lot["status"], lot["failure_reason"]) == ("failed", "fewer_than_three")


def test_a_lot_the_scheduler_never_opened_reads_as_failed_after_the_window(app, hall, api):
    """Nobody decrypted and no scheduler ran: the lot is still `bidding` in the database; after the window every
    bid is void, so the reads say failed; the job then opens and fails it in one step."""
    lot_id = hall.lot()
    _bids(hall, lot_id, {"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"})
    hall.to_deadline(lot_id)
    assert api.get(f"/api/v1/lots/{lot_id}").get_json()["status"] == "opening"
    clock.advance(1800)
    assert _db_status(app, lot_id) == "bidding"
    lot = api.get(f"/api/v1/lots/{lot_id}").get_json()
    assert (lot["status"], lot["failure_reason"]) == ("failed", "fewer_than_three")
    assert hall.sweep() == 1
    assert hall.sweep() == 0
    assert _db_status(app, lot_id) == "failed"
    assert len(_audits(app, "lot.opening")) == 1 and len(_audits(app, "lot.opened")) == 1
    from tenders.models import TenderBid

    with app.app_context():
        void = _db.session.execute(select(func.count()).select_from(TenderBid).where(
            TenderBid.status == "void", TenderBid.void_reason == "not_decrypted")).scalar_one()
        _db.session.remove()
    assert void == 3
