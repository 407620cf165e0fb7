"""Seed the benchmark database: running auctions with qualified bidders, awarded projects past publicity.

Run as `python -m bench.seed OUT.json --auctions 100 --bidders 64 --awarded 800` with DATABASE_URL set to the
bench database. Rows are the ones the real flow leaves (project approved and opened; registration qualified
on a received cash deposit; the audit entries of each step, chained exactly as trading.audit.record chains
them), only written in bulk. The tokens go to OUT.json (a temp file; never into the repository).
"""

from __future__ import annotations

import argparse
import json
import secrets
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from auctions.models import Bid, Registration, RegistrationStatus, SecurityType
from guarantees.models import Deposit
from guarantees.states import DepositStatus
from trading import audit, create_app
from trading.accounts.models import OrgKind, Role, User
from trading.accounts.services import create_org, issue_token
from trading.clock import now, to_beijing
from trading.extensions import db
from trading.models import AuditChain, AuditEntry
from trading.projects.models import Project
from trading.projects.services import next_code
from trading.projects.states import ProjectStatus

START, INCREMENT, DEPOSIT = Decimal("800.00"), Decimal("10.00"), Decimal("5000.00")


class Chain:
    """Appends audit entries in bulk with trading.audit's hash chains (same canonical form, same order per chain;
    the chain of each entry is the one trading.audit.chain_for gives, passed in where it needs a lookup)."""

    def __init__(self) -> None:
        self.heads = {c.chain: c for c in db.session.execute(select(AuditChain)).scalars()}
        self.state = {c: (h.seq, h.hash) for c, h in self.heads.items()}
        self.rows: list[dict] = []

    def add(self, action: str, obj: str, data: dict, actor: str, chain: str | None = None) -> None:
        chain = chain or audit.chain_for(obj)
        data = json.loads(audit.canonical(data))
        at = now()
        seq, prev = self.state.get(chain, (0, audit.GENESIS))
        seq += 1
        h = audit.entry_hash(prev, seq, at.isoformat(), actor, action, obj, data, chain)
        self.rows.append({"chain": chain, "chain_seq": seq, "at": at, "actor": actor, "action": action,
                          "object": obj, "data": data, "prev_hash": prev, "hash": h})
        self.state[chain] = (seq, h)

    def flush(self) -> None:
        for i in range(0, len(self.rows), 5000):
            db.session.execute(insert(AuditEntry), self.rows[i:i + 5000])
        self.rows = []
        for c, (seq, h) in self.state.items():
            if c in self.heads:
                self.heads[c].seq, self.heads[c].hash = seq, h
            else:
                self.heads[c] = AuditChain(chain=c, seq=seq, hash=h)
                db.session.add(self.heads[c])
        db.session.flush()


def _users(chain: Chain, prefix: str, n: int, role: str, pw_hash: str) -> list[User]:
    rows = [{"username": f"{prefix}{i:03d}", "password_hash": pw_hash, "role": role,
             "display_name": f"竞买人{i:03d}", "active": True, "failed_logins": 0, "created_at": now()}
            for i in range(1, n + 1)]
    db.session.execute(insert(User), rows)
    users = list(db.session.execute(select(User).where(User.username.like(f"{prefix}%"))
                                    .order_by(User.id)).scalars())
    for u in users:
        chain.add("user.create", f"user:{u.id}", {"username": u.username, "role": role}, "bench")
    return users


def _project(i: int, owner: User, staff: User, status: str, t, **extra) -> dict:
    row = dict(
        code=next_code("NC", to_beijing(t).year), kind="rural_land", title=f"压测耕地经营权出租 {i:04d}",
        location="寨沙镇龙田村", town="寨沙镇", description="压测数据", method="auction", direction="ascending",
        price_unit="per_mu_year", area_mu=Decimal("44.27"), term_years=5, start_price=START,
        reserve_price=Decimal("850.00"), increment=INCREMENT, deposit=DEPOSIT, extension_seconds=300,
        status=status, owner_id=owner.id, created_by_id=owner.id, created_at=t - timedelta(days=9),
        submitted_at=t - timedelta(days=9), approved_at=t - timedelta(days=8), bid_count=0, extensions_used=0,
        leader_is_priority=False)
    row.update(extra)
    return row


def _register(chain: Chain, project_ids: list[int], bidders: list[User], staff: User, t) -> dict:
    """One qualified registration per (project, bidder) on a received deposit; returns {(pid, uid): reg_id}."""
    regs = []
    for pid in project_ids:
        nos = set()
        for u in bidders:
            no = f"{secrets.randbelow(900000) + 100000}"
            while no in nos:
                no = f"{secrets.randbelow(900000) + 100000}"
            nos.add(no)
            regs.append({"project_id": pid, "bidder_id": u.id, "bidder_no": no,
                         "status": RegistrationStatus.QUALIFIED, "security_type": SecurityType.DEPOSIT,
                         "ip": "127.0.0.1", "user_agent": "bench", "created_at": t - timedelta(days=5),
                         "decided_at": t - timedelta(days=4)})
    for i in range(0, len(regs), 5000):
        db.session.execute(insert(Registration), regs[i:i + 5000])
    rows = db.session.execute(select(Registration.id, Registration.project_id, Registration.bidder_id,
                                     Registration.bidder_no).where(Registration.project_id.in_(project_ids))
                              .order_by(Registration.id)).all()
    deps = [{"registration_id": r.id, "amount": DEPOSIT, "status": DepositStatus.RECEIVED,
             "opened_at": t - timedelta(days=5), "received_at": t - timedelta(days=4),
             "received_by": staff.username} for r in rows]
    for i in range(0, len(deps), 5000):
        db.session.execute(insert(Deposit), deps[i:i + 5000])
    dep_ids = dict(db.session.execute(select(Deposit.registration_id, Deposit.id).where(
        Deposit.registration_id.in_([r.id for r in rows]))).all())
    codes = dict(db.session.execute(select(Project.id, Project.code).where(Project.id.in_(project_ids))).all())
    users = {u.id: u.username for u in bidders}
    for r in rows:
        who = users[r.bidder_id]
        dep = dep_ids.get(r.id, 0)
        pc = f"project:{r.project_id}"  # what audit.chain_for looks up for a registration or its deposit
        chain.add("deposit.open", f"deposit:{dep}", {"registration": r.id, "project": codes[r.project_id],
                                                     "amount": DEPOSIT}, who, pc)
        chain.add("registration.create", f"registration:{r.id}",
                  {"project": codes[r.project_id], "bidder_no": r.bidder_no, "security": "deposit",
                   "guarantee_no": None}, who, pc)
        chain.add("deposit.receive", f"deposit:{dep}", {"registration": r.id, "amount": DEPOSIT}, staff.username,
                  pc)
        chain.add("registration.confirm_deposit", f"registration:{r.id}", {}, staff.username, pc)
        chain.add("registration.approve", f"registration:{r.id}", {"bidder_no": r.bidder_no}, staff.username, pc)
    return {(r.project_id, r.bidder_id): r.id for r in rows}


def seed(n_auctions: int, n_bidders: int, n_awarded: int) -> dict:
    t = now()
    pw_hash = generate_password_hash(secrets.token_urlsafe(12))  # nobody logs in: the bidders use tokens
    org = create_org("压测村股份经济合作社", OrgKind.VILLAGE_COLLECTIVE, None, actor="bench")
    chain = Chain()  # after create_org, which appended through audit.record
    owner = User(username="bench-owner", password_hash=pw_hash, role=Role.COLLECTIVE, org_id=org.id,
                 display_name="压测村")
    staff = User(username="bench-staff", password_hash=pw_hash, role=Role.STAFF, display_name="压测工作人员")
    db.session.add_all([owner, staff])
    db.session.flush()
    for u in (owner, staff):
        chain.add("user.create", f"user:{u.id}", {"username": u.username, "role": u.role}, "bench")
    bidders = _users(chain, "bench-b", n_bidders, Role.BIDDER, pw_hash)

    running = [_project(i, owner, staff, ProjectStatus.BIDDING, t,
                        announce_start=t - timedelta(days=8), registration_end=t - timedelta(hours=1),
                        bidding_start=t - timedelta(minutes=30), bidding_end=t + timedelta(days=1),
                        ends_at=t + timedelta(days=1)) for i in range(n_auctions)]
    awarded_at = t - timedelta(days=10)
    awarded = [_project(10000 + i, owner, staff, ProjectStatus.AWARDED, t,
                        announce_start=t - timedelta(days=20), registration_end=t - timedelta(days=12),
                        bidding_start=t - timedelta(days=11), bidding_end=awarded_at,
                        ends_at=awarded_at, closed_at=awarded_at, awarded_at=awarded_at,
                        publicity_ends_at=awarded_at + timedelta(days=5), final_price=START + INCREMENT,
                        current_price=START + INCREMENT, bid_count=1, outcome_reason="按最优报价成交",
                        winner_id=bidders[i % len(bidders)].id, leader_id=bidders[i % len(bidders)].id)
               for i in range(n_awarded)]
    db.session.execute(insert(Project), running + awarded)
    rows = db.session.execute(select(Project.id, Project.code, Project.status).order_by(Project.id)).all()
    run_ids = [r.id for r in rows if r.status == ProjectStatus.BIDDING]
    award_ids = [r.id for r in rows if r.status == ProjectStatus.AWARDED]
    for r in rows:
        chain.add("project.create", f"project:{r.id}", {"code": r.code, "owner": owner.username}, owner.username)
        chain.add("project.submit", f"project:{r.id}", {}, owner.username)
        chain.add("project.approve", f"project:{r.id}", {}, staff.username)
        chain.add("auction.open", f"project:{r.id}", {"code": r.code}, "scheduler")
    _register(chain, run_ids, bidders, staff, t)
    # each awarded project: its winner registered, bid once at start + increment and won; the deposit is held
    by_project = {pid: bidders[i % len(bidders)] for i, pid in enumerate(award_ids)}
    regs: dict = {}
    for u in bidders:
        pids = [pid for pid, w in by_project.items() if w.id == u.id]
        if pids:
            regs.update(_register(chain, pids, [u], staff, t))
    db.session.execute(insert(Bid), [
        {"project_id": pid, "seq": 1, "registration_id": regs[(pid, w.id)], "bidder_id": w.id,
         "amount": START + INCREMENT, "is_priority": False, "at": awarded_at - timedelta(minutes=5),
         "ends_at_after": awarded_at, "ip": "127.0.0.1"} for pid, w in by_project.items()])
    for pid in award_ids:
        chain.add("auction.close", f"project:{pid}", {"outcome": "awarded", "price": START + INCREMENT,
                                                      "bid_count": 1, "winner": None, "reason": "按最优报价成交"},
                  "scheduler")
    chain.flush()
    tokens = []
    for u in bidders:
        token, _ = issue_token(u)
        tokens.append({"id": u.id, "username": u.username, "token": token})
    db.session.commit()
    return {"auctions": [{"id": pid, "start_price": str(START), "increment": str(INCREMENT)} for pid in run_ids],
            "bidders": tokens, "awarded": award_ids, "staff": staff.username,
            "bidder_ids": [u.id for u in bidders]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--auctions", type=int, default=100)
    ap.add_argument("--bidders", type=int, default=64)
    ap.add_argument("--awarded", type=int, default=800)
    args = ap.parse_args()
    app = create_app()
    with app.app_context():
        out = seed(args.auctions, args.bidders, args.awarded)
        ok = audit.verify()["ok"]
    out["audit_ok_after_seed"] = ok
    with open(args.out, "w") as fh:
        json.dump(out, fh)


if __name__ == "__main__":
    main()
