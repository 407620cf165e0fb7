"""The whole tender through the API: list, approve, register, sealed bids, opening, committee, scores, ranking,
publicity, award with a signed award notice that the certificate verifier accepts, default → next candidate."""

from __future__ import annotations

from datetime import timedelta

from tests.tenders.conftest import org
from trading import clock
from trading.extensions import db as _db

PRICES = {"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00", "delta": "1000000.00"}


def _papers(app, lot_id: int) -> list[tuple[str, str, str]]:
    """(number, kind, status) of every signed paper of the lot."""
    from tenders.models import TenderPaper

    with app.app_context():
        rows = [(p.number, p.kind, p.status) for p in _db.session.execute(
            _db.select(TenderPaper).where(TenderPaper.lot_id == lot_id).order_by(TenderPaper.id)).scalars()]
        _db.session.remove()
    return rows


def _lot_state(api, hall, lot_id: int) -> dict:
    """What staff and the public read of the lot: status, award fields, candidates."""
    lot = api.get(f"/api/v1/lots/{lot_id}", user=hall.staff).get_json()
    result = api.get(f"/api/v1/lots/{lot_id}/evaluation", user=hall.staff).get_json()
    return {"status": lot["status"], "award_price": lot.get("award_price"), "awarded_at": lot["awarded_at"],
            "candidates": [c["bidder_org"] for c in result["candidates"]]}


def _chinese(r) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in r.get_json()["error"]["message"])


def _score(hall, lot_id, members, tech: dict[str, str]):
    hall.score_all(lot_id, members, {org(n): {"tech": t, "biz": "10"} for n, t in tech.items()})


def test_full_tender_flow(app, hall, api, signing_keys):
    lot_id = hall.opened_lot(PRICES)
    r = api.get(f"/api/v1/lots/{lot_id}/opening")  # public once opened
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "opened"
    assert {b["bidder_org"]: b["price"] for b in body["bids"]} == {org(n): p for n, p in PRICES.items()}
    # the opening record (开标记录) is served exactly as hashed into the audit log
    import hashlib
    import json

    record = body["record"]
    assert {row["bidder_org"]: row["price"] for row in record["bids"]} == {org(n): p for n, p in PRICES.items()}
    canon = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert hashlib.sha256(canon).hexdigest() == body["record_sha256"]
    from trading.models import AuditEntry

    with app.app_context():
        opened = _db.session.execute(_db.select(AuditEntry).where(AuditEntry.action == "lot.opened")).scalar_one()
        assert opened.data["record_sha256"] == body["record_sha256"]
        _db.session.remove()
    hall.experts(7)
    members = hall.committee(lot_id)
    assert len(members) == 5
    assert api.get(f"/api/v1/lots/{lot_id}", user=hall.owner).get_json()["status"] == "evaluating"
    # gamma's technical points lift it above alpha's lower price
    _score(hall, lot_id, members, {"alpha": "40", "beta": "41", "gamma": "50", "delta": "30"})
    ev = api.get(f"/api/v1/lots/{lot_id}/evaluation", user=hall.owner).get_json()
    ranking = [(row["rank"], row["bidder_org"], row["price_score"], row["points"], row["total"]) for row in ev["ranking"]]
    assert ranking == [
        (1, org("gamma"), "27.55", "60.00", "87.55"),
        (2, org("alpha"), "30.00", "50.00", "80.00"),
        (3, org("beta"), "28.42", "51.00", "79.42"),
        (4, org("delta"), "27.00", "40.00", "67.00"),
    ]
    report = api.get(ev["report_url"], user=hall.staff)
    assert report.status_code == 200 and report.data.startswith(b"%PDF-")
    verdict = api.client.post("/api/v1/certificates/verify", data=report.data,
                              headers={"Content-Type": "application/pdf"}).get_json()
    assert verdict["valid"] is True
    r = api.post(f"/api/v1/lots/{lot_id}/publicize", user=hall.staff)
    assert r.status_code == 200, r.get_json()
    assert [c["bidder_org"] for c in r.get_json()["candidates"]] == [org("gamma"), org("alpha"), org("beta")]
    # award during publicity → 409, and nothing changes: still in publicity, no award notice, the same candidates
    state, papers = _lot_state(api, hall, lot_id), _papers(app, lot_id)
    assert state["status"] == "publicity" and [k for _n, k, _s in papers] == ["evaluation_report"]
    r = api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "publicity_not_over" and _chinese(r)
    assert _lot_state(api, hall, lot_id) == state and _papers(app, lot_id) == papers
    clock.advance(3 * 86400 + 1)
    r = api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff)
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    assert out["status"] == "awarded" and out["winner"]["bidder_org"] == org("gamma")
    assert out["award_price"] == "980000.00" and out["savings"] == "20000.00" and out["savings_rate"] == "0.0200"
    pdf = api.get(out["award_notice"]["pdf_url"]).data
    verdict = api.client.post("/api/v1/certificates/verify", data=pdf,
                              headers={"Content-Type": "application/pdf"}).get_json()
    assert verdict == {"valid": True, "number": out["award_notice"]["number"], "status": "valid",
                       "reason": verdict["reason"], "kind": "award_notice"}
    tampered = pdf.replace(b"Tradehall", b"Tradehalt", 1)
    assert api.client.post("/api/v1/certificates/verify", data=tampered,
                           headers={"Content-Type": "application/pdf"}).get_json()["valid"] is False
    # the losers' deposits fall due, the winner's stays held
    from guarantees.models import Deposit

    with app.app_context():
        due = {d.registration.bidder.username: d.refund_due_at is not None
               for d in _db.session.execute(_db.select(Deposit)).scalars()}
        _db.session.remove()
    assert due == {"alpha": True, "beta": True, "gamma": False, "delta": True}
    # the winner defaults: alpha (next candidate) is awarded; gamma's deposit is forfeited; old notice revoked
    r = api.post(f"/api/v1/lots/{lot_id}/winner-default", {"reason": "拒不签订合同"}, user=hall.staff)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["winner"]["bidder_org"] == org("alpha")
    verdict = api.client.post("/api/v1/certificates/verify", data=pdf,
                              headers={"Content-Type": "application/pdf"}).get_json()
    assert verdict["valid"] is False and verdict["status"] == "revoked"
    with app.app_context():
        states = {d.registration.bidder.username: (d.status, d.refund_due_at is not None)
                  for d in _db.session.execute(_db.select(Deposit)).scalars()}
        _db.session.remove()
    assert states["gamma"] == ("forfeited", False)
    assert states["alpha"] == ("received", False)  # held again for the promoted winner
    from trading import audit

    with app.app_context():
        assert audit.verify()["ok"]
        _db.session.remove()


def test_before_the_deadline_no_column_holds_a_price(app, hall, api):
    """Read every column of every table: the sealed prices appear nowhere (as numbers or text)."""
    from sqlalchemy import inspect, text

    lot_id = hall.lot()
    secret_prices = {"alpha": "912345.67", "beta": "923456.78", "gamma": "934567.89"}
    for name, price in secret_prices.items():
        hall.bidder(name)
        hall.register(lot_id, name)
        assert hall.bid(lot_id, name, price).status_code == 200
    needles = set()
    for p in secret_prices.values():
        needles |= {p, p.replace(".", "")}  # the text, and the fen integer SQLite's Money column would hold
    with app.app_context():
        insp = inspect(_db.engine)
        for table in insp.get_table_names():
            for row in _db.session.execute(text(f'SELECT * FROM "{table}"')).all():
                for value in row:
                    if value is None:
                        continue
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    for needle in needles:
                        assert needle.encode() not in raw, (table, value)
        _db.session.remove()
    # staff and the API see receipts, never prices
    r = api.get(f"/api/v1/lots/{lot_id}/opening", user=hall.staff)
    assert r.status_code == 200 and r.get_json()["bids"] == []
    mine = api.get(f"/api/v1/lots/{lot_id}/bid", user="alpha").get_json()
    assert "price" not in mine and len(mine["receipt"]) == 64


def _stored_bid(app, lot_id: int) -> tuple:
    from tenders.models import TenderBid

    with app.app_context():
        (b,) = _db.session.execute(_db.select(TenderBid).where(TenderBid.lot_id == lot_id)).scalars().all()
        row = (b.status, b.revision, b.receipt, b.ciphertext, b.nonce, b.salt, b.submitted_at, b.price)
        _db.session.remove()
    return row


def test_replace_and_withdraw_until_the_deadline(app, hall, api):
    lot_id = hall.lot()
    hall.bidder("alpha")
    hall.register(lot_id, "alpha")
    first = hall.bid(lot_id, "alpha", "900000.00").get_json()
    second = hall.bid(lot_id, "alpha", "800000.00").get_json()
    assert first["receipt"] != second["receipt"] and second["revision"] == 2
    r = hall.delete(f"/api/v1/lots/{lot_id}/bid", "alpha")
    assert r.status_code == 200 and r.get_json()["status"] == "void"
    assert hall.bid(lot_id, "alpha", "850000.00").status_code == 200
    stored = _stored_bid(app, lot_id)
    mine = api.get(f"/api/v1/lots/{lot_id}/bid", user="alpha").get_json()
    hall.to_deadline(lot_id, plus=0)
    r = hall.bid(lot_id, "alpha", "700000.00")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "tender_closed" and _chinese(r)
    assert "投标已截止" in r.get_json()["error"]["message"]
    r = hall.delete(f"/api/v1/lots/{lot_id}/bid", "alpha")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "tender_closed" and _chinese(r)
    # the bid sealed before the deadline is the one kept, byte for byte: same receipt, revision and ciphertext
    assert api.get(f"/api/v1/lots/{lot_id}/bid", user="alpha").get_json() == mine
    assert mine["status"] == "submitted" and mine["revision"] == 3
    assert _stored_bid(app, lot_id) == stored


def test_fewer_than_three_bids_fail_without_opening(hall, api):
    lot_id = hall.lot()
    for name in ("alpha", "beta"):
        hall.bidder(name)
        hall.register(lot_id, name)
        hall.bid(lot_id, name, "900000.00")
    hall.to_deadline(lot_id)
    lot = api.get(f"/api/v1/lots/{lot_id}").get_json()
    assert lot["status"] == "failed" and lot["failure_reason"] == "fewer_than_three"  # before the scheduler
    assert hall.sweep() == 1
    assert hall.sweep() == 0
    r = hall.decrypt(lot_id, "alpha")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_opening"


def test_undecrypted_bids_void_and_too_few_valid_fail(hall, api):
    lot_id = hall.lot()
    for name, price in (("alpha", "900000.00"), ("beta", "950000.00"), ("gamma", "1000000.01")):
        hall.bidder(name)
        hall.register(lot_id, name)
        hall.bid(lot_id, name, price)
    r = hall.decrypt(lot_id, "alpha")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_opening"
    hall.to_deadline(lot_id)
    assert hall.sweep() == 1  # → opening
    assert hall.decrypt(lot_id, "alpha").status_code == 200
    assert hall.decrypt(lot_id, "gamma").status_code == 200  # over budget: rejected at the reveal
    clock.advance(1800)
    r = hall.decrypt(lot_id, "beta")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "decryption_closed"
    assert hall.sweep() == 1
    lot = api.get(f"/api/v1/lots/{lot_id}").get_json()
    assert lot["status"] == "failed" and lot["failure_reason"] == "fewer_than_three"
    bids = {b["bidder_org"]: b for b in api.get(f"/api/v1/lots/{lot_id}/opening").get_json()["bids"]}
    assert bids[org("beta")]["status"] == "void" and bids[org("beta")]["price"] is None
    assert bids[org("gamma")]["rejection"] == "over_budget"


def test_a_wrong_key_changes_nothing_and_may_be_retried(app, hall, api):
    lot_id = hall.lot()
    for name in ("alpha", "beta", "gamma"):
        hall.bidder(name)
        hall.register(lot_id, name)
        hall.bid(lot_id, name, "900000.00")
    hall.to_deadline(lot_id)
    import base64

    r = hall.decrypt(lot_id, "alpha", key=base64.b64encode(b"\1" * 32).decode())
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "decryption_failed"
    r = hall.decrypt(lot_id, "alpha", key=hall.keys[(lot_id, "beta")])  # another's key: still wrong
    assert r.get_json()["error"]["code"] == "decryption_failed"
    opening = api.get(f"/api/v1/lots/{lot_id}/opening", user="alpha").get_json()
    assert all(not b["decrypted"] for b in opening["bids"])
    r = hall.decrypt(lot_id, "alpha")
    assert r.status_code == 200 and r.get_json()["price"] == "900000.00"


def test_clarification_notifies_and_too_late_needs_a_new_deadline(hall, api):
    t = hall.tender()
    lot_id = t["lots"][0]["id"]
    hall.bidder("alpha")
    hall.register(lot_id, "alpha")
    r = api.post(f"/api/v1/tenders/{t['id']}/clarifications", {"text": "第3.2条改为……"}, user=hall.owner)
    assert r.status_code == 201, r.get_json()
    notices = api.get("/api/v1/me/tender-notices", user="alpha").get_json()
    assert notices["items"][0]["kind"] == "clarification" and notices["unread"] == 1
    clock.advance(10 * 86400)  # 11 days left, fewer than 15
    r = api.post(f"/api/v1/tenders/{t['id']}/clarifications", {"text": "再次修改"}, user=hall.owner)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "clarification_too_late"
    new = clock.now() + timedelta(days=15)
    from tests.conftest import iso

    r = api.post(f"/api/v1/tenders/{t['id']}/clarifications", {"text": "再次修改", "bid_deadline": iso(new)},
                 user=hall.owner)
    assert r.status_code == 201, r.get_json()
    assert api.get(f"/api/v1/tenders/{t['id']}").get_json()["bid_deadline"] == iso(new)


def test_upheld_objection_strikes_the_first_candidate(app, hall, api, signing_keys):
    lot_id = hall.opened_lot(PRICES)
    hall.experts(5)
    members = hall.committee(lot_id)
    _score(hall, lot_id, members, {"alpha": "40", "beta": "41", "gamma": "50", "delta": "30"})
    api.post(f"/api/v1/lots/{lot_id}/publicize", user=hall.staff)
    r = api.post(f"/api/v1/lots/{lot_id}/objections", {"reason": "第一中标候选人业绩造假"}, user="alpha")
    assert r.status_code == 201 and r.get_json()["status"] == "open"
    clock.advance(3 * 86400 + 1)
    state, papers = _lot_state(api, hall, lot_id), _papers(app, lot_id)
    assert state["status"] == "publicity" and state["award_price"] is None
    r = api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "objection_pending" and _chinese(r)
    # nothing changed: still in publicity, no award notice, the same candidates, the objection still open
    assert _lot_state(api, hall, lot_id) == state and _papers(app, lot_id) == papers
    assert [o["status"] for o in api.get(f"/api/v1/lots/{lot_id}/objections", user=hall.staff).get_json()["items"]] \
        == ["open"]
    oid = api.get(f"/api/v1/lots/{lot_id}/objections", user=hall.staff).get_json()["items"][0]["id"]
    r = api.post(f"/api/v1/objections/{oid}/uphold", {"reason": "经核查属实"}, user=hall.staff)
    assert r.status_code == 200, r.get_json()
    r = api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff)
    assert r.status_code == 200 and r.get_json()["winner"]["bidder_org"] == org("alpha")


def test_lowest_price_evaluation_ranks_by_price(hall, api, signing_keys):
    lots = [{"name": "货物包", "budget": "500000.00", "security_amount": "10000.00", "speciality": "goods",
             "committee_size": 5, "criteria": []}]
    lot_id = hall.opened_lot({"alpha": "480000.00", "beta": "450000.00", "gamma": "470000.00"}, kind="procurement",
                             evaluation="lowest_price", lots=lots)
    hall.experts(5, speciality="goods")
    members = hall.committee(lot_id)
    hall.score_all(lot_id, members, {org(n): {} for n in ("alpha", "beta", "gamma")})
    ranking = api.get(f"/api/v1/lots/{lot_id}/evaluation", user=hall.staff).get_json()["ranking"]
    assert [(r["rank"], r["bidder_org"], r["price"], r["total"]) for r in ranking] == [
        (1, org("beta"), "450000.00", None), (2, org("gamma"), "470000.00", None), (3, org("alpha"), "480000.00", None)]
