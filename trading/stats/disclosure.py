"""Public disclosure (成交公示): every deal with its result, certificate status and verification link."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import Select, func, or_, select

from trading.apiutil import page_args
from trading.clock import now, to_beijing
from trading.errors import Invalid
from trading.extensions import db
from trading.money import rate
from trading.projects.models import Project
from trading.projects.rules import KIND_LABELS
from trading.projects.states import DEALS
from trading.stats.queries import certificate_for
from trading.stats.rules import DealRow, PeriodError, deal_total, parse_period, start_total


def verify_url(number: str) -> str:
    """The certificates package's public verification page."""
    from certificates.services import verify_path

    return verify_path(number)


def _row(p: Project) -> DealRow:
    return DealRow(p.id, p.kind, p.direction, p.price_unit, p.area_mu, p.term_years, p.start_price, p.budget,
                   p.final_price, p.awarded_at, p.town)  # type: ignore[arg-type]


def deal_item(p: Project, cert) -> dict:
    row = _row(p)
    total, start = deal_total(row), start_total(row)
    item = {"p": p, "total": total, "start_total": start, "premium_rate": None, "savings": None,
            "savings_rate": None, "cert": cert, "verify_url": verify_url(cert.number) if cert else None}
    if p.direction == "ascending":
        item["premium_rate"] = rate(total - start, start)
    else:
        budget = p.budget if p.budget is not None else start
        item["savings"] = budget - total
        item["savings_rate"] = rate(budget - total, budget)
    return item


def query(args) -> Select:
    stmt = select(Project).where(Project.status.in_(DEALS), Project.final_price.is_not(None),
                                 Project.awarded_at.is_not(None))
    if args.get("kind") in KIND_LABELS:
        stmt = stmt.where(Project.kind == args["kind"])
    if args.get("town"):
        stmt = stmt.where(Project.town == args["town"])
    if args.get("q"):
        like = f"%{args['q'].strip()}%"
        stmt = stmt.where(or_(Project.title.like(like), Project.location.like(like), Project.code.like(like)))
    if args.get("from") or args.get("to"):
        try:
            period = parse_period(args.get("from"), args.get("to"), to_beijing(now()).date())
        except PeriodError as exc:
            raise Invalid(str(exc), fields={exc.field: str(exc)}) from None
        start, end = period.bounds()
        stmt = stmt.where(Project.awarded_at >= start, Project.awarded_at < end)
    return stmt


def deal_page():
    page, per_page = page_args(max_per_page=100)
    stmt = query(request.args)
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    projects = list(db.session.execute(stmt.order_by(Project.awarded_at.desc(), Project.id.desc())
                                       .limit(per_page).offset((page - 1) * per_page)).scalars())
    certs = certificate_for([p.id for p in projects])
    towns = [t for (t,) in db.session.execute(select(Project.town).where(
        Project.status.in_(DEALS), Project.town.is_not(None)).distinct().order_by(Project.town))]
    items = [deal_item(p, certs.get(p.id)) for p in projects]
    return render_template("stats/deals.html", items=items, total=total, page=page, per_page=per_page,
                           towns=towns, args=request.args)
