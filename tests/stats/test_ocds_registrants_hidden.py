"""Issue 12 finding 7: no count or identity of registrants is published before the close of bidding."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.stats.conftest import bj
from trading import clock
from trading.extensions import db as _db


def _register(app, factory, pid: int, n: int) -> None:
    from auctions.models import Registration

    for i in range(n):
        uid, _ = factory.user("bidder", f"ocds_reg{i}", org_name=f"投标公司{i}")
        with app.app_context():
            _db.session.add(Registration(project_id=pid, bidder_id=uid, bidder_no=f"J{i:02d}", status="qualified",
                                         security_type="deposit", created_at=clock.now()))
            _db.session.commit()
            _db.session.remove()


def _release(client, code: str) -> dict:
    today = clock.now().astimezone(clock.BEIJING).date()
    q = f"from={(today - timedelta(days=5)).isoformat()}&to={today.isoformat()}"
    pkg = client.get(f"/api/v1/ocds/releases?{q}").get_json()
    return next(r for r in pkg["releases"] if r["tender"]["id"] == code)


def test_ocds_hides_the_number_of_tenderers_until_bidding_closes(app, client, deals, factory):
    from trading.projects.models import Project

    t = clock.now()
    pid = deals.add(kind="procurement", direction="descending", status="announced", final=None,
                    awarded=t + timedelta(days=10), approved=t - timedelta(days=1))
    _register(app, factory, pid, 2)
    with app.app_context():
        code = _db.session.get(Project, pid).code
        _db.session.remove()

    open_release = _release(client, code)
    assert "numberOfTenderers" not in open_release["tender"]
    assert "bids" not in open_release["tender"] and "bids" not in open_release
    text = json.dumps(open_release, ensure_ascii=False)
    assert "投标公司" not in text and "J00" not in text
    assert {p["roles"][0] for p in open_release["parties"]} == {"buyer"}

    with app.app_context():  # the close: bidding over, the project failed (no valid bid)
        p = _db.session.get(Project, pid)
        p.status, p.closed_at = "failed", clock.now()
        _db.session.commit()
        _db.session.remove()
    closed = _release(client, code)
    assert closed["tender"]["numberOfTenderers"] == 2


def test_a_historic_closed_tender_keeps_its_count(client, deals):
    deals.add(kind="procurement", direction="descending", start="1000.00", final="900.00", awarded=bj(2025, 3, 1))
    pkg = client.get("/api/v1/ocds/releases?from=2025-01-01&to=2025-12-31").get_json()
    rel = pkg["releases"][0]
    assert rel["tender"]["numberOfTenderers"] == 0
    # the bid count sits in the bid extension's release-level `bids` (OCDS), never under `tender`
    assert rel["bids"] == {"statistics": [{"id": "bids", "measure": "bids", "value": 3}]}
    assert "bids" not in rel["tender"]
    assert any("ocds_bid_extension" in e for e in pkg["extensions"])


def test_public_statistics_count_no_registrations_of_a_project_still_open(app, client, deals, factory):
    """/api/v1/stats for today must not reveal how many registered (or paid a deposit) for a listing whose bidding
    has not closed: in a small county one open listing would be the whole figure."""
    from auctions.models import Registration
    from guarantees.models import Deposit
    from trading.projects.models import Project

    t = clock.now()
    pid = deals.add(kind="procurement", direction="descending", status="announced", final=None,
                    awarded=t + timedelta(days=10), approved=t - timedelta(days=1))
    for i in range(2):
        uid, _ = factory.user("bidder", f"stat_reg{i}")
        with app.app_context():
            reg = Registration(project_id=pid, bidder_id=uid, bidder_no=f"S{i:02d}", status="qualified",
                               security_type="deposit", created_at=t)
            _db.session.add(reg)
            _db.session.flush()
            _db.session.add(Deposit(registration_id=reg.id, amount="100.00", status="received", opened_at=t,
                                    received_at=t))
            _db.session.commit()
            _db.session.remove()
    today = t.astimezone(clock.BEIJING).date().isoformat()

    def figures() -> dict:
        r = client.get(f"/api/v1/stats?from={today}&to={today}")
        assert r.status_code == 200
        return r.get_json()

    body = figures()
    assert body["guarantees"]["registrations"] == 0 and body["deposits"]["count"] == 0
    assert "报名 2 笔" not in client.get(f"/stats?from={today}&to={today}").get_data(as_text=True)

    with app.app_context():
        p = _db.session.get(Project, pid)
        p.status, p.closed_at = "failed", clock.now()
        _db.session.commit()
        _db.session.remove()
    body = figures()
    assert body["guarantees"]["registrations"] == 2 and body["deposits"] == {"count": 2, "amount": "200.00"}
