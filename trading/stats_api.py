"""JSON API of statistics and open data (API.md "Statistics and audit"; extensions are additive)."""

from __future__ import annotations

from flask import Blueprint, request
from pydantic import BaseModel

from trading import ocds, stats_data
from trading.apiutil import jsonify
from trading.clock import now, to_beijing
from trading.errors import Invalid
from trading.openapi import PERIOD_QUERY, doc, query_param
from trading.statistics import GROUPERS, Period, PeriodError, breakdown, parse_period

api_bp = Blueprint("stats_api", __name__, url_prefix="/api/v1")

Rate = str | None


class PublicResourceOut(BaseModel):
    deals: int
    total_amount: str
    budget: str
    savings: str
    savings_rate: Rate


class RuralOut(BaseModel):
    listed: int
    listed_area_mu: str
    listed_amount: str
    deals: int
    area_mu: str
    total_amount: str
    premium_rate: Rate
    certificates: int
    certified_area_mu: str
    certified_amount: str


class GuaranteesOut(BaseModel):
    count: int
    amount: str
    registrations: int
    share: Rate
    capital_freed: str


class DepositsOut(BaseModel):
    count: int
    amount: str


class StatsOut(BaseModel):
    public_resource: PublicResourceOut
    rural: RuralOut
    guarantees: GuaranteesOut
    deposits: DepositsOut


def request_period() -> Period:
    """from/to of the query string, or 422 validation_error with a Chinese message."""
    try:
        return parse_period(request.args.get("from"), request.args.get("to"), to_beijing(now()).date())
    except PeriodError as exc:
        raise Invalid(str(exc), fields={exc.field: str(exc)}) from None


@api_bp.get("/stats")
@doc("交易统计（公开；按北京时间成交日期，比率为总和之比）", response=StatsOut, auth=False, tag="stats",
     query=PERIOD_QUERY)
def stats():
    return jsonify(stats_data.jsonable(stats_data.compute(request_period())))


@api_bp.get("/stats/breakdown")
@doc("交易统计分组：by=month|kind|town（公开）", auth=False, tag="stats",
     query=[*PERIOD_QUERY, query_param("by", {"type": "string", "enum": ["month", "kind", "town"]})])
def stats_breakdown():
    period = request_period()
    by = request.args.get("by", "month")
    if by not in GROUPERS:
        raise Invalid("by 取值须为 month、kind 或 town", fields={"by": "取值须为 month、kind 或 town"})
    start, end = period.bounds()
    items = breakdown(stats_data.deal_rows(start, end), by, period)
    return jsonify(stats_data.jsonable({"from": period.start.isoformat(), "to": period.end.isoformat(),
                                        "by": by, "items": items}))


@api_bp.get("/ocds/releases")
@doc("公共资源交易项目 OCDS 1.1 发布包（公开）", auth=False, tag="open-data", query=PERIOD_QUERY)
def ocds_releases():
    period = request_period()
    return jsonify(ocds.release_package(period, request.url))


@api_bp.get("/open-data/rural-deals")
@doc("农村产权成交数据（公共资源交易数据规范字段名，公开）", auth=False, tag="open-data", query=PERIOD_QUERY)
def rural_deals():
    from trading.opendata import rural_deals as build

    period = request_period()
    return jsonify(build(period))
