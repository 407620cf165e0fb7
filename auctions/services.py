"""Auction use cases: the bid transaction, sealed bids, opening and closing, annulling an award.

They flush and audit inside the caller's transaction and raise typed errors; views and jobs commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select

from auctions import bidstore, rules, sealing, signals
from auctions.models import Bid, Registration, RegistrationStatus, SealedBid
from auctions.registrations import registration_of
from trading import audit
from trading.accounts.models import User
from trading.clock import isoformat, now
from trading.db import lock
from trading.errors import Conflict, DomainError, Invalid, NotFound
from trading.extensions import db
from trading.money import to_str
from trading.projects.models import Project
from trading.projects.states import InvalidTransition, ProjectStatus, next_status

S = ProjectStatus


def locked_project(project_id: int) -> Project:
    project = lock(Project, project_id)
    if project is None:
        raise NotFound("项目不存在", code="not_found")
    return project


def _domain(err: rules.BidError, a: rules.Auction | None = None, at: datetime | None = None) -> DomainError:
    """A refused bid as the API's error; an open auction's refusal also carries the room's public state, so a
    bidder's client can offer the next valid amount without reading the room again."""
    exc = DomainError(err.message, code=err.code, status=err.status)
    if a is not None and a.method == "auction" and at is not None:
        exc.extra = {"current_price": to_str(a.current_price) if a.current_price is not None else None,
                     "bid_count": a.bid_count, "ends_at": isoformat(a.ends_at), "server_time": isoformat(at)}
    return exc


@dataclass(frozen=True)
class Placed:
    """An accepted open-auction bid and the auction after it."""

    seq: int
    amount: Decimal
    is_priority: bool
    current_price: Decimal
    ends_at: datetime


def place_bid(project_id: int, user: Any, amount: Decimal, *, ip: str | None = None,
              locked: bidstore.Locked | None = None) -> Placed:
    """The bid transaction (docs/architecture.md, "The bid transaction"): lock the row, re-read, validate, record, update, audit.

    `user` needs `id` and `username`; `locked` is the row the caller already locked in this transaction.
    The time that judges the bid is read after the lock is held.
    """
    if locked is None or locked.project_id != project_id:
        locked = bidstore.lock(project_id, user.id)
    at = now()
    try:
        res = rules.validate_bid(locked.auction, locked.bidder, amount, at)
    except rules.BidError as err:
        raise _domain(err, locked.auction, at) from None
    after = res.after
    entry = {"action": "bid.place", "obj": f"project:{project_id}", "actor": user.username,
             "data": {"seq": after.bid_count, "amount": res.amount, "bidder_no": locked.bidder_no,
                      "priority": res.is_priority, "ends_at": after.ends_at.isoformat()}}
    previous_leader = locked.auction.leader_id
    bidstore.record(locked, user.id, res, at, ip, entry)
    signals.bid_placed.send(None, project_id=project_id, bidder_id=user.id, previous_leader_id=previous_leader,
                            amount=res.amount, ends_at=after.ends_at)
    assert after.current_price is not None
    return Placed(after.bid_count, res.amount, res.is_priority, after.current_price, after.ends_at)


def submit_sealed(project_id: int, user: User, amount: Decimal, *, locked: Project | None = None) -> SealedBid:
    """One sealed bid per bidder, replaceable until the end; stored encrypted, the amount never audited."""
    project = locked if locked is not None and locked.id == project_id else locked_project(project_id)
    at = now()
    bidder, reg = bidstore.standing(project.id, user.id)
    try:
        rules.validate_sealed(bidstore.snapshot(project), bidder, amount, at)
    except rules.BidError as err:
        raise _domain(err) from None
    assert reg is not None
    row = db.session.execute(select(SealedBid).where(SealedBid.project_id == project.id,
                                                     SealedBid.bidder_id == user.id)).scalar_one_or_none()
    token = sealing.seal(amount, project.id, user.id)
    if row is None:
        row = SealedBid(project_id=project.id, registration_id=reg.id, bidder_id=user.id, ciphertext=token,
                        revision=1, submitted_at=at)
        db.session.add(row)
    else:
        row.ciphertext, row.revision, row.submitted_at = token, row.revision + 1, at
    db.session.flush()
    audit.record("sealed_bid.submit", f"project:{project.id}",
                 {"bidder_no": reg.bidder_no, "revision": row.revision}, user.username)
    return row


def _move(project: Project, event: str) -> None:
    try:
        project.status = next_status(project.status, event)
    except InvalidTransition as exc:
        raise Conflict(str(exc), code="invalid_state") from None


def open_project(project: Project, actor: str = "scheduler") -> bool:
    """announced → bidding once bidding_start has passed; False when there is nothing to do."""
    if project.status != S.ANNOUNCED or now() < project.bidding_start:
        return False
    _move(project, "open")
    audit.record("auction.open", f"project:{project.id}", {"code": project.code}, actor)
    db.session.flush()
    return True


def _open_sealed(project: Project, at: datetime) -> list[rules.SealedEntry]:
    if at < (project.ends_at or project.bidding_end):
        raise Conflict("密封报价在竞价结束前不能开启", code="invalid_state")
    rows = db.session.execute(select(SealedBid).where(SealedBid.project_id == project.id)
                              .order_by(SealedBid.id)).scalars().all()
    entries = []
    for row in rows:
        if row.opened_amount is None:
            row.opened_amount, row.opened_at = sealing.unseal(row.ciphertext, project.id, row.bidder_id), at
        entries.append(rules.SealedEntry(row.bidder_id, row.opened_amount, row.submitted_at, row.id))
    return entries


def publicity_seconds() -> int:
    return int(current_app.config["TRADING_PUBLICITY_SECONDS"])


def close_project(project: Project, actor: str = "scheduler") -> str | None:
    """At ends_at: awarded or failed per the rules; the losers' security is released. Idempotent."""
    at = now()
    ends = project.ends_at or project.bidding_end
    if project.status not in (S.ANNOUNCED, S.BIDDING) or at < ends:
        return None
    if project.status == S.ANNOUNCED:
        _move(project, "open")
    best: tuple[int, Decimal] | None = None
    if project.method == "sealed":
        ranked = rules.rank_sealed(project.direction, _open_sealed(project, at))
        project.bid_count = len(ranked)
        if ranked:
            best = (ranked[0].bidder_id, ranked[0].amount)
            project.current_price, project.leader_id = best[1], best[0]
    elif project.bid_count and project.leader_id is not None and project.current_price is not None:
        best = (project.leader_id, project.current_price)
    outcome = rules.decide_outcome(project.direction, project.reserve_price, best)
    _move(project, "award" if outcome.outcome == "awarded" else "fail")
    project.closed_at, project.outcome_reason = at, outcome.reason
    winner_reg = None
    if outcome.outcome == "awarded":
        project.final_price, project.winner_id, project.awarded_at = outcome.price, outcome.winner_id, at
        project.publicity_ends_at = ends + timedelta(seconds=publicity_seconds())
        winner_reg = registration_of(project.id, outcome.winner_id) if outcome.winner_id else None
    db.session.flush()
    audit.record("auction.close", f"project:{project.id}",
                 {"outcome": outcome.outcome, "price": outcome.price, "bid_count": project.bid_count,
                  "winner": winner_reg.bidder_no if winner_reg else None, "reason": outcome.reason}, actor)
    signals.project_closed.send(None, project=project, winner=winner_reg, actor=actor)
    db.session.flush()
    return outcome.outcome


def standings(project: Project) -> list[tuple[int, Decimal]]:
    """(bidder_id, amount) best first: latest bid per bidder (auction) or opened sealed ranking."""
    if project.method == "sealed":
        rows = db.session.execute(select(SealedBid).where(SealedBid.project_id == project.id,
                                                          SealedBid.opened_amount.is_not(None))).scalars()
        entries = [rules.SealedEntry(r.bidder_id, r.opened_amount, r.submitted_at, r.id) for r in rows
                   if r.opened_amount is not None]
        return [(e.bidder_id, e.amount) for e in rules.rank_sealed(project.direction, entries)]
    bids = db.session.execute(select(Bid.seq, Bid.bidder_id, Bid.amount).where(Bid.project_id == project.id)).all()
    return rules.rank_auction([(b.seq, b.bidder_id, b.amount) for b in bids])


def annul_award(project: Project, *, reason: str, actor: str, award_next: bool) -> Project:
    """An upheld objection or a defaulting winner: award the next-best qualified bidder (递补), or fail."""
    if not reason or not reason.strip():
        raise Invalid("请填写撤销成交的理由", fields={"reason": "必填项"})
    project = locked_project(project.id)
    if project.status != S.AWARDED or project.winner_id is None:
        raise Conflict("只有已成交（未出具鉴证书）的项目可以撤销成交", code="invalid_state")
    at = now()
    old = registration_of(project.id, project.winner_id)
    if old is not None:
        old.annulled_at = at
    audit.record("award.annul", f"project:{project.id}",
                 {"reason": reason, "bidder_no": old.bidder_no if old else None, "price": project.final_price}, actor)
    if old is not None:
        # an objection upheld through no fault of the winner: its security is released (after a default
        # it was already claimed or forfeited, and nothing is left to release)
        signals.award_annulled.send(None, registration=old, actor=actor, reason=f"成交结果撤销：{reason}")
    nxt = _next_best(project) if award_next else None
    if nxt is not None:
        reg, price = nxt
        _move(project, "reaward")
        project.winner_id, project.final_price, project.awarded_at = reg.bidder_id, price, at
        project.leader_id, project.current_price = reg.bidder_id, price
        project.publicity_ends_at = at + timedelta(seconds=publicity_seconds())
        project.outcome_reason = f"原成交人资格取消（{reason}），由第{_rank_label(project, reg)}名竞买人递补成交"
        if not signals.hold_for_award(reg, actor):
            project.outcome_reason += "；递补成交人的保证金已退还或保函已失效，签约前须重新提交"
        audit.record("award.next", f"project:{project.id}", {"bidder_no": reg.bidder_no, "price": price}, actor)
    else:
        _move(project, "fail")
        project.winner_id, project.final_price, project.awarded_at, project.publicity_ends_at = None, None, None, None
        project.outcome_reason = f"成交结果撤销（{reason}），项目流拍"
        audit.record("award.fail", f"project:{project.id}", {"reason": reason}, actor)
    db.session.flush()
    signals.award_moved.send(None, project=project, registration=nxt[0] if nxt is not None else None, actor=actor)
    return project


def _next_best(project: Project) -> tuple[Registration, Decimal] | None:
    for bidder_id, amount in standings(project):
        reg = registration_of(project.id, bidder_id)
        if (reg is not None and reg.status == RegistrationStatus.QUALIFIED and reg.annulled_at is None
                and rules.meets_reserve(project.direction, project.reserve_price, amount)):
            return reg, amount
    return None


def _rank_label(project: Project, reg: Registration) -> int:
    ids = [b for b, _ in standings(project)]
    return ids.index(reg.bidder_id) + 1 if reg.bidder_id in ids else 0


def winner_default(project: Project, *, reason: str, actor: str, award_next: bool, registration_id: int) -> Project:
    """The winner refuses to sign: claim the guarantee / forfeit the deposit, then 递补 or fail.

    The request names the registration it declares in default. Under the project's row lock, a request whose
    registration was already annulled (a repeat, or a concurrent twin that waited for the lock) answers the
    project as it now stands and does nothing: without the name, it would default the promoted runner-up."""
    if not reason or not reason.strip():
        raise Invalid("请填写违约理由", fields={"reason": "必填项"})
    project = locked_project(project.id)
    reg = db.session.get(Registration, registration_id)
    if reg is None or reg.project_id != project.id:
        raise NotFound("该项目没有这条报名记录", code="not_found")
    if project.status == S.AWARDED and project.winner_id == reg.bidder_id:
        pass
    elif reg.annulled_at is not None:
        return project  # already declared: the first result stands, nothing new is filed
    elif project.status != S.AWARDED or project.winner_id is None:
        raise Conflict("只有已成交（未出具鉴证书）的项目可以认定成交人违约", code="invalid_state")
    else:
        raise Conflict("该竞买人不是本项目当前的成交人", code="not_winner")
    signals.winner_defaulted.send(None, registration=reg, reason=reason, actor=actor)
    audit.record("award.default", f"project:{project.id}", {"reason": reason}, actor)
    return annul_award(project, reason=f"成交人违约：{reason}", actor=actor, award_next=award_next)
