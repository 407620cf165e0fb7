"""JSON views of registrations, the live auction and the result (docs/api.md), shared by API and pages."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from auctions import signals as sec
from auctions import subjects
from auctions.models import REGISTRATION_LABELS, Bid, Registration, RegistrationStatus, SealedBid
from auctions.registrations import registration_of
from auctions.rules import PRIORITY_LABEL
from trading.accounts.models import Role, User
from trading.clock import isoformat, now
from trading.errors import Conflict
from trading.extensions import db
from trading.money import rate, rate_str, to_str
from trading.projects.models import Project
from trading.projects.rules import total_amount
from trading.projects.services import effective_status
from trading.projects.states import CLOSED, ProjectStatus

S = ProjectStatus


def registration_json(reg: Registration, *, with_bidder: bool = False) -> dict:
    subject = subjects.describe(reg)
    out = {
        **{k: v for k, v in subject.items() if k not in ("code", "title")},
        "id": reg.id, "project_id": reg.project_id, "project_code": subject["code"],
        "project_title": subject["title"], "status": reg.status,
        "status_label": REGISTRATION_LABELS.get(RegistrationStatus(reg.status), reg.status),
        "bidder_no": reg.bidder_no, "security_type": reg.security_type, "security_ready": sec.security_ready(reg),
        "reason": reg.reason, "created_at": isoformat(reg.created_at), "decided_at": isoformat(reg.decided_at),
    }
    if with_bidder:
        out["bidder"] = {"username": reg.bidder.username, "name": reg.bidder.name}
    return out


def bidder_nos(project_id: int) -> dict[int, str]:
    rows = db.session.execute(select(Registration.bidder_id, Registration.bidder_no)
                              .where(Registration.project_id == project_id)).all()
    return {r.bidder_id: r.bidder_no for r in rows}


def bid_json(bid: Bid, nos: dict[int, str]) -> dict:
    out = {"seq": bid.seq, "bidder_no": nos.get(bid.bidder_id, ""), "amount": to_str(bid.amount),
           "at": isoformat(bid.at)}
    if bid.is_priority:
        out["priority"] = True
        out["label"] = PRIORITY_LABEL
    return out


def sealed_opened(project: Project) -> list[dict]:
    """Opened sealed bids, in submission order; empty before the closing job has opened them."""
    if project.closed_at is None:
        return []
    rows = db.session.execute(select(SealedBid).where(SealedBid.project_id == project.id,
                                                      SealedBid.opened_amount.is_not(None))
                              .order_by(SealedBid.submitted_at, SealedBid.id)).scalars()
    nos = bidder_nos(project.id)
    return [{"seq": i, "bidder_no": nos.get(r.bidder_id, ""), "amount": to_str(r.opened_amount),
             "at": isoformat(r.submitted_at)} for i, r in enumerate(rows, 1)]


def _viewer_reg(project: Project, viewer: User | None) -> Registration | None:
    if viewer is None or viewer.role != Role.BIDDER:
        return None
    return registration_of(project.id, viewer.id)


def auction_etag(project: Project, viewer: User | None, since: int | None) -> str:
    """Changes whenever the body (server_time aside) would: the row's live state, the viewer, `since`."""
    status = effective_status(project)
    key = "|".join(str(x) for x in (project.id, status, project.bid_count, project.current_price, project.ends_at,
                                    project.leader_id == (viewer.id if viewer else -1), project.closed_at,
                                    viewer.id if viewer else 0, since, _sealed_mark(project, viewer),
                                    _viewer_reg_status(project, viewer)))
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _viewer_reg_status(project: Project, viewer: User | None) -> str | None:
    reg = _viewer_reg(project, viewer)
    return reg.status if reg else None


def _sealed_mark(project: Project, viewer: User | None) -> object:
    if project.method != "sealed" or viewer is None:
        return None
    return db.session.execute(select(SealedBid.revision).where(SealedBid.project_id == project.id,
                                                              SealedBid.bidder_id == viewer.id)).scalar_one_or_none()


def auction_json(project: Project, viewer: User | None, since: int | None = None) -> dict:
    status = effective_status(project)
    sealed = project.method == "sealed"
    out: dict = {
        "id": project.id, "code": project.code, "status": status.value, "method": project.method,
        "direction": project.direction,
        "current_price": None if sealed and project.closed_at is None else to_str(project.current_price),
        "start_price": to_str(project.start_price), "increment": to_str(project.increment),
        "bid_count": project.bid_count or 0, "starts_at": isoformat(project.bidding_start),
        "ends_at": isoformat(project.ends_at or project.bidding_end), "server_time": isoformat(now()),
    }
    if sealed:
        out["bids"] = [b for b in sealed_opened(project) if since is None or b["seq"] > since][-50:]
    else:
        stmt = select(Bid).where(Bid.project_id == project.id)
        if since is not None:
            stmt = stmt.where(Bid.seq > since)
        rows = list(db.session.execute(stmt.order_by(Bid.seq.desc()).limit(50)).scalars())
        nos = bidder_nos(project.id) if rows else {}
        out["bids"] = [bid_json(b, nos) for b in reversed(rows)]
    reg = _viewer_reg(project, viewer)
    if reg is not None:
        out["my_bidder_no"] = reg.bidder_no
        hidden = sealed and project.closed_at is None  # a sealed standing is secret until the close
        out["leading"] = not hidden and project.leader_id == reg.bidder_id
        out["qualified"] = reg.status == RegistrationStatus.QUALIFIED
        if sealed:  # that (and when) one's own sealed bid is in; never its amount
            mine = db.session.execute(select(SealedBid).where(SealedBid.project_id == project.id,
                                                              SealedBid.bidder_id == reg.bidder_id)).scalar_one_or_none()
            out["my_sealed_at"] = isoformat(mine.submitted_at) if mine else None
    return out


def bids_page(project: Project, page: int, per_page: int) -> dict:
    if project.method == "sealed":
        items = sealed_opened(project)
        return {"items": items[(page - 1) * per_page: page * per_page], "total": len(items), "page": page}
    total = db.session.execute(select(func.count()).select_from(Bid).where(Bid.project_id == project.id)).scalar_one()
    rows = db.session.execute(select(Bid).where(Bid.project_id == project.id).order_by(Bid.seq)
                              .limit(per_page).offset((page - 1) * per_page)).scalars()
    nos = bidder_nos(project.id)
    return {"items": [bid_json(b, nos) for b in rows], "total": total, "page": page}


def result_json(project: Project) -> dict:
    """docs/api.md result; an open auction past ends_at is reported from the clock before the job closes it."""
    from auctions.services import publicity_seconds

    status = effective_status(project)
    if status not in CLOSED or (project.method == "sealed" and project.closed_at is None):
        raise Conflict("竞价尚未结束，暂无结果", code="not_closed")
    if project.closed_at is not None or project.status in CLOSED:
        outcome = "failed" if project.status == S.FAILED else "awarded"
        price, winner_id = project.final_price, project.winner_id
        reason, publicity_ends = project.outcome_reason, project.publicity_ends_at
    else:  # the clock closed it; the scheduler has not yet caught up
        outcome = status.value
        price = project.current_price if outcome == "awarded" else None
        winner_id = project.leader_id if outcome == "awarded" else None
        reason = "按最优报价成交" if outcome == "awarded" else (
            "无有效报价，流拍" if not project.bid_count else "最优报价未达到保留价，流拍")
        ends = project.ends_at or project.bidding_end
        publicity_ends = ends + timedelta(seconds=publicity_seconds()) if outcome == "awarded" else None
    out: dict = {"outcome": outcome, "reason": reason, "price": to_str(price), "total_amount": None,
                 "winner": None, "premium_rate": None, "savings": None, "savings_rate": None,
                 "publicity_ends_at": isoformat(publicity_ends), "status": status.value,
                 "code": project.code, "title": project.title, "price_unit": project.price_unit,
                 "bid_count": project.bid_count or 0, "server_time": isoformat(now())}
    if outcome == "awarded" and price is not None:
        out["total_amount"] = to_str(total_amount(price, project.price_unit, project.area_mu, project.term_years))
        if winner_id is not None:
            winner = db.session.get(User, winner_id)
            out["winner"] = {"bidder_no": bidder_nos(project.id).get(winner_id), "name": winner.name if winner else None}
        if project.direction == "ascending":
            out["premium_rate"] = rate_str(rate(price - project.start_price, project.start_price))
        else:
            budget: Decimal = project.budget or project.start_price
            out["savings"] = to_str(budget - price)
            out["savings_rate"] = rate_str(rate(budget - price, budget))
    return out
