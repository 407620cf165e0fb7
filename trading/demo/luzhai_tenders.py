"""The reproduction dataset's procurement and construction deals as awarded tenders (one lot each).

A bulk loader, like bench/seed.py: it writes the rows the tenders services leave behind an awarded lowest-price
tender — the tender (announced), its lot (awarded: budget, award price, award date), a lot registration and a
decrypted bid per bidder (the winner's price = the award price, the others between it and the budget), the
ranking and candidates — plus the audit entries `tender.approve` and `lot.award`. Going through the services
(encrypted bids, committee, scores, signed notices) for ~60 historic deals would take minutes; the statistics
read only the lot's budget, award price and award date (trading.stats.queries.lot_deal_rows), which are exact.
Not written: tender documents, score sheets, committees, signed papers, bid securities (deposits/guarantees).
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from decimal import Decimal

from auctions.models import Registration, RegistrationStatus
from tenders.models import Lot, LotRegistration, Tender, TenderBid
from tenders.states import BidStatus, LotStatus, TenderStatus
from trading import audit
from trading.accounts.models import User
from trading.extensions import db
from trading.money import quantize, to_str

CAP = Decimal("800000.00")


def awarded_tender(rng: random.Random, code: str, *, kind: str, title: str, location: str, owner: User,
                   budget: Decimal, price: Decimal, awarded: datetime, winner: User, bids: int,
                   bidders: list[User]) -> Lot:
    """One awarded lot: the deal's budget, award price (= the winner's, the lowest valid bid) and award instant;
    `bids` decrypted bids (at least 3, at most one per supplier)."""
    deadline = awarded - timedelta(days=7)
    announce = deadline - timedelta(days=21)
    t = Tender(code=code, kind=kind, title=title, location=location, description=f"{title}，详见招标文件。",
               method="open", evaluation="lowest_price", announce_start=announce, bid_deadline=deadline,
               status=TenderStatus.ANNOUNCED, owner=owner, created_by_id=owner.id,
               created_at=announce - timedelta(days=3), submitted_at=announce - timedelta(days=2),
               approved_at=announce - timedelta(days=1))
    security = quantize(min(budget * Decimal("0.02"), CAP) if kind == "construction" else budget * Decimal("0.02"))
    lot = Lot(tender=t, no=1, name="施工" if kind == "construction" else "货物", budget=budget,
              security_amount=security, speciality="road" if kind == "construction" else "goods", committee_size=5,
              price_points=Decimal("100.00"), criteria=[], status=LotStatus.AWARDED, opened_at=deadline,
              revealed_at=deadline + timedelta(minutes=40), evaluated_at=deadline + timedelta(days=1),
              publicity_starts_at=deadline + timedelta(days=1), publicity_ends_at=deadline + timedelta(days=4),
              awarded_at=awarded, award_price=price)
    db.session.add_all([t, lot])
    db.session.flush()
    gap = budget - price
    n = max(3, min(bids, len(bidders)))
    others = sorted(quantize(price + gap * Decimal(str(rng.uniform(0.1, 1.0)))) for _ in range(n - 1))
    prices = [price, *others]
    chosen = [winner, *rng.sample([b for b in bidders if b.id != winner.id], n - 1)]
    made = []
    for i, (bidder, amount) in enumerate(zip(chosen, prices, strict=True), start=1):
        reg = Registration(project_id=None, bidder=bidder, bidder_no=f"{i:03d}", security_type="deposit",
                           status=RegistrationStatus.PENDING, created_at=announce + timedelta(days=2 + i))
        db.session.add(reg)
        db.session.flush()
        db.session.add(LotRegistration(registration_id=reg.id, lot_id=lot.id, bidder_id=bidder.id))
        receipt = hashlib.sha256(f"{code}:{bidder.username}:{amount}".encode()).hexdigest()
        bid = TenderBid(lot_id=lot.id, registration_id=reg.id, bidder=bidder, status=BidStatus.DECRYPTED,
                        receipt=receipt, submitted_at=deadline - timedelta(days=1, hours=i), price=amount,
                        decrypted_at=deadline + timedelta(minutes=5 + i))
        db.session.add(bid)
        made.append(bid)
    db.session.flush()
    ranked = sorted(made, key=lambda b: (b.price, b.id))
    lot.ranking = [{"rank": r, "bid_id": b.id, "price": to_str(b.price), "price_score": None, "points": None,
                    "total": None} for r, b in enumerate(ranked, start=1)]
    lot.candidates = [b.id for b in ranked[:3]]
    lot.winner_bid_id = ranked[0].id
    db.session.flush()
    audit.record("tender.approve", f"tender:{t.id}", {"lots": [lot.id], "loaded": "luzhai-2025h1"}, "lz_center")
    audit.record("lot.award", f"lot:{lot.id}", {"bid": lot.winner_bid_id, "price": to_str(price),
                                                 "loaded": "luzhai-2025h1"}, "lz_center")
    return lot
