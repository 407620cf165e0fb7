"""Registrations and their bid security for the reproduction dataset: signed guarantees and cash deposits.

Everything goes through the guarantees package's own intake and services with the clock frozen at the
historic instants, so every guarantee verifies and every transition is in the audit log.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from trading import clock
from trading.accounts.models import User
from trading.extensions import db
from trading.projects.models import Project

GUARANTOR = ("LZRDB", "鹿寨县融资担保有限公司")
KEY_FROM = datetime(2024, 10, 1, tzinfo=clock.BEIJING)


def _guarantor_key():
    """The dataset's guarantor, registered as of October 2024 (its key is valid for the historic guarantees)."""
    from sqlalchemy import select

    from guarantees import client, intake
    from guarantees.demo import key_path
    from guarantees.models import Guarantor

    code, name = GUARANTOR
    path = key_path(code)
    if not path.exists():
        client.generate_key(path)
    private = client.load_private_key(path)
    if db.session.execute(select(Guarantor).where(Guarantor.code == code)).scalar_one_or_none() is None:
        with clock.frozen(KEY_FROM):
            intake.register_guarantor(code, name, client.public_pem(private), actor="dataset",
                                      key_valid_from=KEY_FROM)
    return private


def _guarantee(private, p: Project, bidder: User, at: datetime, n: int) -> str:
    from guarantees import client, intake

    issued = at - timedelta(hours=2)
    doc = {"guarantee_no": f"LZRDB-{p.code}-{n:02d}", "issuer": GUARANTOR[0], "type": "bid_bond",
           "applicant": bidder.username, "beneficiary": "鹿寨县公共资源交易中心", "project_code": p.code,
           "amount": format(p.deposit, "f"), "currency": "CNY", "valid_from": clock.isoformat(issued),
           "valid_until": clock.isoformat(p.bidding_end + timedelta(days=60)), "issued_at": clock.isoformat(issued)}
    with clock.frozen(issued + timedelta(minutes=10)):
        intake.receive(client.build_and_sign(doc, private))
    return str(doc["guarantee_no"])


def add_security(rng: random.Random, projects: list[Project], pools: dict[bool, list[User]],
                 guarantee_share: dict[bool, float]) -> None:
    """Each awarded project gets 2–5 qualified registrations (the winner's among them), each secured by a
    guarantee or a received cash deposit; at the award the losers' guarantees are released."""
    from auctions.models import Registration
    from guarantees import services as gs

    private = _guarantor_key()
    for p in projects:
        if p.awarded_at is None or p.winner is None or p.approved_at is None:
            continue
        pool = [u for u in pools[p.is_public_resource] if u.id != p.winner.id]
        bidders = [p.winner, *rng.sample(pool, k=min(len(pool), rng.randint(1, 4)))]
        numbers = rng.sample(range(10, 99), k=len(bidders))
        window = max((p.registration_end - p.approved_at).total_seconds(), 3600)
        winner_reg = None
        for n, (bidder, no) in enumerate(zip(bidders, numbers, strict=True), 1):
            at = p.approved_at + timedelta(seconds=rng.uniform(0.2, 0.9) * window)
            secured = rng.random() < guarantee_share[p.is_public_resource]
            reg = Registration(project_id=p.id, bidder_id=bidder.id, bidder_no=f"J{no}", status="qualified",
                               security_type="guarantee" if secured else "deposit", created_at=at,
                               decided_at=at + timedelta(hours=3))
            with clock.frozen(at):
                if secured:
                    number = _guarantee(private, p, bidder, at, n)
                    db.session.add(reg)
                    db.session.flush()
                    gs.verify_and_attach(guarantee_no=number, registration=reg, actor=bidder.username)
                else:
                    gs.open_deposit(reg, bidder.username)
            if not secured:
                with clock.frozen(at + timedelta(hours=2)):
                    gs.confirm_deposit(reg, "lz_center")
            if bidder.id == p.winner.id:
                winner_reg = reg
        with clock.frozen(p.awarded_at):
            gs.on_project_closed(p, winner_reg, "scheduler")
