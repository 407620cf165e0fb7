"""After the load: audit the database against what the clients saw and against the bidding rules.

    python -m bench.check SEED.json ACCEPTED.json OUT.json   (DATABASE_URL = the bench database)

- lost_bids: a 201 a client saw (project, seq, amount, bidder) with no identical stored bid;
- invalid_accepted: a stored bid that breaks the rules against its predecessor (ascending open auction:
  the first ≥ start price on the increment grid, each later = previous + k × increment with k ≥ 1, never the
  leader outbidding itself, inside [bidding_start, ends_at), by a qualified registration of that bidder and
  project, seq without gaps);
- inconsistent_auctions: price / leader / bid_count / ends_at of the auction row ≠ its last stored bid;
- audit_chain_ok, and every stored bid has its `bid.place` audit entry.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select

from auctions.models import Bid, Registration, RegistrationStatus
from trading import audit, create_app
from trading.extensions import db
from trading.models import AuditEntry
from trading.projects.models import Project


def invalid_bids(p: Project, bids: list[Bid], regs: dict) -> int:
    bad = 0
    prev = None
    ends = p.bidding_end
    for i, b in enumerate(bids, 1):
        ok = b.seq == i and b.at >= p.bidding_start and b.at < ends
        reg = regs.get(b.registration_id)
        ok = ok and reg is not None and reg == (p.id, b.bidder_id, RegistrationStatus.QUALIFIED)
        if prev is None:
            ok = ok and b.amount >= p.start_price and (b.amount - p.start_price) % p.increment == 0
        else:
            step = b.amount - prev.amount
            ok = ok and step >= p.increment and step % p.increment == 0 and b.bidder_id != prev.bidder_id
        ok = ok and not b.is_priority  # no priority holders are seeded
        bad += not ok
        prev, ends = b, b.ends_at_after
    return bad


def main() -> None:
    seed_path, accepted_path, out_path = sys.argv[1:4]
    with open(seed_path) as fh:
        seed = json.load(fh)
    with open(accepted_path) as fh:
        accepted = json.load(fh)
    ids = [a["id"] for a in seed["auctions"]]
    app = create_app()
    with app.app_context():
        projects = {p.id: p for p in db.session.execute(select(Project).where(Project.id.in_(ids))).scalars()}
        by_project: dict[int, list[Bid]] = defaultdict(list)
        stored = {}
        for b in db.session.execute(select(Bid).where(Bid.project_id.in_(ids)).order_by(Bid.project_id, Bid.seq)
                                    ).scalars():
            by_project[b.project_id].append(b)
            stored[(b.project_id, b.seq)] = (b.amount, b.bidder_id)
        regs = {r.id: (r.project_id, r.bidder_id, r.status) for r in db.session.execute(
            select(Registration).where(Registration.project_id.in_(ids))).scalars()}
        lost = 0
        for pid, seq, amount, bidder in accepted:
            if stored.get((pid, seq)) != (Decimal(amount), bidder):
                lost += 1
        invalid = sum(invalid_bids(projects[pid], by_project[pid], regs) for pid in ids)
        inconsistent = 0
        for pid in ids:
            p, bids = projects[pid], by_project[pid]
            last = bids[-1] if bids else None
            want = ((last.amount, last.bidder_id, len(bids), last.ends_at_after) if last
                    else (None, None, 0, p.bidding_end))
            inconsistent += (p.current_price, p.leader_id, p.bid_count, p.ends_at) != want
        objects = [f"project:{pid}" for pid in ids]
        audited = db.session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "bid.place", AuditEntry.object.in_(objects))).scalar_one()
        chain = audit.verify()
    total = sum(len(v) for v in by_project.values())
    out = {"lost_bids": lost, "invalid_accepted": invalid, "inconsistent_auctions": inconsistent,
           "stored_bids": total, "client_201s": len(accepted), "unaudited_bids": total - audited,
           "audit_chain_ok": int(chain["ok"]), "audit_entries": chain["entries"]}
    with open(out_path, "w") as fh:
        json.dump(out, fh)


if __name__ == "__main__":
    main()
