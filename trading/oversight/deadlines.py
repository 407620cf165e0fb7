"""Deadlines and warnings (红黄牌预警): the scheduler opens an item for each piece of work with a time limit, closes
it when the work is done (recording who did it, from the audit log), and moves its card none → yellow (80 % of
the limit) → red (overdue) once each, telling the responsible staff and the supervisors.

A package adds a kind of work with `register_source(kind, label, fn)`: fn() returns the Open items that are
waiting now (tendering adds `clarification_answer` this way). Several schedulers may run: new items are inserted
with ON CONFLICT DO NOTHING, and each item is moved under `FOR UPDATE SKIP LOCKED` (SQLite serialises writers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from auctions.models import Registration, RegistrationStatus
from certificates.models import Objection, ObjectionStatus
from guarantees.models import Deposit
from guarantees.states import DepositStatus
from tenders.models import Lot, LotObjection, Tender, TenderQuestion
from tenders.states import LotStatus, TenderStatus
from trading.accounts.models import Role, User
from trading.accounts.notifications import notify, notify_role
from trading.clock import BEIJING, isoformat, now
from trading.db import is_postgres, lock
from trading.extensions import db
from trading.models import AuditEntry
from trading.oversight import rules
from trading.oversight.models import DeadlineItem, Rating
from trading.oversight.ratings import subject_label
from trading.projects.models import Project
from trading.projects.states import ProjectStatus

log = logging.getLogger("tradehall.scheduler")


@dataclass(frozen=True)
class Open:
    object: str
    title: str
    started_at: datetime
    responsible: str = "role:staff"  # a username, or "role:<role>" for a desk


KIND_LABELS: dict[str, str] = {}
SOURCES: dict[str, Callable[[], list[Open]]] = {}
CARD_LABELS = {"none": "正常", "yellow": "黄牌", "red": "红牌"}
NO_STAFF = "（当事人或系统办结）"  # the statistics' row of items no staff member closed


def register_source(kind: str, label: str, fn: Callable[[], list[Open]]) -> None:
    KIND_LABELS[kind] = label
    SOURCES[kind] = fn


def limit_of(kind: str) -> rules.Limit:
    return rules.parse_limit(current_app.config.get(f"TRADING_LIMIT_{kind.upper()}", "3wd"))


# ---------------------------------------------------------------- the kinds of work this platform has

def _listing_review() -> list[Open]:
    """A listing, or a tender's announcement (招标公告), waiting for staff review."""
    rows = db.session.execute(select(Project.id, Project.code, Project.title, Project.submitted_at).where(
        Project.status == ProjectStatus.PENDING_REVIEW, Project.submitted_at.is_not(None))).all()
    tenders = db.session.execute(select(Tender.id, Tender.code, Tender.title, Tender.submitted_at).where(
        Tender.status == TenderStatus.PENDING_REVIEW, Tender.submitted_at.is_not(None))).all()
    return ([Open(f"project:{r.id}", f"挂牌审核 {r.code} {r.title}", r.submitted_at) for r in rows]
            + [Open(f"tender:{r.id}", f"招标公告审核 {r.code} {r.title}", r.submitted_at) for r in tenders])


def _qualification() -> list[Open]:
    rows = db.session.execute(select(Registration.id, Registration.bidder_no, Registration.created_at,
                                     Project.code).join(Project, Project.id == Registration.project_id).where(
        Registration.status == RegistrationStatus.PENDING,
        Project.status.in_([ProjectStatus.ANNOUNCED, ProjectStatus.BIDDING]))).all()
    return [Open(f"registration:{r.id}", f"资格审核 {r.code} 竞买号 {r.bidder_no}", r.created_at) for r in rows]


def _deposit_refund() -> list[Open]:
    rows = db.session.execute(select(Deposit.id, Deposit.amount, Deposit.refund_due_at).where(
        Deposit.status == DepositStatus.RECEIVED, Deposit.refund_due_at.is_not(None))).all()
    return [Open(f"deposit:{r.id}", f"退还保证金 #{r.id}（{r.amount} 元）", r.refund_due_at) for r in rows]


def _objection_reply() -> list[Open]:
    rows = db.session.execute(select(Objection.id, Objection.created_at, Project.code).join(
        Project, Project.id == Objection.project_id).where(Objection.status == ObjectionStatus.OPEN)).all()
    lots = db.session.execute(select(Objection.id, Objection.created_at, Tender.code, Lot.no).join(
        LotObjection, LotObjection.objection_id == Objection.id).join(Lot, Lot.id == LotObjection.lot_id).join(
        Tender, Tender.id == Lot.tender_id).where(Objection.status == ObjectionStatus.OPEN)).all()
    return ([Open(f"objection:{r.id}", f"答复异议 #{r.id}（{r.code}）", r.created_at) for r in rows]
            + [Open(f"objection:{r.id}", f"答复异议 #{r.id}（{r.code} 第{r.no}标段）", r.created_at) for r in lots])


def _certificate_issue() -> list[Open]:
    """After the publicity: a project's certificate (鉴证书), or a tender lot's award (确定中标人, the award notice)
    once its candidates' publicity has ended."""
    t = now()
    rows = db.session.execute(select(Project.id, Project.code, Project.title, Project.publicity_ends_at).where(
        Project.status == ProjectStatus.AWARDED, Project.publicity_ends_at.is_not(None),
        Project.publicity_ends_at <= t)).all()
    lots = db.session.execute(select(Lot.id, Lot.no, Lot.publicity_ends_at, Tender.code).join(
        Tender, Tender.id == Lot.tender_id).where(
        Lot.status == LotStatus.PUBLICITY, Lot.publicity_ends_at.is_not(None), Lot.publicity_ends_at <= t)).all()
    return ([Open(f"project:{r.id}", f"出具鉴证书 {r.code} {r.title}", r.publicity_ends_at) for r in rows]
            + [Open(f"lot:{r.id}", f"确定中标人 {r.code} 第{r.no}标段", r.publicity_ends_at) for r in lots])


def _rating_reply() -> list[Open]:
    rows = db.session.execute(select(Rating.id, Rating.stars, Rating.subject, Rating.created_at).where(
        Rating.stars <= 2, Rating.answer.is_(None))).all()
    return [Open(f"rating:{r.id}", f"差评整改 #{r.id}（{r.stars} 星，{subject_label(r.subject)}）", r.created_at)
            for r in rows]


def _clarification_answer() -> list[Open]:
    """Tendering's bidder questions (答疑) still open on an announced tender; the title never names the asker.
    Answering (a clarification naming the question) audits `tender_question:<id>`, which names the closer. At the
    bid deadline no clarification can be published any more, so the item closes then (with no closer)."""
    rows = db.session.execute(select(TenderQuestion.id, TenderQuestion.asked_at, Tender.code).join(
        Tender, Tender.id == TenderQuestion.tender_id).where(
        TenderQuestion.status == "open", Tender.status == TenderStatus.ANNOUNCED,
        Tender.bid_deadline > now())).all()
    return [Open(f"tender_question:{r.id}", f"答疑 {r.code} 问题 #{r.id}", r.asked_at) for r in rows]


register_source("listing_review", "挂牌与招标公告审核", _listing_review)
register_source("qualification", "报名资格审核", _qualification)
register_source("deposit_refund", "退还保证金", _deposit_refund)
register_source("objection_reply", "异议答复", _objection_reply)
register_source("certificate_issue", "出具鉴证书与中标通知书", _certificate_issue)
register_source("rating_reply", "差评整改答复", _rating_reply)
register_source("clarification_answer", "澄清答疑", _clarification_answer)


# ---------------------------------------------------------------- the sweep

def _insert_ignore(values: dict) -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if is_postgres() else sqlite
    db.session.execute(dialect.insert(DeadlineItem).values(**values).on_conflict_do_nothing())


def _audit_actor(since: datetime, *, obj: str | None = None, actions: tuple[str, ...] = (),
                 match: Callable[[dict], bool] | None = None) -> str | None:
    """Who did the work: the latest audit entry by a staff member since the item started, on `obj` and/or with one
    of `actions`. A party's own move (a bidder withdrawing, an owner withdrawing a listing) or the scheduler closes
    an item too, but credits it to no staff member."""
    stmt = select(AuditEntry).join(User, User.username == AuditEntry.actor).where(
        AuditEntry.at >= since, User.role == Role.STAFF)
    if obj is not None:
        stmt = stmt.where(AuditEntry.object == obj)
    if actions:
        stmt = stmt.where(AuditEntry.action.in_(actions))
    for entry in db.session.execute(stmt.order_by(AuditEntry.seq.desc()).limit(200)).scalars():
        if match is None or match(entry.data or {}):
            return entry.actor
    return None


# the actions that do each kind's work, on the item's own object (a kind or object prefix not listed: any staff
# action on the object)
CLOSING_ACTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("listing_review", "project"): ("project.approve", "project.reject"),
    ("listing_review", "tender"): ("tender.approve", "tender.reject"),
    ("qualification", "registration"): ("registration.approve", "registration.reject", "registration.disqualify"),
    ("deposit_refund", "deposit"): ("deposit.refund", "deposit.apply", "deposit.forfeit"),
    ("certificate_issue", "lot"): ("lot.award", "lot.objection_uphold"),
    ("rating_reply", "rating"): ("rating.answer",),
    ("clarification_answer", "tender_question"): ("tender.question_answered",),
}


def _closer(item: DeadlineItem) -> str | None:
    kind, (prefix, _, ident) = item.kind, item.object.partition(":")
    if kind == "certificate_issue" and prefix == "project":
        code = db.session.execute(select(Project.code).where(Project.id == int(ident))).scalar()
        return _audit_actor(item.started_at, actions=("certificate.issue",), match=lambda d: d.get("project") == code)
    if kind == "objection_reply":
        oid = int(ident)
        pid = db.session.execute(select(Objection.project_id).where(Objection.id == oid)).scalar()
        if pid is not None:
            return _audit_actor(item.started_at, obj=f"project:{pid}", actions=("objection.dismiss", "objection.uphold"),
                                match=lambda d: d.get("objection") == oid)
        # a tender lot's objection: tenders records the reply on the lot
        lot_id = db.session.execute(select(LotObjection.lot_id).where(LotObjection.objection_id == oid)).scalar()
        return _audit_actor(item.started_at, obj=f"lot:{lot_id}",
                            actions=("lot.objection_dismiss", "lot.objection_uphold"),
                            match=lambda d: d.get("objection") == oid)
    return _audit_actor(item.started_at, obj=item.object, actions=CLOSING_ACTIONS.get((kind, prefix), ()))


def _open_and_close(kind: str, fn: Callable[[], list[Open]]) -> int:
    moved = 0
    waiting = {(o.object, o.started_at): o for o in fn()}
    limit = limit_of(kind)
    known = {(i.object, i.started_at): i.id for i in db.session.execute(select(DeadlineItem).where(
        DeadlineItem.kind == kind, DeadlineItem.closed_at.is_(None))).scalars()}
    db.session.rollback()
    for key, o in waiting.items():
        if key in known:
            continue
        _insert_ignore({"kind": kind, "object": o.object, "title": o.title[:200], "responsible": o.responsible,
                        "started_at": o.started_at, "due_at": rules.due_at(o.started_at, limit), "card": "none",
                        "created_at": now()})
        db.session.commit()
        moved += 1
    for key, item_id in known.items():
        if key in waiting:
            continue
        item = lock(DeadlineItem, item_id, skip_locked=True)
        if item is None or item.closed_at is not None:
            db.session.rollback()
            continue
        item.closed_at, item.closed_by = now(), _closer(item)
        db.session.commit()
        moved += 1
    return moved


def _tell(item: DeadlineItem, card: str) -> None:
    label = KIND_LABELS.get(item.kind, item.kind)
    due = item.due_at.astimezone(BEIJING)
    title = f"{'红牌' if card == 'red' else '黄牌'}预警：{item.title}"
    body = (f"{label}时限 {limit_of(item.kind).label()}，应于 {due:%Y-%m-%d %H:%M}（北京时间）前办结，"
            + ("现已超期。" if card == "red" else "已用去 80% 时限。"))
    kind, key = f"deadline_{card}", f"deadline_{card}:{item.id}"
    if item.responsible.startswith("role:"):
        notify_role(item.responsible[5:], kind, title, body, ref=f"deadline:{item.id}", dedupe_key=key)
    else:
        uid = db.session.execute(select(User.id).where(User.username == item.responsible)).scalar()
        if uid is not None:
            notify(uid, kind, title, body, ref=f"deadline:{item.id}", dedupe_key=key)
    notify_role(Role.SUPERVISOR, kind, title, body, ref=f"deadline:{item.id}", dedupe_key=key)


def _cards() -> int:
    t = now()
    ids = list(db.session.execute(select(DeadlineItem.id).where(
        DeadlineItem.closed_at.is_(None), DeadlineItem.card != "red")).scalars())
    db.session.rollback()
    moved = 0
    for item_id in ids:
        item = lock(DeadlineItem, item_id, skip_locked=True)
        if item is None or item.closed_at is not None:
            db.session.rollback()
            continue
        card = rules.card(item.started_at, item.due_at, t)
        if card == item.card or (item.card == "red"):
            db.session.rollback()
            continue
        if card in ("yellow", "red") and item.yellow_at is None:
            item.yellow_at = t
            if card == "yellow":
                _tell(item, "yellow")
        if card == "red":
            item.red_at = t
            _tell(item, "red")
        item.card = card
        db.session.commit()
        moved += 1
    return moved


def sweep() -> int:
    """The scheduler job: open and close items, then move the cards."""
    moved = 0
    for kind, fn in list(SOURCES.items()):
        try:
            moved += _open_and_close(kind, fn)
        except Exception:
            db.session.rollback()
            log.exception("deadlines: %s failed", kind)
    return moved + _cards()


_last_run: list[float] = []


def scheduled_sweep() -> int:
    """The registered job: at most one sweep per TRADING_DEADLINE_SWEEP_SECONDS in this process (the cards move
    on a scale of hours; the scheduler ticks every second)."""
    import time

    every = float(current_app.config.get("TRADING_DEADLINE_SWEEP_SECONDS", 60))
    t = time.monotonic()
    if _last_run and t - _last_run[0] < every:
        return 0
    _last_run[:] = [t]
    return sweep()


# ---------------------------------------------------------------- reading

def open_items() -> list[DeadlineItem]:
    return list(db.session.execute(select(DeadlineItem).where(DeadlineItem.closed_at.is_(None))
                                   .order_by(DeadlineItem.started_at, DeadlineItem.id)).scalars())


def serialize(item: DeadlineItem) -> dict:
    return {"id": item.id, "kind": item.kind, "object": item.object, "title": item.title,
            "started_at": isoformat(item.started_at), "due_at": isoformat(item.due_at), "card": item.card,
            "responsible": item.responsible}


def statistics() -> dict:
    """办理时效 per step and per staff member over closed items: count, on time, late, average hours."""
    rows = db.session.execute(select(DeadlineItem).where(DeadlineItem.closed_at.is_not(None))).scalars().all()
    per_kind: dict[str, dict] = {}
    per_person: dict[str, dict] = {}
    for item in rows:
        closed = item.closed_at
        assert closed is not None
        hours = (closed - item.started_at).total_seconds() / 3600
        late = closed > item.due_at
        for table, key in ((per_kind, item.kind), (per_person, item.closed_by or NO_STAFF)):
            s = table.setdefault(key, {"count": 0, "late": 0, "hours": 0.0})
            s["count"] += 1
            s["late"] += late
            s["hours"] += hours
    for table in (per_kind, per_person):
        for s in table.values():
            s["avg_hours"] = round(s.pop("hours") / s["count"], 1)
            s["on_time"] = s["count"] - s["late"]
    return {"per_kind": per_kind, "per_person": per_person}
