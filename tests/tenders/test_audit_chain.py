"""A tender's audit entries — about its lots (bids, opening, committee, scores, papers), the registrations,
deposits and guarantees made for its lots — go to the tender's own chain `tender:<id>`, not the shared system
chain (whose head lock would serialise every tender's bids); its signed papers carry that chain's head and the
anchor covering it (appended at issue when the scheduler has not yet)."""

from __future__ import annotations

import json

from sqlalchemy import select

from trading import audit
from trading.extensions import db as _db
from trading.models import AuditEntry

PRICES = {"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"}


def _entries(app):
    with app.app_context():
        rows = [(e.chain, e.object, e.action) for e in _db.session.execute(select(AuditEntry)).scalars()]
        _db.session.remove()
        return rows


def test_a_tenders_entries_join_its_own_chain_and_its_papers_carry_the_head(app, hall, api, signing_keys):
    lot_id = hall.opened_lot(PRICES)
    tender_id = api.get(f"/api/v1/lots/{lot_id}").get_json()["tender_id"]
    hall.experts(5)
    members = hall.committee(lot_id)
    hall.score_all(lot_id, members, {f"{n}建设有限公司": {"tech": "40", "biz": "10"} for n in PRICES})
    rows = _entries(app)
    tender_chain = f"tender:{tender_id}"
    mine = [(o, a) for c, o, a in rows if c == tender_chain]
    actions = {a for _, a in mine}
    # the lot's life, the bidders' registrations and their sealed bids: all in the tender's chain
    assert {"lot.opened", "lot.committee_draw", "lot.decrypt", "lot.evaluated", "deposit.receive"} <= actions, actions
    assert any(o.startswith("registration:") for o, _ in mine)
    assert any(o.startswith("lot:") and a == "lot.bid" for o, a in mine), actions
    strays = [(c, o, a) for c, o, a in rows if o.split(":")[0] in ("lot", "registration", "deposit") and
              c != tender_chain]
    assert strays == []

    ev = api.get(f"/api/v1/lots/{lot_id}/evaluation", user=hall.owner).get_json()
    assert api.get(ev["report_url"], user=hall.staff).status_code == 200  # the signed evaluation report
    with app.app_context():
        from tenders.models import TenderPaper

        paper = _db.session.execute(select(TenderPaper).where(TenderPaper.lot_id == lot_id)).scalars().first()
        facts, number = json.loads(paper.facts), paper.number
        _db.session.remove()
    head = facts["audit_head"]
    assert head["chain"] == tender_chain and head["seq"] >= len(mine) - 1
    # the paper carries the anchor that covers that very head, appended in the paper's own transaction
    covering = api.get(f"/api/v1/tender-papers/{number}", user=hall.staff).get_json()["audit_anchor"]
    assert covering["head"] == {"chain": tender_chain, "seq": head["seq"], "hash": head["hash"]}
    assert facts["audit_anchor"] == {"seq": covering["seq"], "hash": covering["hash"]}
    with app.app_context():
        assert audit.anchor() >= 1  # the scheduler's next anchor covers what came after (the paper's own entry)
        _db.session.commit()
        _db.session.remove()
    with app.app_context():
        assert audit.verify()["ok"]
        _db.session.remove()


def test_register_owner_routes_a_kind_and_falls_back_to_the_system_chain(db):
    audit.register_owner("widget", "SELECT 'tender:' || CAST(:k AS TEXT) WHERE CAST(:k AS INTEGER) < 100")
    assert audit.chain_for("widget:7") == "tender:7"
    assert audit.chain_for("widget:700") == audit.SYSTEM  # the lookup found no owner
    assert audit.chain_for("widget:abc") == audit.SYSTEM
    assert audit.chain_for("lot:999999") == audit.SYSTEM  # a registered kind, an unknown object
    audit._OWNER_OF.pop("widget")
