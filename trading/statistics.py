"""Statistics (DESIGN.md §4): pure aggregation over deal rows. Ratios of sums, never means of ratios.

Nothing here touches Flask or the database: trading/stats_data.py reads the rows, these functions add them up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from trading.clock import BEIJING, check_date_range
from trading.money import quantize, rate
from trading.rules import KIND_LABELS, PUBLIC_KINDS, RURAL_KINDS

ZERO = Decimal("0.00")

__all__ = ["PUBLIC_KINDS", "RURAL_KINDS", "Period", "PeriodError", "DealRow", "ListingRow", "parse_period",
           "start_total", "deal_total", "summarise_public", "summarise_rural", "breakdown", "month_keys"]


class PeriodError(ValueError):
    """A bad date or range; the API answers 422 validation_error with this message."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Period:
    """Beijing calendar dates, both inclusive."""

    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        """The UTC instants [start, end) of the period: Beijing midnight to the midnight after `end`."""
        lo = datetime.combine(self.start, time(0), BEIJING).astimezone(UTC)
        hi = datetime.combine(self.end + timedelta(days=1), time(0), BEIJING).astimezone(UTC)
        return lo, hi

    def label(self) -> str:
        """1—5月 / 2025年1—6月 as the work reports write the period."""
        s, e = self.start, self.end
        if s.year == e.year and s.day == 1 and _month_end(e):
            return f"{s.month}月" if s.month == e.month else f"{s.month}—{e.month}月"
        return f"{s.year}年{s.month}月{s.day}日至{e.year}年{e.month}月{e.day}日"


def _month_end(d: date) -> bool:
    return (d + timedelta(days=1)).day == 1


def _parse_date(raw: str, field: str, name: str) -> date:
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        value = date.fromisoformat(raw)
    except ValueError:
        raise PeriodError(f"{name}日期格式无效，应为 YYYY-MM-DD，例如 2025-01-01", field) from None
    try:
        return check_date_range(value)  # far dates overflow when turned into instants (Period.bounds)
    except ValueError as exc:
        raise PeriodError(f"{name}{exc}", field) from None


def parse_period(raw_from: str | None, raw_to: str | None, today: date) -> Period:
    """from/to as YYYY-MM-DD Beijing dates; missing from = 1 January of to's year, missing to = today."""
    end = _parse_date(raw_to.strip(), "to", "截止") if raw_to and raw_to.strip() else today
    start = _parse_date(raw_from.strip(), "from", "起始") if raw_from and raw_from.strip() else date(end.year, 1, 1)
    if start > end:
        raise PeriodError("起始日期不能晚于截止日期", "from")
    if (end - start).days > 366 * 20:
        raise PeriodError("统计区间不能超过20年", "from")
    return Period(start, end)


@dataclass(frozen=True)
class DealRow:
    """One awarded (or certified) project, as the statistics need it."""

    id: int
    kind: str
    direction: str
    price_unit: str
    area_mu: Decimal | None
    term_years: int | None
    start_price: Decimal
    budget: Decimal | None
    final_price: Decimal
    awarded_at: datetime
    town: str | None = None

    @property
    def is_public(self) -> bool:
        return self.kind in PUBLIC_KINDS


@dataclass(frozen=True)
class ListingRow:
    """One project approved (挂牌) in the period."""

    id: int
    kind: str
    price_unit: str
    area_mu: Decimal | None
    term_years: int | None
    start_price: Decimal
    approved_at: datetime
    town: str | None = None


def _carried(price: Decimal, unit: str, area: Decimal | None, term: int | None) -> Decimal:
    if unit == "per_mu_year" and area is not None and term is not None:
        return quantize(price * area * term)
    return quantize(price)


def start_total(row: DealRow | ListingRow) -> Decimal:
    """The start price carried through the same unit as the deal (× area_mu × term_years)."""
    return _carried(row.start_price, row.price_unit, row.area_mu, row.term_years)


def deal_total(row: DealRow) -> Decimal:
    """total_amount = price × area_mu × term_years for per_mu_year, else price."""
    return _carried(row.final_price, row.price_unit, row.area_mu, row.term_years)


def _budget_total(row: DealRow) -> Decimal:
    return quantize(row.budget) if row.budget is not None else start_total(row)


def summarise_public(deals: Iterable[DealRow]) -> dict:
    """Public-resource deals: count, Σ amount; savings over descending deals, Σsavings / Σbudget."""
    n, amount, budget, savings = 0, ZERO, ZERO, ZERO
    for d in deals:
        n += 1
        total = deal_total(d)
        amount += total
        if d.direction == "descending":
            b = _budget_total(d)
            budget += b
            savings += b - total
    return {"deals": n, "total_amount": amount, "budget": budget, "savings": savings,
            "savings_rate": rate(savings, budget)}


def summarise_rural(deals: Iterable[DealRow], listings: Iterable[ListingRow]) -> dict:
    """Rural: listings (count, 亩, Σ start totals) and deals (count, 亩, Σ amounts, premium over ascending)."""
    listed, listed_area, listed_amount = 0, ZERO, ZERO
    for x in listings:
        listed += 1
        listed_area += x.area_mu or ZERO
        listed_amount += start_total(x)
    n, area, amount, start_sum, premium = 0, ZERO, ZERO, ZERO, ZERO
    for d in deals:
        n += 1
        total = deal_total(d)
        area += d.area_mu or ZERO
        amount += total
        if d.direction == "ascending":
            s = start_total(d)
            start_sum += s
            premium += total - s
    return {"listed": listed, "listed_area_mu": listed_area, "listed_amount": listed_amount, "deals": n,
            "area_mu": area, "total_amount": amount, "premium_rate": rate(premium, start_sum)}


def month_keys(period: Period) -> list[str]:
    keys, y, m = [], period.start.year, period.start.month
    while (y, m) <= (period.end.year, period.end.month):
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return keys


def _month_of(d: DealRow) -> str:
    return d.awarded_at.astimezone(BEIJING).strftime("%Y-%m")


def _kind_of(d: DealRow) -> str:
    return d.kind


def _town_of(d: DealRow) -> str:
    return d.town or "未注明"


GROUPERS: dict[str, Callable[[DealRow], str]] = {"month": _month_of, "kind": _kind_of, "town": _town_of}


def _group_item(key: str, label: str, deals: list[DealRow]) -> dict:
    pub = summarise_public(d for d in deals if d.is_public)
    rur = summarise_rural((d for d in deals if not d.is_public), ())
    return {"key": key, "label": label, "deals": len(deals), "total_amount": pub["total_amount"] + rur["total_amount"],
            "public_deals": pub["deals"], "public_amount": pub["total_amount"], "budget": pub["budget"],
            "savings": pub["savings"], "savings_rate": pub["savings_rate"], "rural_deals": rur["deals"],
            "rural_amount": rur["total_amount"], "area_mu": rur["area_mu"], "premium_rate": rur["premium_rate"]}


def breakdown(deals: Iterable[DealRow], by: str, period: Period) -> list[dict]:
    """Deals grouped by Beijing award month (every month of the period, zeros included), kind or town."""
    key_of = GROUPERS[by]
    groups: dict[str, list[DealRow]] = {}
    for d in deals:
        groups.setdefault(key_of(d), []).append(d)
    if by == "month":
        keys = month_keys(period)
        return [_group_item(k, f"{int(k[:4])}年{int(k[5:])}月", groups.get(k, [])) for k in keys]
    if by == "kind":
        order = [k for k in (*PUBLIC_KINDS, *RURAL_KINDS) if k in groups]
        return [_group_item(k, KIND_LABELS.get(k, k), groups[k]) for k in order]
    items = [_group_item(k, k, v) for k, v in groups.items()]
    items.sort(key=lambda i: (-i["total_amount"], i["key"]))
    return items
