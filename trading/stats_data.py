"""Reads the rows statistics need and assembles the figures of GET /api/v1/stats (API.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from trading.extensions import db
from trading.models import Project
from trading.money import quantize, rate, rate_str, to_str
from trading.statistics import (
    RURAL_KINDS,
    ZERO,
    DealRow,
    ListingRow,
    Period,
    deal_total,
    summarise_public,
    summarise_rural,
)

# awarded and certified projects are deals; an annulled award moves the project out of both
DEAL_STATUSES = ("awarded", "certified")


def deal_rows(start: datetime, end: datetime, kinds: tuple[str, ...] | None = None) -> Iterator[DealRow]:
    """Deals awarded in [start, end), oldest first, streamed."""
    P = Project
    stmt = (select(P.id, P.kind, P.direction, P.price_unit, P.area_mu, P.term_years, P.start_price, P.budget,
                   P.final_price, P.awarded_at, P.town)
            .where(P.status.in_(DEAL_STATUSES), P.awarded_at >= start, P.awarded_at < end,
                   P.final_price.is_not(None))
            .order_by(P.awarded_at, P.id))
    if kinds:
        stmt = stmt.where(P.kind.in_(kinds))
    for r in db.session.execute(stmt.execution_options(yield_per=500)):
        yield DealRow(*r)  # type: ignore[arg-type]  # final_price and awarded_at are filtered non-null


def listing_rows(start: datetime, end: datetime, kinds: tuple[str, ...] = RURAL_KINDS) -> Iterator[ListingRow]:
    """Projects approved (挂牌) in [start, end)."""
    P = Project
    stmt = (select(P.id, P.kind, P.price_unit, P.area_mu, P.term_years, P.start_price, P.approved_at, P.town)
            .where(P.approved_at.is_not(None), P.approved_at >= start, P.approved_at < end, P.kind.in_(kinds))
            .order_by(P.approved_at, P.id))
    for r in db.session.execute(stmt.execution_options(yield_per=500)):
        yield ListingRow(*r)  # type: ignore[arg-type]  # approved_at is filtered non-null


def certificate_figures(start: datetime, end: datetime, kinds: tuple[str, ...] = RURAL_KINDS) -> dict:
    """Certificates issued in [start, end) for these kinds: count, revoked, and the 亩 and amount they cover."""
    from certificates.models import Certificate as C

    P = Project
    stmt = (select(C.status, P.id, P.kind, P.direction, P.price_unit, P.area_mu, P.term_years, P.start_price,
                   P.budget, P.final_price, P.awarded_at, P.town)
            .join(P, P.id == C.project_id)
            .where(C.issued_at >= start, C.issued_at < end, P.kind.in_(kinds)))
    count, revoked, area, amount = 0, 0, ZERO, ZERO
    for status, *rest in db.session.execute(stmt):
        row = DealRow(*rest)
        count += 1
        revoked += status == "revoked"
        area += row.area_mu or ZERO
        if row.final_price is not None:
            amount += deal_total(row)
    return {"count": count, "revoked": revoked, "area_mu": area, "amount": amount}


def certificate_for(project_ids: list[int]) -> dict[int, Any]:
    """The certificate of each project (by project id), for the disclosure page."""
    from certificates.models import Certificate

    if not project_ids:
        return {}
    rows = db.session.execute(select(Certificate).where(Certificate.project_id.in_(project_ids))).scalars().all()
    return {c.project_id: c for c in rows}


def deposit_figures(start: datetime, end: datetime) -> dict:
    """Cash deposits received in [start, end) for projects whose bidding is over (nothing about an open listing's
    registrants is public): count and the capital they locked up."""
    from auctions.models import Registration
    from guarantees.models import Deposit
    from guarantees.services import bidding_over

    count, amount = 0, ZERO
    stmt = (select(Deposit.amount).join(Registration, Registration.id == Deposit.registration_id)
            .join(Project, Project.id == Registration.project_id)
            .where(Deposit.received_at >= start, Deposit.received_at < end, bidding_over()))
    for (value,) in db.session.execute(stmt):
        count += 1
        amount += value
    return {"count": count, "amount": amount}


def guarantee_figures(start: datetime, end: datetime) -> dict:
    """Guarantees attached in [start, end) (guarantees.services.guarantee_figures): count, amount,
    registrations made in the period, the share of them secured by a guarantee (null when none), capital freed;
    only for projects whose bidding is over (no count of an open listing's registrants is public)."""
    from guarantees.services import guarantee_figures as figures

    raw = figures(start, end, published_only=True)
    registrations = int(raw["registrations"])
    share = rate(Decimal(raw["guaranteed_registrations"]), Decimal(registrations)) if registrations else None
    return {"count": int(raw["count"]), "amount": quantize(raw["amount"]), "registrations": registrations,
            "guaranteed_registrations": int(raw["guaranteed_registrations"]), "share": share,
            "capital_freed": quantize(raw["capital_freed"])}


def compute(period: Period) -> dict:
    """Every headline figure of the period, as Decimals (see to_json for the API form)."""
    start, end = period.bounds()
    from trading.statistics import PUBLIC_KINDS

    public = summarise_public(deal_rows(start, end, PUBLIC_KINDS))
    rural = summarise_rural(deal_rows(start, end, RURAL_KINDS), listing_rows(start, end))
    certs = certificate_figures(start, end)
    rural.update({"certificates": certs["count"], "certificates_revoked": certs["revoked"],
                  "certified_area_mu": certs["area_mu"], "certified_amount": certs["amount"]})
    g = guarantee_figures(start, end)
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), "public_resource": public,
            "rural": rural, "guarantees": g, "deposits": deposit_figures(start, end)}


RATE_KEYS = {"savings_rate", "premium_rate", "share"}


def jsonable(value: object, key: str = "") -> object:
    """Money/area Decimals as 2-place strings, rates as 4-place strings or null, recursively."""
    if isinstance(value, dict):
        return {k: jsonable(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if key in RATE_KEYS:
        return rate_str(value)  # type: ignore[arg-type]
    if isinstance(value, Decimal):
        return to_str(value)
    return value
