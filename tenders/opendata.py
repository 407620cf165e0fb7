"""Tendering in the open-data exports, registered in the core registries (trading.interop) from init_app:

* OCDS 1.1 releases — one per tender published, with a lot awarded or a contract recorded in the period: the
  tender with its lots (lots extension: `tender.lots`, `relatedLots`), the bids once a lot's prices are revealed
  (nothing about bidders before the opening: identities and numbers stay hidden until then), one award per
  awarded lot, one contract per signed contract (tenders/contracts.py; `awardID` names the lot's award, whose
  `relatedLots` name the lot: the lots extension gives contracts no `relatedLots` of their own).
* rows of the national data sets `construction` and `procurement` (trading.stats.dataspec): one row per awarded
  lot, its 标段（包）编号 `<tender code>-<lot no, 3 digits>`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time
from decimal import Decimal

from flask import current_app
from sqlalchemy import or_, select

from tenders.models import Lot, LotContract, Tender, TenderBid
from tenders.states import BidStatus, LotStatus, TenderStatus
from trading import interop
from trading.accounts.credit import mask_if_personal
from trading.accounts.models import OrgKind
from trading.clock import BEIJING, isoformat, now
from trading.extensions import db
from trading.money import to_str

LOTS_EXTENSION, BID_EXTENSION = interop.LOTS_EXTENSION, interop.BID_EXTENSION
CATEGORY = {"construction": "works", "procurement": "goods"}
METHOD = {"open": "open", "invited": "selective"}
METHOD_LABELS = {"open": "公开招标", "invited": "邀请招标"}
LOT_STATUS = {LotStatus.AWARDED: "complete", LotStatus.FAILED: "unsuccessful"}


def _amount(value: Decimal) -> int | float:
    v = Decimal(value).quantize(Decimal("0.01"))
    return int(v) if v == v.to_integral_value() else float(v)


def _value(amount: Decimal) -> dict:
    return {"amount": _amount(amount), "currency": "CNY"}


def _party(user, roles: list[str]) -> dict:
    party: dict = {"id": f"user-{user.id}", "name": user.name, "roles": roles}
    if user.org is not None and user.org.credit_code and user.org.kind != OrgKind.INDIVIDUAL:
        party["identifier"] = {"id": user.org.credit_code, "legalName": user.org.name}
    return party


def _lot_id(lot: Lot) -> str:
    return f"lot-{lot.no}"


def _tender_status(t: Tender) -> str:
    if t.status == TenderStatus.WITHDRAWN:
        return "cancelled"
    if t.lots and all(lot.status in LOT_STATUS for lot in t.lots):
        return "complete" if any(lot.status == LotStatus.AWARDED for lot in t.lots) else "unsuccessful"
    return "active"


def release(t: Tender) -> dict:
    lots = list(t.lots)
    awarded = [lot for lot in lots if lot.status == LotStatus.AWARDED and lot.winner_bid_id is not None]
    contracts = {c.lot_id: c for c in db.session.execute(select(LotContract).where(
        LotContract.lot_id.in_([lot.id for lot in awarded]))).scalars()} if awarded else {}
    date = max([lot.awarded_at for lot in awarded if lot.awarded_at] + [c.recorded_at for c in contracts.values()]
               or [t.approved_at or t.created_at])
    tender: dict = {
        "id": t.code, "title": t.title, "description": t.description or t.title, "status": _tender_status(t),
        "value": _value(sum((lot.budget for lot in lots), Decimal(0))),
        "procurementMethod": METHOD.get(t.method, "open"), "procurementMethodDetails": METHOD_LABELS.get(t.method),
        "mainProcurementCategory": CATEGORY.get(t.kind, "works"),
        "tenderPeriod": {"startDate": isoformat(t.approved_at or t.announce_start), "endDate": isoformat(t.bid_deadline)},
        "lots": [{"id": _lot_id(lot), "title": f"第{lot.no}标段 {lot.name}", "status": LOT_STATUS.get(lot.status, "active"),
                  "value": _value(lot.budget)} for lot in lots],
    }
    parties: dict[int, dict] = {t.owner.id: _party(t.owner, ["buyer"])}
    rel: dict = {"ocid": interop.ocid_prefix() + t.code, "id": f"{t.code}-{date.strftime('%Y%m%dT%H%M%S')}",
                 "date": isoformat(date), "tag": ["tender"], "initiationType": "tender", "language": "zh",
                 "buyer": {"id": f"user-{t.owner.id}", "name": t.owner.name}, "tender": tender}
    if t.status == TenderStatus.WITHDRAWN:
        rel["tag"] = ["tenderCancellation"]
    revealed = [lot for lot in lots if lot.revealed_at is not None]
    if revealed:  # bids exist in the open only once their lot's prices were revealed at the opening
        bids = list(db.session.execute(select(TenderBid).where(
            TenderBid.lot_id.in_([lot.id for lot in revealed]),
            or_(TenderBid.void_reason.is_(None), TenderBid.void_reason != "withdrawn"))
            .order_by(TenderBid.lot_id, TenderBid.id)).scalars())
        by_id = {lot.id: lot for lot in revealed}
        details = []
        for b in bids:
            parties.setdefault(b.bidder.id, _party(b.bidder, ["tenderer"]))
            d: dict = {"id": f"bid-{b.id}", "date": isoformat(b.submitted_at),
                       "status": "valid" if b.status == BidStatus.DECRYPTED and not b.rejection else "disqualified",
                       "tenderers": [{"id": f"user-{b.bidder.id}", "name": b.bidder.name}],
                       "relatedLots": [_lot_id(by_id[b.lot_id])]}
            if b.price is not None:
                d["value"] = _value(b.price)
            details.append(d)
        rel["bids"] = {"details": details}
        tender["numberOfTenderers"] = len({b.bidder_id for b in bids})
    if awarded:
        rel["awards"] = []
        for lot in awarded:
            bid = db.session.get(TenderBid, lot.winner_bid_id)
            assert bid is not None
            assert lot.award_price is not None
            party = parties.setdefault(bid.bidder.id, _party(bid.bidder, ["tenderer"]))
            if "supplier" not in party["roles"]:
                party["roles"].append("supplier")
            rel["awards"].append({"id": f"{t.code}-award-{lot.no}", "title": f"第{lot.no}标段 {lot.name}",
                                  "status": "active", "date": isoformat(lot.awarded_at),
                                  "value": _value(lot.award_price), "relatedLots": [_lot_id(lot)],
                                  "suppliers": [{"id": f"user-{bid.bidder.id}", "name": bid.bidder.name}]})
        rel["tag"] = ["tender", "award"]
    if contracts:
        rel["contracts"] = [_contract(t, lot, contracts[lot.id]) for lot in awarded if lot.id in contracts]
        rel["tag"] = ["tender", "award", "contract"]
    rel["parties"] = list(parties.values())
    return rel


def _contract(t: Tender, lot: Lot, c: LotContract) -> dict:
    """The signed contract of an awarded lot: `dateSigned` is the Beijing date on the contract (its midnight)."""
    out: dict = {"id": f"{t.code}-contract-{lot.no}", "awardID": f"{t.code}-award-{lot.no}",
                 "title": f"第{lot.no}标段 {lot.name}", "status": "active", "value": _value(c.amount),
                 "dateSigned": isoformat(datetime.combine(c.signed_on, time(), tzinfo=BEIJING))}
    if c.number:
        out["description"] = f"合同编号 {c.number}"
    return out


def releases(start: datetime, end: datetime) -> Iterator[dict]:
    """Tenders announced in [start, end), or with a lot awarded or a contract recorded then."""
    awarded = select(Lot.tender_id).where(Lot.awarded_at >= start, Lot.awarded_at < end)
    signed = select(Lot.tender_id).join(LotContract, LotContract.lot_id == Lot.id).where(
        LotContract.recorded_at >= start, LotContract.recorded_at < end)
    stmt = select(Tender).where(Tender.approved_at.is_not(None), or_(
        (Tender.approved_at >= start) & (Tender.approved_at < end), Tender.id.in_(awarded),
        Tender.id.in_(signed))).order_by(Tender.id)
    for t in db.session.execute(stmt).scalars():
        yield release(t)


def unified_code_of(t: Tender) -> str | None:
    """The tender's 统一交易标识码 (trading.interop.transaction_code, serial 900000 + id): the data-set rows and
    every push message of the tender (tenders/push.py) carry this one code."""
    return interop.transaction_code(t.approved_at, interop.TENDER_SERIAL_BASE + t.id)


def _credit(user) -> str | None:
    """The party's code as the public data sets show it: an organisation's credit code (public by law), an
    individual's resident ID number masked (4502**********9021)."""
    return mask_if_personal(user.org.credit_code) if user is not None and user.org is not None else None


def _spec_rows(kind: str, start: datetime, end: datetime) -> Iterator[dict]:
    cfg = current_app.config
    stamp = isoformat(now())
    stmt = (select(Lot).join(Tender, Tender.id == Lot.tender_id).where(
        Tender.kind == kind, Lot.status == LotStatus.AWARDED, Lot.awarded_at >= start, Lot.awarded_at < end,
        Lot.award_price.is_not(None)).order_by(Lot.awarded_at, Lot.id))
    for lot in db.session.execute(stmt).scalars():
        t, bid = lot.tender, db.session.get(TenderBid, lot.winner_bid_id)
        winner = bid.bidder if bid is not None else None
        row = {"统一交易标识码": unified_code_of(t), "项目编号": t.code, "标段（包）编号": f"{t.code}-{lot.no:03d}",
               "项目名称": f"{t.title} 第{lot.no}标段 {lot.name}", "行政区域代码": cfg.get("TRADING_REGION_CODE") or None,
               "交易发生行政区域代码": cfg.get("TRADING_REGION_CODE") or None, "公告发布时间": isoformat(t.approved_at),
               "成交时间": isoformat(lot.awarded_at), "价格币种代码": "156", "价格单位": "元",
               "交易系统标识码": cfg.get("TRADING_PLATFORM_CODE") or None, "数据时间戳": stamp}
        method = METHOD_LABELS.get(t.method, t.method)
        if kind == "construction":
            row.update({"招标人名称": t.owner.name, "招标人代码": _credit(t.owner), "交易方式": method,
                        "最高投标限价": to_str(lot.budget), "中标人名称": winner.name if winner else None,
                        "中标人代码": _credit(winner), "中标金额": to_str(lot.award_price)})
        else:
            row.update({"采购人名称": t.owner.name, "采购人代码": _credit(t.owner), "采购方式": method,
                        "预算金额": to_str(lot.budget), "中标（成交）供应商名称": winner.name if winner else None,
                        "中标（成交）供应商代码": _credit(winner), "中标（成交）金额": to_str(lot.award_price)})
        yield row


def construction_rows(start: datetime, end: datetime) -> Iterator[dict]:
    return _spec_rows("construction", start, end)


def procurement_rows(start: datetime, end: datetime) -> Iterator[dict]:
    return _spec_rows("procurement", start, end)


def register() -> None:
    interop.register_ocds_source("tenders", releases, extensions=[LOTS_EXTENSION, BID_EXTENSION])
    interop.register_spec_rows("construction", "tenders", construction_rows)
    interop.register_spec_rows("procurement", "tenders", procurement_rows)
