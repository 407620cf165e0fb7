"""OCDS 1.1 release packages for public-resource projects (open data in an open standard).

One release per project, a snapshot of its latest state: the tender, its bidder count (`tender.numberOfTenderers`)
and bid count (the bid extension's release-level `bids.statistics`, measure `bids`) — both only once bidding has
closed: nothing about registrants is published before the close —, the award and the contract (pending until
the certificate is issued). A package whose releases carry `bids` declares the bid extension. Amounts are JSON
numbers (OCDS requires numbers): the Decimal is written through float only at serialisation, which for
2-decimal amounts below 2^53 fen reproduces the exact decimal text.
"""

from __future__ import annotations

from decimal import Decimal

from flask import current_app
from sqlalchemy import func, or_, select

from trading import interop
from trading.accounts.models import OrgKind
from trading.clock import isoformat, now
from trading.extensions import db
from trading.projects.models import Project
from trading.projects.rules import METHOD_LABELS, PUBLIC_KINDS
from trading.projects.states import DEALS
from trading.stats.rules import DealRow, Period, deal_total, start_total

DEFAULT_PREFIX = interop.DEFAULT_OCDS_PREFIX
CATEGORY = {"construction": "works", "procurement": "goods"}


def prefix() -> str:
    return interop.ocid_prefix()


def _amount(value: Decimal) -> int | float:
    v = Decimal(value).quantize(Decimal("0.01"))
    return int(v) if v == v.to_integral_value() else float(v)


def _value(amount: Decimal) -> dict:
    return {"amount": _amount(amount), "currency": "CNY"}


def _row(p: Project) -> DealRow:
    return DealRow(p.id, p.kind, p.direction, p.price_unit, p.area_mu, p.term_years, p.start_price, p.budget,
                   p.final_price or p.start_price, p.awarded_at or p.created_at, p.town)


def _party(user, roles: list[str]) -> dict:
    party: dict = {"id": f"user-{user.id}", "name": user.name, "roles": roles}
    # a person's resident ID number is personal data: published for organisations only (issue 12, finding 6)
    if user.org is not None and user.org.credit_code and user.org.kind != OrgKind.INDIVIDUAL:
        party["identifier"] = {"id": user.org.credit_code, "legalName": user.org.name}
    return party


def _tender_status(status: str) -> str:
    return {"awarded": "complete", "certified": "complete", "failed": "unsuccessful",
            "withdrawn": "cancelled"}.get(status, "active")


def release(p: Project, tenderers: int, certified_at=None) -> dict:
    """The OCDS release of one project."""
    from trading.projects.services import effective_status

    status = effective_status(p).value
    ocid = prefix() + p.code
    date = p.awarded_at or p.closed_at or p.approved_at or p.created_at
    ceiling = p.budget if p.budget is not None else start_total(_row(p))
    tender: dict = {
        "id": p.code, "title": p.title, "description": p.description or p.title,
        "status": _tender_status(status), "value": _value(ceiling),
        "procurementMethod": "open", "procurementMethodDetails": METHOD_LABELS.get(p.method, p.method),
        "tenderPeriod": {"startDate": isoformat(p.approved_at or p.announce_start),
                         "endDate": isoformat(p.registration_end)},
    }
    if p.closed_at is not None:  # no count of registrants or bids before the close of bidding (identities
        tender["numberOfTenderers"] = tenderers  # and numbers hidden until the close; a tendering rule as well)
    if p.kind in CATEGORY:
        tender["mainProcurementCategory"] = CATEGORY[p.kind]
    parties = [_party(p.owner, ["buyer"])]
    rel: dict = {"ocid": ocid, "id": f"{p.code}-{date.strftime('%Y%m%dT%H%M%S')}", "date": isoformat(date),
                 "tag": ["tender"], "initiationType": "tender", "language": "zh",
                 "buyer": {"id": f"user-{p.owner.id}", "name": p.owner.name}, "tender": tender}
    if p.closed_at is not None:  # the bid extension's release-level `bids` (never under `tender`)
        rel["bids"] = {"statistics": [{"id": "bids", "measure": "bids", "value": p.bid_count}]}
    if status == "withdrawn":
        rel["tag"] = ["tenderCancellation"]
    if status in DEALS and p.final_price is not None and p.winner is not None:
        total = deal_total(_row(p))
        supplier = {"id": f"user-{p.winner.id}", "name": p.winner.name}
        parties.append(_party(p.winner, ["supplier", "tenderer"]))
        award_id = f"{p.code}-award-1"
        rel["awards"] = [{"id": award_id, "title": p.title, "status": "active", "date": isoformat(p.awarded_at),
                          "value": _value(total), "suppliers": [supplier]}]
        contract: dict = {"id": f"{p.code}-contract-1", "awardID": award_id, "title": p.title,
                          "status": "active" if status == "certified" else "pending", "value": _value(total)}
        if certified_at is not None:
            contract["dateSigned"] = isoformat(certified_at)
        rel["contracts"] = [contract]
        rel["tag"] = ["tender", "award", "contract"]
    rel["parties"] = parties
    return rel


def _tenderers(ids: list[int]) -> dict[int, int]:
    from auctions.models import Registration

    if not ids:
        return {}
    stmt = (select(Registration.project_id, func.count(Registration.id))
            .where(Registration.project_id.in_(ids), Registration.status == "qualified")
            .group_by(Registration.project_id))
    return {pid: int(n) for pid, n in db.session.execute(stmt)}


def release_package(period: Period, uri: str) -> dict:
    """Public-resource projects published or awarded in the period, as an OCDS 1.1 release package."""
    from trading.stats.queries import certificate_for

    start, end = period.bounds()
    P = Project
    stmt = (select(P).where(P.kind.in_(PUBLIC_KINDS), P.approved_at.is_not(None),
                            or_((P.approved_at >= start) & (P.approved_at < end),
                                (P.awarded_at >= start) & (P.awarded_at < end)))
            .order_by(P.id))
    projects = list(db.session.execute(stmt).scalars())
    counts = _tenderers([p.id for p in projects if p.closed_at is not None])
    certs = certificate_for([p.id for p in projects])
    releases = [release(p, counts.get(p.id, 0), getattr(certs.get(p.id), "issued_at", None)) for p in projects]
    extensions: list[str] = [interop.BID_EXTENSION] if any("bids" in r for r in releases) else []
    for source in interop.OCDS_SOURCES.values():  # tenders (trading/interop.py) and any other registered source
        found = list(source.releases(start, end))
        releases.extend(found)
        if found:  # a package lists only the extensions its releases use
            extensions += [e for e in source.extensions if e not in extensions]
    pkg: dict = {"uri": uri, "version": "1.1", "publishedDate": isoformat(now()),
                 "publisher": {"name": current_app.config["TRADING_CENTER_NAME"]},
                 "license": "https://creativecommons.org/licenses/by/4.0/", "releases": releases}
    if extensions:
        pkg["extensions"] = extensions
    return pkg
