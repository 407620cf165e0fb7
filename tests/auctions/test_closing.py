"""Scheduler jobs, sealed bids, results, 递补 and winner default."""

from __future__ import annotations

import os
import stat
from decimal import Decimal

from sqlalchemy import select

from tests.auctions.conftest import shows_amount
from trading.extensions import db as _db


def _play(hall, pid, *bids):
    for who, amount in bids:
        r = hall.bid(pid, who, amount)
        assert r.status_code == 201, r.get_json()


def test_open_job_moves_status_and_is_idempotent(hall):
    pid = hall.project()
    assert hall.sweep() == 0
    hall.at(pid, 0)
    assert hall.sweep() == 1 and hall.row(pid).status == "bidding"
    assert hall.sweep() == 0


def test_close_awards_sets_outcome_and_publicity_and_releases_losers(hall, api, app):
    pid = hall.project()
    a = hall.qualify(pid, "alice")
    b = hall.qualify(pid, "bob")
    hall.at(pid, 5)
    _play(hall, pid, ("alice", "850.00"), ("bob", "870.00"))
    assert api.get(f"/api/v1/projects/{pid}/result").status_code == 409
    hall.at(pid, 0, from_end=True)
    # the clock closes it before the job: the result is already public
    early = api.get(f"/api/v1/projects/{pid}/result").get_json()
    assert early["outcome"] == "awarded" and early["price"] == "870.00"
    assert hall.sweep() == 1
    p = hall.row(pid)
    assert p.status == "awarded" and p.final_price == Decimal("870.00") and p.closed_at is not None
    assert (p.publicity_ends_at - p.ends_at).total_seconds() == 432000
    res = api.get(f"/api/v1/projects/{pid}/result").get_json()
    assert res == {**res, "outcome": "awarded", "price": "870.00", "total_amount": "192574.50",
                   "premium_rate": "0.0875", "savings": None, "savings_rate": None}
    assert res["winner"]["bidder_no"] == b["bidder_no"] and res["winner"]["name"] == "bob的组织"
    assert res["publicity_ends_at"] == early["publicity_ends_at"]
    from auctions.models import Registration
    from guarantees import services as gs

    with app.app_context():
        assert gs.deposit_of(_db.session.get(Registration, a["id"])).refund_due_at is not None
        assert gs.deposit_of(_db.session.get(Registration, b["id"])).refund_due_at is None
    assert hall.sweep() == 0


def test_close_fails_below_reserve_and_without_bids(hall, api):
    p1 = hall.project()
    hall.qualify(p1, "alice")
    hall.at(p1, 5)
    _play(hall, p1, ("alice", "840.00"))
    hall.at(p1, 1, from_end=True)
    assert hall.sweep() == 1
    r = api.get(f"/api/v1/projects/{p1}/result").get_json()
    assert r["outcome"] == "failed" and r["price"] is None and r["winner"] is None and "保留价" in r["reason"]
    assert hall.row(p1).status == "failed"


def test_descending_result_savings(hall, api):
    pid = hall.project(kind="procurement", direction="descending", price_unit="total", area_mu=None,
                       term_years=None, start_price="100000.00", reserve_price=None, increment="500.00",
                       budget="120000.00")
    hall.qualify(pid, "alice")
    hall.at(pid, 1)
    _play(hall, pid, ("alice", "95000.00"))
    hall.at(pid, 1, from_end=True)
    hall.sweep()
    r = api.get(f"/api/v1/projects/{pid}/result").get_json()
    assert (r["savings"], r["savings_rate"], r["premium_rate"], r["total_amount"]) == (
        "25000.00", "0.2083", None, "95000.00")


def test_sealed_bids_secret_until_close_then_best_wins(hall, api, app):
    pid = hall.project(method="sealed")
    hall.qualify(pid, "alice")
    hall.qualify(pid, "bob")
    hall.qualify(pid, "carol")
    hall.at(pid, 5)
    r = hall.bid(pid, "alice", "900.00")
    assert r.status_code == 201 and r.get_json()["amount"] == "900.00" and r.get_json()["current_price"] is None
    hall.at(pid, 10)
    _play(hall, pid, ("bob", "950.00"), ("carol", "800.00"))
    hall.at(pid, 20)
    _play(hall, pid, ("alice", "950.00"))  # replaced later: bob's earlier 950 wins the tie
    for user in (None, "alice", hall.staff):
        a = api.get(f"/api/v1/projects/{pid}/auction", user=user)
        text = a.get_data(as_text=True)
        assert not shows_amount(text, "950") and not shows_amount(text, "900") and a.get_json()["bids"] == []
    assert api.get(f"/api/v1/projects/{pid}/bids").get_json()["items"] == []
    assert api.get(f"/api/v1/projects/{pid}/result").status_code == 409
    from auctions.models import SealedBid
    from trading.models import AuditEntry

    with app.app_context():
        rows = _db.session.execute(select(SealedBid)).scalars().all()
        assert len(rows) == 3 and all("950" not in r.ciphertext and r.opened_amount is None for r in rows)
        assert all("amount" not in (e.data or {}) for e in _db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "sealed_bid.submit")).scalars())
        keyfile = os.path.join(app.config["TRADING_KEYS_DIR"], "sealed_bids.key")
        assert stat.S_IMODE(os.stat(keyfile).st_mode) == 0o600
    hall.at(pid, 0, from_end=True)
    assert api.get(f"/api/v1/projects/{pid}/result").status_code == 409  # not opened until the job runs
    assert hall.sweep() == 1
    res = api.get(f"/api/v1/projects/{pid}/result").get_json()
    bob_no = api.get(f"/api/v1/projects/{pid}/auction", user="bob").get_json()["my_bidder_no"]
    assert res["outcome"] == "awarded" and res["price"] == "950.00" and res["winner"]["bidder_no"] == bob_no
    opened = api.get(f"/api/v1/projects/{pid}/auction").get_json()
    assert sorted(b["amount"] for b in opened["bids"]) == ["800.00", "950.00", "950.00"]


def test_sealed_bid_refusals(hall):
    pid = hall.project(method="sealed")
    hall.qualify(pid, "alice")
    hall.at(pid, 5)
    assert hall.bid(pid, "alice", "700.00").get_json()["error"]["code"] == "bid_too_low"
    hall.at(pid, 0, from_end=True)
    assert hall.bid(pid, "alice", "900.00").get_json()["error"]["code"] == "auction_closed"


def test_winner_default_awards_next_best_then_fails(hall, api, app):
    pid = hall.project()
    a, b, c = (hall.qualify(pid, n)["id"] for n in ("alice", "bob", "carol"))
    hall.at(pid, 5)
    _play(hall, pid, ("alice", "850.00"), ("bob", "860.00"), ("carol", "900.00"), ("bob", "910.00"))
    hall.at(pid, 1, from_end=True)
    hall.sweep()
    url = f"/api/v1/projects/{pid}/winner-default"
    assert api.post(url, {"reason": "x", "registration_id": b}, user="alice").status_code == 403
    assert api.post(url, {}, user=hall.staff).status_code == 422
    # the registration in default must be named (issue 12, finding 3)
    assert api.post(url, {"reason": "拒不签约", "award_next": True}, user=hall.staff).status_code == 422
    # naming a bidder who is not (and never was) the winner changes nothing
    r = api.post(url, {"reason": "拒不签约", "award_next": True, "registration_id": a}, user=hall.staff)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_winner"
    assert hall.row(pid).final_price == Decimal("910.00")
    r = api.post(url, {"reason": "拒不签约", "award_next": True, "registration_id": b}, user=hall.staff)
    assert r.status_code == 200, r.get_json()
    carol_no = api.get(f"/api/v1/projects/{pid}/auction", user="carol").get_json()["my_bidder_no"]
    assert r.get_json()["price"] == "900.00" and r.get_json()["winner"]["bidder_no"] == carol_no
    assert "递补" in r.get_json()["reason"]
    # carol defaults too: alice's 850 meets the reserve 850 and is next; then nobody is left
    r = api.post(url, {"reason": "拒不签约", "award_next": True, "registration_id": c}, user=hall.staff)
    assert r.get_json()["price"] == "850.00"
    r = api.post(url, {"reason": "拒不签约", "award_next": True, "registration_id": a}, user=hall.staff)
    assert r.get_json()["outcome"] == "failed" and hall.row(pid).status == "failed"
    # a repeat for alice answers the same outcome; nothing new happens
    r2 = api.post(url, {"reason": "again", "registration_id": a}, user=hall.staff)
    assert r2.status_code == 200 and r2.get_json()["outcome"] == "failed"


def _defaults_and_forfeits(app, pid) -> tuple[int, int]:
    from sqlalchemy import func

    from auctions.models import Registration
    from guarantees.models import Deposit
    from trading.models import AuditEntry

    with app.app_context():
        defaults = _db.session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "award.default", AuditEntry.object == f"project:{pid}")).scalar_one()
        forfeits = _db.session.execute(select(func.count()).select_from(Deposit).join(
            Registration, Registration.id == Deposit.registration_id).where(
            Registration.project_id == pid, Deposit.status == "forfeited")).scalar_one()
        _db.session.remove()
    return defaults, forfeits


def test_a_repeated_winner_default_answers_the_first_result_and_defaults_no_one_else(hall, api, app):
    """Issue 12, finding 3: a repeat of the same request used to default the promoted runner-up too."""
    pid = hall.project()
    hall.qualify(pid, "alice")
    b = hall.qualify(pid, "bob")["id"]
    hall.qualify(pid, "carol")
    hall.at(pid, 5)
    _play(hall, pid, ("alice", "850.00"), ("carol", "870.00"), ("bob", "900.00"))
    hall.at(pid, 1, from_end=True)
    hall.sweep()
    url = f"/api/v1/projects/{pid}/winner-default"
    body = {"reason": "拒不签约", "award_next": True, "registration_id": b}
    first = api.post(url, body, user=hall.staff)
    assert first.status_code == 200 and first.get_json()["price"] == "870.00"
    for _ in range(2):
        again = api.post(url, body, user=hall.staff)
        assert again.status_code == 200
        assert {k: v for k, v in again.get_json().items() if k != "server_time"} == \
            {k: v for k, v in first.get_json().items() if k != "server_time"}
    assert hall.row(pid).final_price == Decimal("870.00")
    assert _defaults_and_forfeits(app, pid) == (1, 1)


def test_a_winner_default_naming_a_huge_or_boolean_registration_is_a_422_and_changes_nothing(hall, api, app,
                                                                                                client):
    """Issue 12 finding 11's class: `registration_id` 2**63 answered 500 (SQLite OverflowError); `true` was 1."""
    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.at(pid, 5)
    _play(hall, pid, ("alice", "900.00"))
    hall.at(pid, 1, from_end=True)
    hall.sweep()
    url = f"/api/v1/projects/{pid}/winner-default"
    for bad in (2**63, True, 0, -5, "abc"):
        r = api.post(url, {"reason": "拒不签约", "registration_id": bad}, user=hall.staff)
        assert r.status_code == 422, (bad, r.get_json())
        assert "registration_id" in r.get_json()["error"]["fields"]
    from tests.tenders.test_views import login

    login(client, app, "staff1")
    r = client.post(f"/staff/auctions/projects/{pid}/default",
                    data={"reason": "拒不签约", "registration_id": str(2**63)}, follow_redirects=True)
    assert r.status_code in (200, 422) and "缺少违约成交人的报名记录" in r.get_data(as_text=True)
    assert hall.row(pid).status == "awarded" and _defaults_and_forfeits(app, pid) == (0, 0)


def test_annul_award_without_next_fails_project(hall, app):
    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.at(pid, 5)
    _play(hall, pid, ("alice", "900.00"))
    hall.at(pid, 1, from_end=True)
    hall.sweep()
    from auctions.services import annul_award
    from trading.projects.models import Project

    with app.app_context():
        p = annul_award(_db.session.get(Project, pid), reason="异议成立", actor="staff1", award_next=False)
        _db.session.commit()
        assert p.status == "failed" and p.winner_id is None and "异议成立" in p.outcome_reason


def _deposit(app, reg_id):
    from auctions.models import Registration
    from guarantees import services as gs

    with app.app_context():
        dep = gs.deposit_of(_db.session.get(Registration, reg_id))
        return dep.status, dep.refund_due_at is not None


def test_next_best_keeps_its_security_until_signing_and_the_defaulter_forfeits(hall, api, app):
    pid = hall.project()
    a = hall.qualify(pid, "alice")
    b = hall.qualify(pid, "bob")
    hall.at(pid, 5)
    _play(hall, pid, ("alice", "850.00"), ("bob", "870.00"))
    hall.at(pid, 1, from_end=True)
    hall.sweep()
    assert _deposit(app, a["id"]) == ("received", True)  # a loser's deposit falls due at the close
    r = api.post(f"/api/v1/projects/{pid}/winner-default", {"reason": "拒不签约", "award_next": True,
                                                            "registration_id": b["id"]}, user=hall.staff)
    assert r.status_code == 200 and r.get_json()["price"] == "850.00"
    assert _deposit(app, b["id"])[0] == "forfeited"
    assert _deposit(app, a["id"]) == ("received", False)  # held again for the promoted bidder
    assert "重新提交" not in r.get_json()["reason"]


def test_an_upheld_objection_releases_the_annulled_winners_security(hall, app):
    pid = hall.project()
    a = hall.qualify(pid, "alice")
    b = hall.qualify(pid, "bob")
    hall.at(pid, 5)
    _play(hall, pid, ("alice", "850.00"), ("bob", "870.00"))
    hall.at(pid, 1, from_end=True)
    hall.sweep()
    from auctions.services import annul_award
    from trading.projects.models import Project

    with app.app_context():
        annul_award(_db.session.get(Project, pid), reason="异议成立：报名材料不实", actor="staff1", award_next=True)
        _db.session.commit()
    assert _deposit(app, b["id"]) == ("received", True)   # not forfeited: the objection was not a default
    assert _deposit(app, a["id"]) == ("received", False)  # the new winner's deposit is held
