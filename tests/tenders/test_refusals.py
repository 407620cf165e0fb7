"""Bad input (issue 14 point 10): every refusal answers its code with a Chinese message and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import iso
from tests.tenders.conftest import guarantee, org, tender_body
from trading import clock
from trading.extensions import db as _db


def _count(app, model) -> int:
    with app.app_context():
        n = _db.session.execute(_db.select(_db.func.count()).select_from(model)).scalar_one()
        _db.session.remove()
    return n


def _chinese(r) -> bool:
    msg = r.get_json()["error"]["message"]
    return any("\u4e00" <= ch <= "\u9fff" for ch in msg)


def test_create_reports_every_bad_field_at_once(hall, api, app):
    from tenders.models import Tender

    body = tender_body(lots=[{"name": "", "budget": "abc", "security_amount": "30000.00", "speciality": "road",
                              "committee_size": 4, "price_points": "40",
                              "criteria": [{"code": "tech", "name": "技术", "max_points": "50"}]}])
    r = api.post("/api/v1/tenders", body, user=hall.owner)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"
    fields = r.get_json()["error"]["fields"]
    assert {"lots[0].name", "lots[0].budget", "lots[0].committee_size"} <= set(fields)
    r = api.post("/api/v1/tenders", tender_body(lots=[]), user=hall.owner)
    assert "lots" in r.get_json()["error"]["fields"]
    over = tender_body()
    over["lots"][0]["security_amount"] = "20000.01"
    r = api.post("/api/v1/tenders", over, user=hall.owner)
    assert "lots[0].security_amount" in r.get_json()["error"]["fields"]
    points = tender_body()
    points["lots"][0]["price_points"] = "20"
    r = api.post("/api/v1/tenders", points, user=hall.owner)
    assert "lots[0].criteria" in r.get_json()["error"]["fields"] and _chinese(r)
    r = api.post("/api/v1/tenders", tender_body(bid_deadline=iso(clock.now() + timedelta(days=19))), user=hall.owner)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_window" and _chinese(r)
    assert _count(app, Tender) == 0


def test_registration_refusals(app, hall, api, tbank):
    from auctions.models import Registration

    for name in ("alpha", "beta", "gamma", "outsider"):
        hall.bidder(name)
    invited = hall.tender(method="invited", invited=["alpha", "beta", "gamma"])
    lot_id = invited["lots"][0]["id"]
    r = api.post(f"/api/v1/lots/{lot_id}/registrations", {"security": {"type": "deposit"}}, user="outsider")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_invited" and _chinese(r)
    hall.register(lot_id, "alpha", confirm=False)
    r = api.post(f"/api/v1/lots/{lot_id}/registrations", {"security": {"type": "deposit"}}, user="alpha")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_registered"
    # security_missing until the deposit is confirmed; not_registered without a registration
    r = hall.bid(lot_id, "alpha", "900000.00")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "security_missing"
    r = hall.bid(lot_id, "beta", "900000.00")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_registered"
    # a guarantee: the tender code, the lot's amount, valid to the deadline + 90 days
    deadline = hall.deadline(lot_id)
    code = invited["code"]
    short = guarantee(api, tbank, applicant="beta", project_code=code, amount="20000.00",
                      valid_from=clock.now(), valid_until=deadline + timedelta(days=89))
    r = api.post(f"/api/v1/lots/{lot_id}/registrations", {"security": {"type": "guarantee", "guarantee_no": short}},
                 user="beta")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validity_gap"
    wrong = guarantee(api, tbank, applicant="beta", project_code="ZB-2026-9999", amount="20000.00",
                      valid_from=clock.now(), valid_until=deadline + timedelta(days=91))
    r = api.post(f"/api/v1/lots/{lot_id}/registrations", {"security": {"type": "guarantee", "guarantee_no": wrong}},
                 user="beta")
    assert r.get_json()["error"]["code"] == "project_mismatch"
    little = guarantee(api, tbank, applicant="beta", project_code=code, amount="19999.99",
                       valid_from=clock.now(), valid_until=deadline + timedelta(days=91))
    r = api.post(f"/api/v1/lots/{lot_id}/registrations", {"security": {"type": "guarantee", "guarantee_no": little}},
                 user="beta")
    assert r.get_json()["error"]["code"] == "amount_insufficient"
    assert _count(app, Registration) == 1
    good = guarantee(api, tbank, applicant="beta", project_code=code, amount="20000.00",
                     valid_from=clock.now(), valid_until=deadline + timedelta(days=91))
    r = api.post(f"/api/v1/lots/{lot_id}/registrations", {"security": {"type": "guarantee", "guarantee_no": good}},
                 user="beta")
    assert r.status_code == 201 and r.get_json()["security_ready"] is True
    assert hall.bid(lot_id, "beta", "900000.00").status_code == 200
    assert api.get(f"/api/v1/guarantees/{good}", user="beta").get_json()["status"] == "attached"
    # the lot registration's deposit is confirmed through the registrations endpoint; approve is refused
    rid = api.get(f"/api/v1/lots/{lot_id}", user="alpha").get_json()["my_registration"]["id"]
    r = api.post(f"/api/v1/registrations/{rid}/approve", user=hall.staff)
    assert r.status_code == 409 and _chinese(r)
    r = api.post(f"/api/v1/registrations/{rid}/confirm-deposit", user=hall.staff)
    assert r.status_code == 200 and r.get_json()["project_code"] == code and r.get_json()["lot_id"] == lot_id
    assert hall.bid(lot_id, "alpha", "900000.00").status_code == 200
    # after the deadline: registration_closed
    hall.to_deadline(lot_id)
    r = api.post(f"/api/v1/lots/{lot_id}/registrations", {"security": {"type": "deposit"}}, user="gamma")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "registration_closed"


def test_bad_envelope_and_bad_key(hall, api):
    lot_id = hall.lot()
    hall.bidder("alpha")
    hall.register(lot_id, "alpha")
    r = api.put(f"/api/v1/lots/{lot_id}/bid", {"ciphertext": "!!", "nonce": "AAAA", "salt": "x", "iterations": 5},
                user="alpha")
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) == {"ciphertext", "nonce", "salt",
                                                                              "iterations"}
    hall.bid(lot_id, "alpha", "900000.00")
    for name in ("beta", "gamma"):
        hall.bidder(name)
        hall.register(lot_id, name)
        hall.bid(lot_id, name, "900000.00")
    hall.to_deadline(lot_id)
    r = hall.decrypt(lot_id, "alpha", key="c2hvcnQ=")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"


def test_documents_pdf_only_and_at_most_20_mb(app, hall, api):
    from tenders.models import TenderDocument

    t = hall.tender()
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF"
    r = hall.document(pdf, tender_id=t["id"])
    assert r.status_code == 201, r.get_json()
    doc = r.get_json()
    import hashlib

    assert doc["sha256"] == hashlib.sha256(pdf).hexdigest()
    listed = api.get(f"/api/v1/tenders/{t['id']}/documents").get_json()["items"]
    assert [d["id"] for d in listed] == [doc["id"]]
    got = api.get(doc["url"])
    assert got.status_code == 200 and got.data == pdf and got.mimetype == "application/pdf"
    r = hall.document(b"PK\x03\x04 not a pdf", tender_id=t["id"])
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "not_pdf" and _chinese(r)
    big = b"%PDF-1.4\n" + b"0" * (30 * 1024 * 1024)
    r = hall.document(big, tender_id=t["id"])
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "file_too_large" and _chinese(r)
    just_over = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024)
    r = hall.document(just_over, tender_id=t["id"])
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "file_too_large"
    hall.bidder("alpha")
    r = hall.document(pdf, tender_id=t["id"], user="alpha")
    assert r.status_code == 403
    assert _count(app, TenderDocument) == 1


@pytest.fixture
def evaluating(hall):
    lot_id = hall.opened_lot({"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"})
    hall.experts(5)
    return lot_id, hall.committee(lot_id)


def _committee_rows(app, lot_id: int) -> list[tuple[int, int]]:
    from tenders.models import CommitteeMember

    with app.app_context():
        rows = [(m.id, m.user_id) for m in _db.session.execute(
            _db.select(CommitteeMember).where(CommitteeMember.lot_id == lot_id).order_by(CommitteeMember.id)).scalars()]
        _db.session.remove()
    return rows


def _audit_count(app, action: str) -> int:
    from trading.models import AuditEntry

    with app.app_context():
        n = _db.session.execute(_db.select(_db.func.count()).select_from(AuditEntry)
                                .where(AuditEntry.action == action)).scalar_one()
        _db.session.remove()
    return n


def test_scoring_refusals(app, hall, api, evaluating):
    lot_id, members = evaluating
    before = _committee_rows(app, lot_id)
    assert len(before) == 5
    hall.experts(9)  # enough experts for another committee: the refusal is not for want of them
    r = api.post(f"/api/v1/lots/{lot_id}/committee", user=hall.staff)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "committee_exists" and _chinese(r)
    # a second draw changes nothing: the same five members, one draw in the audit log, the lot still evaluating
    assert _committee_rows(app, lot_id) == before
    listed = api.get(f"/api/v1/lots/{lot_id}/committee", user=hall.staff).get_json()["members"]
    assert [m["username"] for m in listed] == members
    assert _audit_count(app, "lot.committee_draw") == 1
    assert api.get(f"/api/v1/lots/{lot_id}", user=hall.staff).get_json()["status"] == "evaluating"
    m = members[0]
    r = api.put(f"/api/v1/lots/{lot_id}/scores", {"bids": [{"bidder_org": org("alpha"),
                                                            "points": {"tech": "50.01", "biz": "1"}}]}, user=m)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"
    assert "bids[0].points.tech" in r.get_json()["error"]["fields"]
    outsider = hall.expert("e9")
    r = api.put(f"/api/v1/lots/{lot_id}/scores", {"bids": []}, user=outsider)
    assert r.status_code == 403
    r = api.post(f"/api/v1/lots/{lot_id}/scores/submit", user=m)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "scores_incomplete"
    full = {"bids": [{"bidder_org": org(n), "points": {"tech": "40", "biz": "10"}} for n in ("alpha", "beta", "gamma")]}
    assert api.put(f"/api/v1/lots/{lot_id}/scores", full, user=m).status_code == 200
    assert api.post(f"/api/v1/lots/{lot_id}/scores/submit", user=m).status_code == 200
    r = api.put(f"/api/v1/lots/{lot_id}/scores", full, user=m)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_submitted"
    # nobody sees another's sheet before all are in
    r = api.get(f"/api/v1/lots/{lot_id}/scores", user=members[1])
    assert all(b["points"] == {} for b in r.get_json()["bids"])
    r = api.get(f"/api/v1/lots/{lot_id}/evaluation", user=members[1])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_evaluated"
    r = api.get(f"/api/v1/lots/{lot_id}/evaluation", user="alpha")
    assert r.status_code == 403


def test_a_majority_reject_takes_a_bid_out(hall, api, evaluating):
    lot_id, members = evaluating
    for i, m in enumerate(members):
        bids = [{"bidder_org": org(n), "points": {"tech": "40", "biz": "10"}} for n in ("beta", "gamma")]
        bids.append({"bidder_org": org("alpha"), "points": {}, "reject": i < 3, "reject_reason": "资质不符"}
                    if i < 3 else {"bidder_org": org("alpha"), "points": {"tech": "45", "biz": "10"}})
        assert api.put(f"/api/v1/lots/{lot_id}/scores", {"bids": bids}, user=m).status_code == 200
        assert api.post(f"/api/v1/lots/{lot_id}/scores/submit", user=m).status_code == 200
    ranking = api.get(f"/api/v1/lots/{lot_id}/evaluation", user=hall.staff).get_json()["ranking"]
    assert [r["bidder_org"] for r in ranking] == [org("beta"), org("gamma")]
    assert ranking[0]["price_score"] == "30.00"  # the lowest valid price is now beta's


def test_not_enough_experts_and_avoidance(app, hall, api):
    lot_id = hall.opened_lot({"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"})
    hall.experts(4)
    hall.expert("e5", org_name=org("alpha"))  # works for a bidder: avoided
    hall.expert("e6", org_name="寨沙镇人民政府")  # works for the tenderee: avoided
    hall.expert("e7", speciality="bridge")
    r = api.post(f"/api/v1/lots/{lot_id}/committee", user=hall.staff)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_enough_experts" and _chinese(r)
    r = api.post("/api/v1/experts/e1/suspend", {"reason": "回避"}, user=hall.staff)
    assert r.status_code == 200 and r.get_json()["suspended"] is True
    hall.expert("e8")
    hall.expert("e10")
    r = api.post(f"/api/v1/lots/{lot_id}/committee", user=hall.staff)
    assert r.status_code == 201
    members = {m["username"] for m in r.get_json()["members"]}
    assert members == {"e2", "e3", "e4", "e8", "e10"}
    assert r.get_json()["draw"]["pool_size"] == 7  # e1 suspended, e7 another speciality; e5, e6 avoided later


def test_draw_is_reproducible_from_the_audit_log(app, hall, api):
    from tenders import rules
    from trading.models import AuditEntry

    lot_id = hall.opened_lot({"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"})
    hall.experts(9)
    members = hall.committee(lot_id)
    with app.app_context():
        entry = _db.session.execute(_db.select(AuditEntry).where(AuditEntry.action == "lot.committee_draw")
                                    ).scalar_one()
        data = entry.data
        _db.session.remove()
    pool = [rules.Expert(u, data["pool_orgs"][u]) for u in data["pool"]]
    again = rules.draw_committee(pool, set(data["excluded_orgs"]), data["size"], data["seed"])
    assert [e.username for e in again] == members


def test_withdraw_fails_every_lot_and_releases(app, hall, api):
    t = hall.tender()
    lot_id = t["lots"][0]["id"]
    hall.bidder("alpha")
    hall.register(lot_id, "alpha")
    r = api.post(f"/api/v1/tenders/{t['id']}/withdraw", {"reason": "项目取消"}, user=hall.owner)
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    lot = r.get_json()["lots"][0]
    assert lot["status"] == "failed" and lot["failure_reason"] == "withdrawn"
    from guarantees.models import Deposit

    with app.app_context():
        dep = _db.session.execute(_db.select(Deposit)).scalar_one()
        assert dep.refund_due_at is not None
        _db.session.remove()
