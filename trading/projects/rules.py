"""Pure project rules: no Flask, no database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trading.money import quantize
from trading.projects.schemas import PUBLIC_KINDS, RURAL_KINDS

__all__ = ["PUBLIC_KINDS", "RURAL_KINDS", "KIND_LABELS", "WindowError", "FieldErrors", "check_project",
           "town_of", "total_amount", "code_prefix"]

KIND_LABELS = {
    "rural_land": "土地经营权", "rural_construction_land": "集体经营性建设用地", "rural_asset": "集体资产",
    "rural_forest": "林权", "rural_other": "其他农村产权", "procurement": "政府采购", "construction": "工程建设",
    "state_asset": "国有产权", "land_use": "国有土地使用权",
}
METHOD_LABELS = {"auction": "网络竞价", "sealed": "密封报价"}
DIRECTION_LABELS = {"ascending": "增价", "descending": "减价"}
UNIT_LABELS = {"total": "元（总价）", "per_mu_year": "元/亩/年"}


class WindowError(ValueError):
    code = "invalid_window"


class FieldErrors(ValueError):
    code = "validation_error"

    def __init__(self, fields: dict[str, str]):
        super().__init__("；".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class Windows:
    announce_start: datetime
    registration_end: datetime
    bidding_start: datetime
    bidding_end: datetime


def check_windows(w: Windows, now: datetime, min_announcement_seconds: int) -> None:
    """docs/api.md: ordered windows, the minimum announcement period, bidding_start in the future."""
    if not w.announce_start <= w.registration_end <= w.bidding_end:
        raise WindowError("时间窗口顺序错误：须满足 公告开始 ≤ 报名截止 ≤ 竞价结束")
    if not w.announce_start <= w.bidding_start < w.bidding_end:
        raise WindowError("时间窗口顺序错误：须满足 公告开始 ≤ 竞价开始 < 竞价结束")
    if w.bidding_start <= now:
        raise WindowError("竞价开始时间必须晚于当前时间")
    # the announcement runs from approval when announce_start lies in the past
    effective_start = max(w.announce_start, now)
    if w.bidding_start - effective_start < timedelta(seconds=min_announcement_seconds):
        raise WindowError(f"公告期不足：从公告开始到竞价开始至少需要{duration_label(min_announcement_seconds)}")


def duration_label(seconds: int) -> str:
    """A period in words: 5天, 1天12小时, 2小时30分钟, 45秒 (at most the two largest units, none of them zero)."""
    seconds = max(0, int(seconds))
    parts = []
    for unit, size in (("天", 86400), ("小时", 3600), ("分钟", 60), ("秒", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
        elif parts:
            break  # 1天0小时5分 reads as noise: stop at the first empty unit after a non-empty one
    return "".join(parts[:2]) or "0秒"


def check_project(data: dict, now: datetime, min_announcement_seconds: int) -> None:
    """Cross-field rules of a listing, after each field parsed. Raises FieldErrors or WindowError."""
    errors: dict[str, str] = {}
    if data.get("price_unit") == "per_mu_year":
        if data.get("area_mu") is None:
            errors["area_mu"] = "按“元/亩/年”计价时必须填写面积（亩）"
        if data.get("term_years") is None:
            errors["term_years"] = "按“元/亩/年”计价时必须填写流转期限（年）"
    start, reserve, inc = data.get("start_price"), data.get("reserve_price"), data.get("increment")
    direction = data.get("direction")
    if start is not None and inc is not None and inc > start and direction == "descending":
        errors["increment"] = "减价幅度不能大于最高限价"
    if start is not None and reserve is not None:
        if direction == "ascending" and reserve < start:
            errors["reserve_price"] = "增价竞价的保留价不能低于起始价"
        if direction == "descending" and reserve > start:
            errors["reserve_price"] = "减价竞价的保留价不能高于最高限价"
    budget = data.get("budget")
    if budget is not None and direction == "ascending":
        errors["budget"] = "预算金额仅适用于减价（采购/工程）项目"
    holders = data.get("priority_holders") or []
    if len(set(holders)) != len(holders):
        errors["priority_holders"] = "优先权人重复"
    if errors:
        raise FieldErrors(errors)
    check_windows(Windows(data["announce_start"], data["registration_end"], data["bidding_start"],
                          data["bidding_end"]), now, min_announcement_seconds)


_TOWN = re.compile(r"^(?:.*?[县区市])?(.+?(?:镇|乡|街道))")


def town_of(location: str) -> str | None:
    """The town (镇/乡/街道) a location names, e.g. 鹿寨县寨沙镇龙田村 → 寨沙镇."""
    m = _TOWN.match(location.strip())
    return m.group(1) if m else None


def total_amount(price: Decimal, price_unit: str, area_mu: Decimal | None, term_years: int | None) -> Decimal:
    """price × area_mu × term_years for per_mu_year, else price."""
    if price_unit == "per_mu_year":
        if area_mu is None or term_years is None:
            raise ValueError("per_mu_year needs area_mu and term_years")
        return quantize(price * area_mu * term_years)
    return quantize(price)


def code_prefix(kind: str) -> str:
    return "GG" if kind in PUBLIC_KINDS else "NC"
