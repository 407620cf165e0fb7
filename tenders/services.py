"""Tender use cases: create, review, withdraw, read; tender documents, clarifications and in-app notices.
Services flush and audit; views and jobs commit. Bidding, opening and evaluation live in bidding.py and
evaluation.py (the package's services, split to keep modules small)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, or_, select

from tenders import push, rules
from tenders.models import (
    Clarification,
    Lot,
    LotRegistration,
    Tender,
    TenderBid,
    TenderDocument,
    TenderNotice,
    TenderQuestion,
)
from tenders.states import BidStatus, LotStatus, TenderStatus, implied_lot_status, lot_next, tender_next
from tenders.states import InvalidTransition as _Invalid
from trading import audit
from trading.accounts import notifications
from trading.accounts.models import Role, User
from trading.clock import now, parse_rfc3339, to_beijing
from trading.db import lock
from trading.errors import Conflict, Forbidden, Invalid, NotFound
from trading.extensions import db
from trading.projects.services import next_code

L, T = LotStatus, TenderStatus
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def setting(name: str) -> int:
    return int(current_app.config[name])


def max_security_construction() -> Decimal:
    return Decimal(str(current_app.config.get("TRADING_MAX_SECURITY_CONSTRUCTION", "800000.00")))


# ------------------------------------------------------------------ parsing

def _text(body: dict, name: str, label: str, max_len: int, errors: dict, required: bool = True) -> str:
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = f"{label}须为文本"
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = f"{label}必填"
    elif len(value) > max_len:
        errors[name] = f"{label}不能超过{max_len}个字"
    return value


def _instant(body: dict, name: str, label: str, errors: dict) -> datetime | None:
    try:
        return parse_rfc3339(body.get(name))  # type: ignore[arg-type]
    except ValueError as exc:
        errors[name] = f"{label}：{exc}"
        return None


def parse_tender(body: object) -> dict:
    """Every bad field at once (422 validation_error), then the window rules (422 invalid_window)."""
    if not isinstance(body, dict):
        raise Invalid("请求体必须是 JSON 对象", fields={"body": "必须是 JSON 对象"})
    errors: dict[str, str] = {}
    data: dict = {}
    for name, options, label in (("kind", rules.KINDS, "招标类型"), ("method", rules.METHODS, "招标方式"),
                                 ("evaluation", rules.EVALUATIONS, "评标办法")):
        if body.get(name) not in options:
            errors[name] = f"{label}须为 " + " 或 ".join(options)
        data[name] = body.get(name)
    data["title"] = _text(body, "title", "项目名称", 200, errors)
    data["location"] = _text(body, "location", "项目地点", 200, errors)
    data["description"] = _text(body, "description", "项目说明", 10000, errors, required=False)
    data["announce_start"] = _instant(body, "announce_start", "公告开始时间", errors)
    data["bid_deadline"] = _instant(body, "bid_deadline", "投标截止时间", errors)
    invited = body.get("invited") or []
    if not isinstance(invited, list) or not all(isinstance(u, str) and u.strip() for u in invited):
        errors["invited"] = "邀请名单须为竞买人用户名的列表"
        invited = []
    elif len(set(invited)) != len(invited):
        errors["invited"] = "邀请名单有重复"
    if data["method"] == "invited" and not invited:
        errors.setdefault("invited", "邀请招标须列出至少三家受邀投标人")
    elif data["method"] == "invited" and len(invited) < rules.MIN_BIDS:
        errors.setdefault("invited", "邀请招标须邀请至少三家投标人")
    data["invited"] = [u.strip() for u in invited]
    lots = body.get("lots")
    if not isinstance(lots, list) or not lots:
        errors["lots"] = "至少须有一个标段"
        lots = []
    elif len(lots) > 50:
        errors["lots"] = "标段不能超过50个"
    data["lots"] = []
    for i, lot in enumerate(lots):
        if not isinstance(lot, dict):
            errors[f"lots[{i}]"] = "须为对象"
            continue
        errors.update(rules.check_lot(lot, i, kind=data["kind"], evaluation=data["evaluation"],
                                      max_construction=max_security_construction()))
        data["lots"].append(lot)
    if errors:
        raise Invalid("以下字段有误：" + "、".join(errors), fields=errors)
    _check_windows(data["announce_start"], data["bid_deadline"])
    return data


def _check_windows(announce_start: datetime, bid_deadline: datetime) -> None:
    try:
        rules.check_windows(announce_start, bid_deadline, now(), setting("TRADING_MIN_TENDER_SECONDS"))
    except rules.WindowError as exc:
        raise Invalid(str(exc), code="invalid_window") from None


def _resolve_owner(actor: User, owner: object) -> User:
    if actor.role == Role.COLLECTIVE:
        return actor
    if actor.role != Role.STAFF:
        raise Forbidden("只有招标人或交易中心工作人员可以发布招标项目", code="forbidden")
    if not isinstance(owner, str) or not owner:
        raise Invalid("工作人员代为发布时须指定招标人用户名 owner", fields={"owner": "必填项"})
    user = db.session.execute(select(User).where(User.username == owner)).scalar_one_or_none()
    if user is None or user.role != Role.COLLECTIVE:
        raise Invalid("owner 必须是已注册的招标人（collective）用户", fields={"owner": "不是招标人用户"})
    return user


def _resolve_invited(usernames: list[str]) -> list[User]:
    if not usernames:
        return []
    found = {u.username: u for u in db.session.execute(select(User).where(User.username.in_(usernames))).scalars()}
    bad = [u for u in usernames if u not in found or found[u].role != Role.BIDDER]
    if bad:
        msg = "受邀投标人须为已注册的竞买人：" + "、".join(bad)
        raise Invalid(msg, fields={"invited": msg})
    return [found[u] for u in usernames]


def _q(raw: object) -> Decimal:
    return rules.q2(Decimal(str(raw)))


def create_tender(actor: User, body: object) -> Tender:
    """A new draft tender with its lots and a readable code ZB-YYYY-NNNN."""
    data = parse_tender(body)
    owner = _resolve_owner(actor, body.get("owner") if isinstance(body, dict) else None)
    tender = Tender(kind=data["kind"], title=data["title"], location=data["location"],
                    description=data["description"], method=data["method"], evaluation=data["evaluation"],
                    announce_start=data["announce_start"], bid_deadline=data["bid_deadline"],
                    status=T.DRAFT, owner=owner, created_by_id=actor.id)
    tender.invited = _resolve_invited(data["invited"]) if data["method"] == "invited" else []
    tender.code = next_code("ZB", to_beijing(now()).year)
    db.session.add(tender)
    for i, raw in enumerate(data["lots"], start=1):
        criteria = [{"code": c["code"].strip(), "name": c["name"].strip(), "max_points": format(_q(c["max_points"]), "f")}
                    for c in raw.get("criteria") or []]
        db.session.add(Lot(tender=tender, no=i, name=raw["name"].strip(), budget=_q(raw["budget"]),
                           security_amount=_q(raw["security_amount"]), speciality=raw["speciality"].strip(),
                           committee_size=raw["committee_size"],
                           price_points=_q(raw.get("price_points") or 0) if data["evaluation"] == "scoring"
                           else Decimal("0.00"),
                           criteria=criteria, status=L.DRAFT))
    db.session.flush()
    audit.record("tender.create", f"tender:{tender.id}",
                 {"code": tender.code, "owner": owner.username, "lots": len(data["lots"])}, actor.username)
    return tender


# ------------------------------------------------------------------ reads

def get_tender(tender_id: int) -> Tender:
    tender = db.session.get(Tender, tender_id)
    if tender is None:
        raise NotFound("招标项目不存在", code="not_found")
    return tender


def get_lot(lot_id: int) -> Lot:
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("标段不存在", code="not_found")
    return lot


def locked_lot(lot_id: int) -> Lot:
    lot = lock(Lot, lot_id)
    if lot is None:
        raise NotFound("标段不存在", code="not_found")
    return lot


def is_public(tender: Tender) -> bool:
    return tender.approved_at is not None


def can_view(tender: Tender, user) -> bool:
    """Public once announced (also after a withdrawal that followed approval); else its owner and staff."""
    if is_public(tender):
        return True
    return user is not None and (user.id == tender.owner_id or user.role in (Role.STAFF, Role.SUPERVISOR))


def require_view(tender: Tender, user) -> None:
    if not can_view(tender, user):
        raise NotFound("招标项目不存在", code="not_found")  # drafts of others are not acknowledged


def submitted_count(lot_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(TenderBid).where(
        TenderBid.lot_id == lot_id, TenderBid.status == BidStatus.SUBMITTED)).scalar_one()


def valid_bid_count(lot: Lot) -> int:
    """The bids decrypted so far that rules.bid_verdict finds valid (within the budget)."""
    rows = db.session.execute(select(TenderBid.price).where(
        TenderBid.lot_id == lot.id, TenderBid.status == BidStatus.DECRYPTED)).scalars()
    return rules.valid_count(((True, price) for price in rows), lot.budget)


def lot_status(lot: Lot, at: datetime | None = None) -> LotStatus:
    """The status the server clock implies (reads report it before the scheduler catches up): bidding from
    announce_start; at the deadline failed or opening by the bids submitted; once the decryption window has ended,
    opened or failed by the valid bids. The scheduler job (bidding.advance) writes each move, once."""
    t = lot.tender
    if t.status != T.ANNOUNCED:
        return LotStatus(lot.status)
    at = at or now()
    count = submitted_count(lot.id) if lot.status in (L.ANNOUNCED, L.BIDDING) else 0
    ends = decrypt_window_end(lot)
    valid = valid_bid_count(lot) if lot.status in (L.ANNOUNCED, L.BIDDING, L.OPENING) and at >= ends else None
    return implied_lot_status(lot.status, at, announce_start=t.announce_start, bid_deadline=t.bid_deadline,
                              submitted=count, decrypt_ends_at=ends, valid=valid)


def prices_public(lot: Lot, at: datetime | None = None) -> bool:
    """Prices (and the hall) are public once the lot is revealed — or once the decryption window has ended for a
    lot that opened, before the scheduler has written the reveal (reads follow the clock)."""
    if lot.revealed_at is not None:
        return True
    if lot.tender.status != T.ANNOUNCED:
        return False
    return lot_status(lot, at) == L.OPENED


def list_tenders(*, kind: str | None = None, q: str | None = None, status: str | None = None,
                 owner: User | None = None, page: int = 1, per_page: int = 20) -> tuple[list[Tender], int]:
    stmt = select(Tender)
    if owner is not None:
        stmt = stmt.where(Tender.owner_id == owner.id)
    else:
        stmt = stmt.where(Tender.approved_at.is_not(None))
    if kind:
        stmt = stmt.where(Tender.kind == kind)
    if status:
        stmt = stmt.where(Tender.status == status)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Tender.title.like(like), Tender.code.like(like), Tender.location.like(like)))
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.session.execute(stmt.order_by(Tender.bid_deadline.desc(), Tender.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return list(rows), total


def pending_review() -> list[Tender]:
    return list(db.session.execute(select(Tender).where(Tender.status == T.PENDING_REVIEW)
                                   .order_by(Tender.submitted_at, Tender.id)).scalars())


# ------------------------------------------------------------------ review and withdrawal

def _owned(actor: User, tender: Tender, *, staff_ok: bool = False) -> None:
    if tender.owner_id == actor.id or (staff_ok and actor.role == Role.STAFF):
        return
    raise Forbidden("无权操作他人的招标项目", code="forbidden")


def _move(tender: Tender, event: str) -> TenderStatus:
    try:
        return tender_next(tender.status, event)
    except _Invalid as exc:
        raise Conflict(str(exc), code="invalid_state") from None


def submit(actor: User, tender: Tender) -> Tender:
    """draft → pending_review, by the owner; the deadline still far enough away."""
    _owned(actor, tender)
    tender.status = _move(tender, "submit")
    _check_windows(tender.announce_start, tender.bid_deadline)
    tender.submitted_at, tender.reject_reason = now(), None
    audit.record("tender.submit", f"tender:{tender.id}", {}, actor.username)
    return tender


def approve(actor: User, tender: Tender) -> Tender:
    """pending_review → announced, by staff: every lot is announced (招标公告)."""
    tender.status = _move(tender, "approve")
    _check_windows(tender.announce_start, tender.bid_deadline)
    tender.approved_at = now()
    for lot in tender.lots:
        lot.status = lot_next(lot.status, "announce")
    db.session.flush()
    audit.record("tender.approve", f"tender:{tender.id}", {"lots": [lot.id for lot in tender.lots]},
                 actor.username)
    push.announced(tender)
    return tender


def reject(actor: User, tender: Tender, reason: str) -> Tender:
    tender.status = _move(tender, "reject")
    tender.reject_reason = reason
    audit.record("tender.reject", f"tender:{tender.id}", {"reason": reason}, actor.username)
    return tender


def withdraw(actor: User, tender: Tender, reason: str) -> Tender:
    """Owner or staff, before the bid deadline: every lot fails (withdrawn), securities are released and
    sealed bids become void unopened."""
    from tenders import bidding

    _owned(actor, tender, staff_ok=True)
    if tender.status == T.ANNOUNCED and now() >= tender.bid_deadline:
        raise Conflict("投标已截止，不能撤回招标项目", code="invalid_state")
    tender.status = _move(tender, "withdraw")
    tender.withdraw_reason = reason
    for lot in tender.lots:
        locked = locked_lot(lot.id)
        locked.status, locked.failure_reason = lot_next(locked.status, "fail"), "withdrawn"
        bidding.void_all(locked, "withdrawn", actor.username)
        bidding.release_all(locked, actor.username, f"招标项目 {tender.code} 已撤回")
    db.session.flush()
    audit.record("tender.withdraw", f"tender:{tender.id}", {"reason": reason}, actor.username)
    if tender.approved_at is not None:  # announced lots were pushed: their failure is too
        for lot in tender.lots:
            push.failure(lot)
    return tender


# ------------------------------------------------------------------ documents

def _check_pdf(data: bytes) -> None:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise Invalid("文件过大：招标文件不能超过 20 MB", code="file_too_large", status=413,
                      fields={"file": "不能超过 20 MB"})
    if not data.startswith(b"%PDF-"):
        raise Invalid("文件不是 PDF：招标文件须为 PDF 格式", code="not_pdf", fields={"file": "须为 PDF 文件"})


def add_document(actor: User, tender: Tender, *, title: str, filename: str, data: bytes) -> TenderDocument:
    """A PDF (checked by its first bytes, ≤ 20 MB) with its sha256; owner or staff, before the deadline."""
    _owned(actor, tender, staff_ok=True)
    if tender.status == T.WITHDRAWN or (tender.status == T.ANNOUNCED and now() >= tender.bid_deadline):
        raise Conflict("投标已截止或招标已撤回，不能再上传招标文件", code="invalid_state")
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise Invalid("请填写文件标题（不超过200字）", fields={"title": "必填，不超过200字"})
    _check_pdf(data)
    doc = TenderDocument(tender_id=tender.id, title=title, filename=(filename or "document.pdf")[:200],
                         size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
                         uploaded_by=actor.username, published_at=now())
    db.session.add(doc)
    db.session.flush()
    audit.record("tender.document", f"tender:{tender.id}", {"document": doc.id, "sha256": doc.sha256,
                                                            "size": doc.size}, actor.username)
    return doc


def documents_of(tender: Tender) -> list[TenderDocument]:
    return list(db.session.execute(select(TenderDocument).where(TenderDocument.tender_id == tender.id)
                                   .order_by(TenderDocument.id)).scalars())


def get_document(tender: Tender, document_id: int) -> TenderDocument:
    doc = db.session.get(TenderDocument, document_id)
    if doc is None or doc.tender_id != tender.id:
        raise NotFound("招标文件不存在", code="not_found")
    return doc


# ------------------------------------------------------------------ clarifications and notices

def add_clarification(actor: User, tender: Tender, text: object, new_deadline: object = None,
                      answers: object = None) -> Clarification:
    """澄清/修改: at least TRADING_MIN_CLARIFICATION_SECONDS before the (possibly moved) deadline, else 409
    clarification_too_late; every registered bidder gets a notice. `answers` (question ids of this tender, open)
    are answered by it and closed."""
    _owned(actor, tender, staff_ok=True)
    if tender.status != T.ANNOUNCED or now() >= tender.bid_deadline:
        raise Conflict("只有公告中且未截止的招标项目可以发布澄清", code="invalid_state")
    body = (text or "").strip() if isinstance(text, str) else ""
    if not body or len(body) > 20000:
        raise Invalid("请填写澄清内容（不超过20000字）", fields={"text": "必填"})
    answered = _questions_to_answer(tender, answers)
    moved = None
    if new_deadline is not None:
        try:
            moved = parse_rfc3339(new_deadline)  # type: ignore[arg-type]
        except ValueError as exc:
            raise Invalid(str(exc), fields={"bid_deadline": str(exc)}) from None
    try:
        deadline = rules.clarification_deadline(now(), tender.bid_deadline, moved,
                                                setting("TRADING_MIN_CLARIFICATION_SECONDS"))
    except rules.WindowError as exc:
        code = "invalid_window" if moved is not None and moved < tender.bid_deadline else "clarification_too_late"
        raise Conflict(str(exc), code=code, status=422 if code == "invalid_window" else 409) from None
    clar = Clarification(tender_id=tender.id, text=body, old_deadline=tender.bid_deadline,
                         new_deadline=moved, published_at=now(), published_by=actor.username)
    db.session.add(clar)
    if deadline != tender.bid_deadline:
        for lot in tender.lots:
            lock(Lot, lot.id)
        tender.bid_deadline = deadline
    db.session.flush()
    for q in answered:
        q.status, q.answered_by, q.answered_at = "answered", clar.id, now()
        audit.record("tender.question_answered", f"tender_question:{q.id}", {"clarification": clar.id},
                     actor.username)
    bidders = registered_bidder_ids(tender)
    moved_text = f"投标截止时间顺延至 {to_beijing(deadline):%Y-%m-%d %H:%M}。" if moved else ""
    notify(bidders, "clarification", f"{tender.code} 发布澄清/修改", moved_text + body[:500], tender.id)
    audit.record("tender.clarification", f"tender:{tender.id}",
                 {"clarification": clar.id, "sha256": hashlib.sha256(body.encode()).hexdigest(),
                  "bid_deadline": deadline.isoformat(), "notified": len(bidders),
                  "answers": [q.id for q in answered]}, actor.username)
    push.clarification(tender, clar)
    return clar


def _questions_to_answer(tender: Tender, answers: object) -> list[TenderQuestion]:
    if answers is None:
        return []
    if not isinstance(answers, list) or not all(isinstance(a, int) and not isinstance(a, bool) for a in answers):
        raise Invalid("answers 须为问题编号列表", fields={"answers": "须为整数列表"})
    ids = sorted(set(answers))
    if not ids:
        return []
    rows = list(db.session.execute(select(TenderQuestion).where(
        TenderQuestion.id.in_(ids), TenderQuestion.tender_id == tender.id)
        .order_by(TenderQuestion.id).with_for_update()).scalars())
    if len(rows) != len(ids):
        raise Invalid("所答问题不属于本招标项目", fields={"answers": "问题不存在"})
    if any(q.status != "open" for q in rows):
        raise Conflict("所选问题已答复", code="invalid_state")
    return rows


# ------------------------------------------------------------------ bidder questions (答疑)

MAX_QUESTION_CHARS = 2000


def is_registered_bidder(tender: Tender, user) -> bool:
    return user is not None and user.role == Role.BIDDER and user.id in registered_bidder_ids(tender)


def ask_question(actor: User, tender: Tender, text: object) -> TenderQuestion:
    """A registered bidder of any lot asks before the bid deadline; anonymous to everyone but the record."""
    if not is_registered_bidder(tender, actor):
        raise Forbidden("只有已报名本项目标段的投标人可以提问", code="not_registered")
    if tender.status != T.ANNOUNCED or now() >= tender.bid_deadline:
        raise Conflict("投标截止时间已过，不能再提问", code="tender_closed")
    body = text.strip() if isinstance(text, str) else ""
    if not body or len(body) > MAX_QUESTION_CHARS:
        raise Invalid(f"请填写问题（不超过{MAX_QUESTION_CHARS}字）", fields={"text": "必填，不超过2000字"})
    q = TenderQuestion(tender_id=tender.id, asker_id=actor.id, text=body, asked_at=now(), status="open")
    db.session.add(q)
    db.session.flush()
    audit.record("tender.question", f"tender:{tender.id}",
                 {"question": q.id, "sha256": hashlib.sha256(body.encode()).hexdigest()}, actor.username)
    return q


def can_read_questions(tender: Tender, user) -> bool:
    if user is None:
        return False
    return (user.id == tender.owner_id or user.role in (Role.STAFF, Role.SUPERVISOR)
            or is_registered_bidder(tender, user))


def questions_of(tender: Tender, status: str | None = None) -> list[TenderQuestion]:
    stmt = select(TenderQuestion).where(TenderQuestion.tender_id == tender.id)
    if status:
        stmt = stmt.where(TenderQuestion.status == status)
    return list(db.session.execute(stmt.order_by(TenderQuestion.id)).scalars())


def clarifications_of(tender: Tender) -> list[Clarification]:
    return list(db.session.execute(select(Clarification).where(Clarification.tender_id == tender.id)
                                   .order_by(Clarification.id)).scalars())


def registered_bidder_ids(tender: Tender) -> list[int]:
    return sorted(set(db.session.execute(select(LotRegistration.bidder_id).join(
        Lot, Lot.id == LotRegistration.lot_id).where(Lot.tender_id == tender.id)).scalars()))


def notify(user_ids: list[int], kind: str, title: str, body: str = "", tender_id: int | None = None) -> None:
    """A tender notice (GET /me/tender-notices) and the platform's notice with its e-mail/SMS outbox rows
    (trading.accounts.notifications), both in the caller's transaction."""
    for uid in user_ids:
        db.session.add(TenderNotice(user_id=uid, kind=kind, title=title[:200], body=body, tender_id=tender_id,
                                    created_at=now()))
        notifications.notify(uid, kind, title, body, ref=f"tender:{tender_id}" if tender_id else None)
    db.session.flush()


def notices_for(user: User, unread_only: bool = False) -> list[TenderNotice]:
    stmt = select(TenderNotice).where(TenderNotice.user_id == user.id)
    if unread_only:
        stmt = stmt.where(TenderNotice.read_at.is_(None))
    return list(db.session.execute(stmt.order_by(TenderNotice.id.desc()).limit(200)).scalars())


def deadline_of(lot: Lot) -> datetime:
    return lot.tender.bid_deadline


def decrypt_window_end(lot: Lot) -> datetime:
    return lot.decrypt_ends_at or (lot.tender.bid_deadline + timedelta(seconds=setting("TRADING_DECRYPT_SECONDS")))
