"""Upholding an objection with the real auctions.services.annul_award (merged from the auctions branch)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from trading import clock
from trading.extensions import db

pytest.importorskip("auctions.services")
if not hasattr(__import__("auctions.services").services, "annul_award"):  # pragma: no cover
    pytest.skip("auctions.services.annul_award not available", allow_module_level=True)

GROUNDS = "第一名竞买人提供的资格材料不实，请求撤销其成交资格。"


def _add_bids(app, pid):
    from auctions.models import Bid, Registration

    with app.app_context():
        regs = db.session.execute(select(Registration).where(Registration.project_id == pid)
                                  .order_by(Registration.id)).scalars().all()
        winner, second = regs[0], regs[1]
        t = clock.now() - timedelta(hours=2)
        for seq, (reg, amount) in enumerate([(second, "880.00"), (winner, "900.00")], start=1):
            db.session.add(Bid(project_id=pid, seq=seq, registration_id=reg.id, bidder_id=reg.bidder_id,
                               amount=Decimal(amount), at=t, ends_at_after=t))
        db.session.commit()
        db.session.remove()


def _object(api, pid):
    r = api.post(f"/api/v1/projects/{pid}/objections",
                 json={"name": "赵六", "phone": "13600001111", "grounds": GROUNDS})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def test_uphold_awards_next_best_then_new_publicity_then_certificate(awarded, api, app, signing_keys):
    _add_bids(app, awarded["id"])
    oid = _object(api, awarded["id"])
    r = api.post(f"/api/v1/objections/{oid}/uphold", json={"reason": "资格材料不实", "award_next": True},
                 user=awarded["staff"])
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "upheld"
    p = api.get(f"/api/v1/projects/{awarded['id']}").get_json()
    assert p["status"] == "awarded"
    pub = api.get(f"/api/v1/projects/{awarded['id']}/publicity").get_json()
    assert pub["in_publicity"] is True and pub["open_objections"] == 0  # a new publicity period runs
    assert api.post(f"/api/v1/projects/{awarded['id']}/certificate",
                    user=awarded["staff"]).get_json()["error"]["code"] == "publicity_not_over"
    clock.advance(app.config["TRADING_PUBLICITY_SECONDS"] + 1)
    r = api.post(f"/api/v1/projects/{awarded['id']}/certificate", user=awarded["staff"])
    assert r.status_code == 201, r.get_json()
    f = api.get(f"/api/v1/certificates/{r.get_json()['number']}").get_json()["facts"]
    assert f["price"] == "880.00" and f["transferee"]["name"] == "寨沙镇绿源家庭农场"


def test_uphold_without_next_fails_project(awarded, api, app, signing_keys):
    oid = _object(api, awarded["id"])
    r = api.post(f"/api/v1/objections/{oid}/uphold", json={"reason": "串通属实", "award_next": False},
                 user=awarded["staff"])
    assert r.status_code == 200, r.get_json()
    assert api.get(f"/api/v1/projects/{awarded['id']}").get_json()["status"] == "failed"
    clock.advance(app.config["TRADING_PUBLICITY_SECONDS"] + 1)
    r = api.post(f"/api/v1/projects/{awarded['id']}/certificate", user=awarded["staff"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_awarded"


def test_issue_applies_winner_cash_deposit(issuable, api, app):
    """With the real guarantees package: the winner's received deposit is applied when the certificate issues."""
    gm = pytest.importorskip("guarantees.models")
    from auctions.models import Registration
    from trading.projects.models import Project

    with app.app_context():
        p = db.session.get(Project, issuable["id"])
        reg = db.session.execute(select(Registration).where(Registration.project_id == p.id,
                                                            Registration.bidder_id == p.winner_id)).scalar_one()
        db.session.add(gm.Deposit(registration_id=reg.id, amount=Decimal("5000.00"), status="received",
                                  received_at=clock.now(), received_by="staff1"))
        db.session.commit()
        db.session.remove()
    r = api.post(f"/api/v1/projects/{issuable['id']}/certificate", user=issuable["staff"])
    assert r.status_code == 201, r.get_json()
    with app.app_context():
        dep = db.session.execute(select(gm.Deposit)).scalar_one()
        assert dep.status == "applied" and dep.settled_by == issuable["staff"]
        db.session.remove()
