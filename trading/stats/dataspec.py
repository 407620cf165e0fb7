"""The national data sets (《公共资源交易平台系统数据规范》V2.0 as far as it is public; docs/data-spec.md).

Four data sets of deals (成交/中标结果) awarded in a period: construction tenders, government procurement,
state assets and land, rural property-rights transfers. Every row carries the unified transaction code
(统一交易标识码, `trading.interop.transaction_code`). Tendering's rows come from the sources registered in
trading.interop (SPEC_ROWS), so the tenders package adds its rows without importing this module. JSON keys and CSV headers are the Chinese 数据项 names; `IDENTIFIERS` gives the English
identifier where one could be traced to a public implementation of the specification (docs/data-spec.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from trading import interop
from trading.accounts.credit import mask_if_personal
from trading.clock import isoformat, now
from trading.extensions import db
from trading.interop import ALPHABET, mod37_2, unified_code  # noqa: F401  (their home was here)
from trading.money import rate, rate_str, to_str
from trading.projects.models import Project
from trading.projects.rules import KIND_LABELS, METHOD_LABELS, RURAL_KINDS, UNIT_LABELS
from trading.projects.states import DEALS
from trading.stats.rules import DealRow, Period, deal_total, start_total


def code_of(p: Project) -> str | None:
    """The project's 统一交易标识码 (trading.interop.transaction_code, the same in every export and push)."""
    return interop.transaction_code(p.approved_at, p.id)


COMMON_HEAD = ("统一交易标识码", "项目编号", "标段（包）编号", "项目名称", "行政区域代码", "交易发生行政区域代码")
COMMON_TAIL = ("公告发布时间", "成交时间", "价格币种代码", "价格单位", "交易系统标识码", "数据时间戳")


@dataclass(frozen=True)
class SpecDataset:
    key: str
    title: str
    kinds: tuple[str, ...]
    columns: tuple[str, ...]


DATASETS = {
    "construction": SpecDataset("construction", "工程建设项目招标投标（中标结果）", ("construction",), (
        *COMMON_HEAD, "招标人名称", "招标人代码", "交易方式", "最高投标限价", "中标人名称", "中标人代码",
        "中标金额", *COMMON_TAIL)),
    "procurement": SpecDataset("procurement", "政府采购（中标、成交结果）", ("procurement",), (
        *COMMON_HEAD, "采购人名称", "采购人代码", "采购方式", "预算金额", "中标（成交）供应商名称",
        "中标（成交）供应商代码", "中标（成交）金额", *COMMON_TAIL)),
    "state_land": SpecDataset("state_land", "国有产权交易与土地使用权出让（成交结果）", ("state_asset", "land_use"), (
        *COMMON_HEAD, "交易品种", "转让方（出让人）名称", "转让方（出让人）代码", "标的所在地", "交易方式",
        "挂牌起始价", "受让方（竞得人）名称", "受让方（竞得人）代码", "成交金额", "溢价率", *COMMON_TAIL)),
    "rural": SpecDataset("rural", "农村产权流转交易（成交结果）", RURAL_KINDS, (
        *COMMON_HEAD, "交易品种", "出让方名称", "标的所在地", "所属乡镇", "面积（亩）", "流转期限（年）", "交易方式",
        "价格单位（计价）", "挂牌价格", "挂牌总价", "成交价格", "成交金额", "溢价率", "受让方名称", *COMMON_TAIL)),
}

# English identifiers seen in a public implementation of the specification (docs/data-spec.md, sources)
IDENTIFIERS = {"统一交易标识码": "UNIFIED_DEAL_CODE", "项目编号": "TENDER_PROJECT_CODE",
               "标段（包）编号": "BID_SECTION_CODE", "行政区域代码": "REGION_CODE",
               "交易发生行政区域代码": "TRA_PLACE_CODE", "中标人名称": "WIN_BIDDER_NAME",
               "中标人代码": "WIN_BIDDER_CODE", "中标金额": "BID_AMOUNT", "价格币种代码": "BID_CURRENCY",
               "价格单位": "PRICE_UNIT", "公告发布时间": "NOTICE_SEND_TIME", "交易系统标识码": "PLATFORM_CODE",
               "数据时间戳": "DATA_TIMESTAMP"}


def _credit(user) -> str | None:
    """The party's code as the public data sets show it: an organisation's credit code (public by law), an
    individual's resident ID number masked (4502**********9021)."""
    return mask_if_personal(user.org.credit_code) if user is not None and user.org is not None else None


def _deal_row(p: Project) -> DealRow:
    return DealRow(p.id, p.kind, p.direction, p.price_unit, p.area_mu, p.term_years, p.start_price, p.budget,
                   p.final_price, p.awarded_at, p.town)  # type: ignore[arg-type]


def record(ds: SpecDataset, p: Project, stamp: str) -> dict:
    cfg = current_app.config
    row = _deal_row(p)
    total, start = deal_total(row), start_total(row)
    owner, winner = p.owner, p.winner
    out: dict = {
        "统一交易标识码": code_of(p), "项目编号": p.code, "标段（包）编号": f"{p.code}-001", "项目名称": p.title,
        "行政区域代码": cfg.get("TRADING_REGION_CODE") or None, "交易发生行政区域代码": cfg.get("TRADING_REGION_CODE") or None,
        "公告发布时间": isoformat(p.approved_at), "成交时间": isoformat(p.awarded_at), "价格币种代码": "156",
        "价格单位": "元", "交易系统标识码": cfg.get("TRADING_PLATFORM_CODE") or None, "数据时间戳": stamp,
    }
    method = METHOD_LABELS.get(p.method, p.method)
    premium = rate_str(rate(total - start, start)) if p.direction == "ascending" else None
    if ds.key == "construction":
        out.update({"招标人名称": owner.name, "招标人代码": _credit(owner), "交易方式": method,
                    "最高投标限价": to_str(p.budget if p.budget is not None else start),
                    "中标人名称": winner.name if winner else None, "中标人代码": _credit(winner),
                    "中标金额": to_str(total)})
    elif ds.key == "procurement":
        out.update({"采购人名称": owner.name, "采购人代码": _credit(owner), "采购方式": method,
                    "预算金额": to_str(p.budget if p.budget is not None else start),
                    "中标（成交）供应商名称": winner.name if winner else None,
                    "中标（成交）供应商代码": _credit(winner), "中标（成交）金额": to_str(total)})
    elif ds.key == "state_land":
        out.update({"交易品种": KIND_LABELS.get(p.kind, p.kind), "转让方（出让人）名称": owner.name,
                    "转让方（出让人）代码": _credit(owner), "标的所在地": p.location, "交易方式": method,
                    "挂牌起始价": to_str(start), "受让方（竞得人）名称": winner.name if winner else None,
                    "受让方（竞得人）代码": _credit(winner), "成交金额": to_str(total), "溢价率": premium})
    else:
        out.update({"交易品种": KIND_LABELS.get(p.kind, p.kind), "出让方名称": owner.name, "标的所在地": p.location,
                    "所属乡镇": p.town, "面积（亩）": to_str(p.area_mu), "流转期限（年）": p.term_years,
                    "交易方式": method, "价格单位（计价）": UNIT_LABELS.get(p.price_unit, p.price_unit),
                    "挂牌价格": to_str(p.start_price), "挂牌总价": to_str(start), "成交价格": to_str(p.final_price),
                    "成交金额": to_str(total), "溢价率": premium, "受让方名称": winner.name if winner else None})
    return out


def _projects(ds: SpecDataset, start: datetime, end: datetime) -> Iterator[Project]:
    stmt = (select(Project).where(Project.kind.in_(ds.kinds), Project.status.in_(DEALS),
                                  Project.awarded_at >= start, Project.awarded_at < end,
                                  Project.final_price.is_not(None))
            .order_by(Project.awarded_at, Project.id))
    yield from db.session.execute(stmt.execution_options(yield_per=500)).scalars()


def rows(key: str, period: Period) -> Iterator[dict]:
    """The data set's rows for deals awarded in the period (Beijing dates), then the registered sources' rows."""
    ds = DATASETS[key]
    start, end = period.bounds()
    stamp = isoformat(now()) or ""
    for p in _projects(ds, start, end):
        rec = record(ds, p, stamp)
        yield {c: rec.get(c) for c in ds.columns}
    for source in interop.SPEC_ROWS.get(key, {}).values():
        for r in source(start, end):
            yield {c: r.get(c) for c in ds.columns}


def as_json(key: str, period: Period) -> dict:
    ds = DATASETS[key]
    items = list(rows(key, period))
    return {"规范": "公共资源交易平台系统数据规范（V2.0）", "数据集": ds.title, "统计起始日期": period.start.isoformat(),
            "统计截止日期": period.end.isoformat(), "条数": len(items),
            "字段": [{"名称": c, "标识符": IDENTIFIERS.get(c)} for c in ds.columns], "items": items}
