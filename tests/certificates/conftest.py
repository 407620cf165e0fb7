"""Fixtures: signing keys (once per run) and awarded projects built directly on the Project row."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from trading import clock
from trading.extensions import db as _db


@pytest.fixture(scope="session")
def signing_keys(app):
    from certificates import keys

    with app.app_context():
        keys.init_keys(app.config["TRADING_CENTER_NAME"])
        return keys.key_paths()


def make_awarded(app, factory, api, *, body=None, price="900.00", bid_count=7, winner="bidder_a"):
    """Create + approve a project through the API, then write the auction outcome as the closing job would."""
    from auctions.models import Registration
    from trading.projects.models import Project

    _, owner = factory.user("collective", "village1", org_name="龙田村股份经济合作社")
    _, staff = factory.user("staff", "staff1")
    wid, _ = factory.user("bidder", winner, org_name="鹿寨县丰收种养专业合作社")
    lid, _ = factory.user("bidder", "bidder_b", org_name="寨沙镇绿源家庭农场", phone="13800138000")
    r = api.post("/api/v1/projects", body or factory.project_body(), user=owner)
    assert r.status_code == 201, r.get_json()
    pid = r.get_json()["id"]
    assert api.post(f"/api/v1/projects/{pid}/submit", user=owner).status_code == 200
    assert api.post(f"/api/v1/projects/{pid}/approve", user=staff).status_code == 200
    with app.app_context():
        p = _db.session.get(Project, pid)
        end = p.bidding_end
        for n, uid in enumerate((wid, lid)):
            _db.session.add(Registration(project_id=pid, bidder_id=uid, bidder_no=f"A{n + 17:03d}",
                                         status="qualified", security_type="deposit"))
        p.status = "awarded"
        p.current_price = p.final_price = Decimal(price)
        p.winner_id = p.leader_id = wid
        p.bid_count = bid_count
        p.ends_at = p.closed_at = p.awarded_at = end
        p.publicity_ends_at = end + timedelta(seconds=app.config["TRADING_PUBLICITY_SECONDS"])
        _db.session.commit()
        out = {"id": pid, "owner": owner, "staff": staff, "winner": winner, "loser": "bidder_b",
               "bidding_end": end, "publicity_ends_at": p.publicity_ends_at, "code": p.code}
        _db.session.remove()
    return out


@pytest.fixture
def awarded(app, factory, api):
    out = make_awarded(app, factory, api)
    clock.freeze(out["bidding_end"] + timedelta(hours=1))  # in publicity
    return out


@pytest.fixture
def issuable(app, factory, api, signing_keys):
    out = make_awarded(app, factory, api)
    clock.freeze(out["publicity_ends_at"] + timedelta(minutes=5))
    return out


@pytest.fixture
def issued(issuable, api):
    r = api.post(f"/api/v1/projects/{issuable['id']}/certificate", user=issuable["staff"])
    assert r.status_code == 201, r.get_json()
    return {**issuable, **r.get_json()}
