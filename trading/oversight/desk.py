"""The staff to-do desk (待办): everything waiting on the center, grouped and counted, oldest first, each with
its red/yellow card from the deadline items."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from sqlalchemy import select

from guarantees.models import Claim, Deposit, Guarantee
from guarantees.states import ClaimStatus, DepositStatus
from tenders.models import CommitteeMember, Lot, Tender, TenderQuestion
from tenders.states import LotStatus
from trading.accounts.models import CreditEntry
from trading.clock import now
from trading.extensions import db
from trading.oversight import deadlines
from trading.oversight.models import DeadlineItem


@dataclass
class Task:
    title: str
    since: datetime
    url: str
    card: str = "none"
    due_at: datetime | None = None


@dataclass
class Group:
    key: str
    label: str
    url: str
    tasks: list[Task] = field(default_factory=list)

    @property
    def reds(self) -> int:
        return sum(t.card == "red" for t in self.tasks)

    @property
    def yellows(self) -> int:
        return sum(t.card == "yellow" for t in self.tasks)


GROUP_PAGES = {  # kind -> (the page the work is done on)
    "listing_review": "staff.review", "qualification": "auctions_staff.queue", "deposit_refund": "guarantees.deposits",
    "objection_reply": "certificates.desk", "certificate_issue": "certificates.desk", "rating_reply": "oversight.ratings_page",
    "clarification_answer": "tenders.mine",
}


def _link(obj: str) -> str | None:
    """The page of one waiting object: a project, a tender (its review), a tender lot (its result: the award)."""
    prefix, _, ident = obj.partition(":")
    if prefix == "project":
        return url_for("web.project_detail", project_id=int(ident))
    if prefix == "tender":
        return url_for("tenders.detail", tender_id=int(ident)) + "#review"
    if prefix == "lot":
        return url_for("tenders.result", lot_id=int(ident))
    if prefix == "tender_question":
        tender_id = db.session.execute(select(TenderQuestion.tender_id).where(TenderQuestion.id == int(ident))).scalar()
        return url_for("tenders.detail", tender_id=tender_id) if tender_id is not None else None
    return None


def _committees() -> Group:
    """评标委员会待抽取: tender lots opened (bids decrypted, prices revealed) with no committee drawn yet; staff draw
    on the lot's evaluation page (POST /api/v1/lots/{id}/committee)."""
    g = Group("committee_draw", "评标委员会待抽取", url_for("tenders.mine"))
    drawn = select(CommitteeMember.id).where(CommitteeMember.lot_id == Lot.id).exists()
    rows = db.session.execute(select(Lot.id, Lot.no, Lot.name, Lot.speciality, Lot.committee_size, Lot.revealed_at,
                                     Lot.opened_at, Tender.code).join(Tender, Tender.id == Lot.tender_id).where(
        Lot.status == LotStatus.OPENED, ~drawn)).all()
    for r in rows:
        g.tasks.append(Task(f"{r.code} 第{r.no}标段 {r.name}（专业 {r.speciality}，{r.committee_size} 人）",
                            r.revealed_at or r.opened_at or now(), url_for("tenders.evaluation_page", lot_id=r.id)))
    return g


def _cards() -> dict[tuple[str, str, datetime], DeadlineItem]:
    return {(i.kind, i.object, i.started_at): i for i in deadlines.open_items()}


def groups() -> list[Group]:
    cards = _cards()
    out: list[Group] = []
    for kind, fn in deadlines.SOURCES.items():
        endpoint = GROUP_PAGES.get(kind)
        page = url_for(endpoint) if endpoint else "#"
        g = Group(kind, deadlines.KIND_LABELS[kind], page)
        for o in fn():
            item = cards.get((kind, o.object, o.started_at))
            link = _link(o.object) or page
            g.tasks.append(Task(o.title, o.started_at, link, item.card if item else "none",
                                item.due_at if item else None))
        out.append(g)
    deposits = Group("deposit_confirm", "确认保证金到账", url_for("guarantees.deposits"))
    for d in db.session.execute(select(Deposit).where(Deposit.status == DepositStatus.AWAITING)).scalars():
        deposits.tasks.append(Task(f"保证金 #{d.id}（{d.amount} 元，报名 #{d.registration_id}）", d.opened_at,
                                   deposits.url))
    claims = Group("claims", "保函索赔跟进", url_for("guarantees.staff_list"))
    for c, no in db.session.execute(select(Claim, Guarantee.guarantee_no).join(
            Guarantee, Guarantee.id == Claim.guarantee_id).where(Claim.status == ClaimStatus.FILED)).all():
        claims.tasks.append(Task(f"索赔 #{c.id}（保函 {no}，{c.amount} 元）待担保机构处理", c.filed_at, claims.url))
    credit = Group("credit_drafts", "确认信用记录", url_for("credit.staff_page"))
    for e in db.session.execute(select(CreditEntry).where(CreditEntry.status == "draft")).scalars():
        credit.tasks.append(Task(f"{e.org.name}：{e.evidence[:60]}", e.created_at, credit.url))
    out += [deposits, claims, credit, _committees()]
    order = {"red": 0, "yellow": 1, "none": 2}
    for g in out:
        g.tasks.sort(key=lambda t: t.since)
    out.sort(key=lambda g: (min((order[t.card] for t in g.tasks), default=3), -len(g.tasks)))
    return out
