"""Ratings (好差评): after a completed deal (certificate issued) each party — the listing party and the winner —
rates the center's service 1–5 once; 1–2 stars open a rectification item (差评整改, a deadline of kind
rating_reply) that staff answer; the answer is shown to the rater. Tendering calls `rate(user, subject="lot:<id>",
parties=...)` for an award notice."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import func, select

from tenders.models import Lot, Tender, TenderBid
from tenders.services import locked_lot
from tenders.states import LotStatus
from trading import audit
from trading.accounts.models import Role
from trading.accounts.notifications import notify, notify_role
from trading.clock import isoformat, now
from trading.db import lock
from trading.errors import Conflict, Forbidden, Invalid, NotFound
from trading.extensions import db
from trading.oversight.models import Rating
from trading.projects.models import Project
from trading.projects.states import ProjectStatus


def _check(stars: object, comment: str | None) -> tuple[int, str]:
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise Invalid("评分须为 1 到 5 的整数", fields={"stars": "须为 1 到 5 的整数"})
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise Invalid("评价内容不能超过2000字", fields={"comment": "过长"})
    return stars, comment


def rate(user, *, subject: str, parties: set[int], stars: object, comment: str | None,
         project_id: int | None = None) -> Rating:
    """The generic rating: `parties` are the user ids who may rate `subject`."""
    stars, comment = _check(stars, comment)
    if user.id not in parties:
        raise Forbidden("只有该笔交易的当事方可以评价", code="forbidden")
    if db.session.execute(select(Rating.id).where(Rating.subject == subject, Rating.user_id == user.id)).first():
        raise Conflict("您已评价过该笔交易", code="already_rated")
    r = Rating(subject=subject, project_id=project_id, user_id=user.id, stars=stars, comment=comment,
               created_at=now())
    db.session.add(r)
    db.session.flush()
    audit.record("rating.create", f"rating:{r.id}", {"subject": subject, "stars": stars}, user.username)
    if stars <= 2:
        notify_role(Role.STAFF, "rating_low", f"差评待整改：{stars} 星", f"{subject_label(subject)} 的当事方给出 {stars} 星："
                    f"{comment or '（未填写意见）'}。请在时限内整改并答复。", ref=f"rating:{r.id}")
    return r


def rate_project(user, project_id: int, stars: object, comment: str | None) -> Rating:
    project = lock(Project, project_id)
    if project is None:
        raise NotFound("项目不存在", code="not_found")
    if project.status != ProjectStatus.CERTIFIED:
        raise Conflict("交易完成（出具鉴证书）后才能评价", code="invalid_state")
    return rate(user, subject=f"project:{project.id}", parties={project.owner_id, project.winner_id} - {None},
                stars=stars, comment=comment, project_id=project.id)


def lot_parties(lot) -> set[int]:
    """The tenderee and the winner named in the award notice of an awarded lot; nobody before the award."""
    if lot.status != LotStatus.AWARDED or lot.winner_bid_id is None:
        return set()
    winner = db.session.get(TenderBid, lot.winner_bid_id)
    return {lot.tender.owner_id} | ({winner.bidder_id} if winner is not None else set())


def rate_lot(user, lot_id: int, stars: object, comment: str | None) -> Rating:
    """A tender lot's parties — the tenderee and the winner named in the award notice — once the lot is awarded."""
    lot = locked_lot(lot_id)  # 404 not_found
    if lot.status != LotStatus.AWARDED or lot.winner_bid_id is None:
        raise Conflict("标段确定中标人（签发中标通知书）后才能评价", code="invalid_state")
    return rate(user, subject=f"lot:{lot.id}", parties=lot_parties(lot), stars=stars, comment=comment)


def answer(rating_id: int, text: str, actor) -> Rating:
    text = (text or "").strip()
    if not text:
        raise Invalid("请填写整改答复", fields={"answer": "必填"})
    r = lock(Rating, rating_id)
    if r is None:
        raise NotFound("评价不存在", code="not_found")
    if r.stars > 2:
        raise Conflict("只有差评（1–2 星）需要整改答复", code="invalid_state")
    if r.answer is not None:
        raise Conflict("该差评已答复", code="invalid_state")
    r.answer, r.answered_by, r.answered_at = text, actor.username, now()
    db.session.flush()
    audit.record("rating.answer", f"rating:{r.id}", {"answer": text}, actor.username)
    notify(r.user_id, "rating_answered", "您的差评已有整改答复", text, ref=f"rating:{r.id}")
    return r


def subject_label(subject: str) -> str:
    """What a rating is about, as people read it: "项目 NC-2026-0001 …" or "招标 ZB-2026-0001 第1标段 …"."""
    prefix, _, ident = subject.partition(":")
    if prefix == "project" and ident.isdigit():
        row = db.session.execute(select(Project.code, Project.title).where(Project.id == int(ident))).first()
        if row is not None:
            return f"项目 {row.code} {row.title}"
    if prefix == "lot" and ident.isdigit():
        lot = db.session.execute(select(Tender.code, Lot.no, Lot.name).join(Tender, Tender.id == Lot.tender_id)
                                 .where(Lot.id == int(ident))).first()
        if lot is not None:
            return f"招标 {lot.code} 第{lot.no}标段 {lot.name}"
    return subject


def subject_url(subject: str) -> str | None:
    """The page of what was rated: the project's page, or the lot's result page."""
    prefix, _, ident = subject.partition(":")
    if not ident.isdigit():
        return None
    if prefix == "project":
        return url_for("web.project_detail", project_id=int(ident))
    if prefix == "lot":
        return url_for("tenders.result", lot_id=int(ident))
    return None


def rating_of(subject: str, user_id: int) -> Rating | None:
    return db.session.execute(select(Rating).where(Rating.subject == subject, Rating.user_id == user_id)
                              ).scalar_one_or_none()


def low_ratings(*, unanswered_only: bool = False) -> list[Rating]:
    stmt = select(Rating).where(Rating.stars <= 2)
    if unanswered_only:
        stmt = stmt.where(Rating.answer.is_(None))
    return list(db.session.execute(stmt.order_by(Rating.created_at, Rating.id)).scalars())


def figures() -> dict:
    """For the statistics page: count, average, share of good (4–5) and bad (1–2), answered bad ones."""
    rows = db.session.execute(select(Rating.stars, func.count(Rating.id)).group_by(Rating.stars)).all()
    by = {s: n for s, n in rows}
    total = sum(by.values())
    bad = by.get(1, 0) + by.get(2, 0)
    answered = db.session.execute(select(func.count(Rating.id)).where(Rating.stars <= 2,
                                                                      Rating.answer.is_not(None))).scalar_one()
    return {"count": total, "average": round(sum(s * n for s, n in by.items()) / total, 2) if total else None,
            "by_stars": {s: by.get(s, 0) for s in range(1, 6)}, "good": by.get(4, 0) + by.get(5, 0), "bad": bad,
            "bad_answered": int(answered), "bad_unanswered": bad - int(answered)}


def serialize(r: Rating) -> dict:
    return {"id": r.id, "subject": r.subject, "stars": r.stars, "comment": r.comment,
            "created_at": isoformat(r.created_at), "answer": r.answer, "answered_at": isoformat(r.answered_at)}
