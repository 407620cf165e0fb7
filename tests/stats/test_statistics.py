"""Pure statistics: ratios of sums, units carried through, Beijing periods (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from trading.stats.rules import (
    DealRow,
    ListingRow,
    Period,
    PeriodError,
    breakdown,
    deal_total,
    parse_period,
    start_total,
    summarise_public,
    summarise_rural,
)

D = Decimal
AT = datetime(2025, 3, 1, 2, tzinfo=UTC)


def deal(kind="rural_land", direction="ascending", unit="total", area=None, term=None, start="100.00",
         budget=None, final="110.00", at=AT, town="寨沙镇", id=1):
    return DealRow(id, kind, direction, unit, D(area) if area else None, term, D(start),
                   D(budget) if budget else None, D(final), at, town)


def test_savings_rate_is_ratio_of_sums_not_mean_of_ratios():
    # 10% saved on a 1,000 budget and 50% on a 100 budget: Σ150 / Σ1100 = 0.1364 (the mean would be 0.30)
    rows = [deal("procurement", "descending", start="1000.00", budget="1000.00", final="900.00"),
            deal("procurement", "descending", start="100.00", budget="100.00", final="50.00")]
    s = summarise_public(rows)
    assert s["savings"] == D("150.00")
    assert s["budget"] == D("1100.00")
    assert s["savings_rate"] == D("0.1364")
    assert s["total_amount"] == D("950.00")


def test_budget_defaults_to_start_price_and_ascending_public_deals_have_no_savings():
    rows = [deal("construction", "descending", start="2000.00", final="1900.00"),
            deal("land_use", "ascending", start="5000.00", final="6000.00")]
    s = summarise_public(rows)
    assert (s["deals"], s["total_amount"], s["budget"], s["savings"]) == (2, D("7900.00"), D("2000.00"), D("100.00"))
    assert s["savings_rate"] == D("0.0500")


def test_premium_rate_carries_start_price_through_per_mu_year():
    # 10亩 × 5年: start 100 → 5,000, price 120 → 6,000; plus a total-priced deal 1,000 → 1,100
    rows = [deal(unit="per_mu_year", area="10.00", term=5, start="100.00", final="120.00"),
            deal(start="1000.00", final="1100.00")]
    assert deal_total(rows[0]) == D("6000.00")
    assert start_total(rows[0]) == D("5000.00")
    s = summarise_rural(rows, [])
    assert s["total_amount"] == D("7100.00")
    assert s["area_mu"] == D("10.00")
    assert s["premium_rate"] == D("0.1833")  # 1,100 / 6,000, not (0.20 + 0.10) / 2


def test_per_mu_year_total_rounds_half_up_to_the_fen():
    row = deal(unit="per_mu_year", area="22.38", term=10, start="1050.00", final="1112.78")
    assert deal_total(row) == D("249040.16")


def test_listings_sum_area_and_start_totals():
    rows = [ListingRow(1, "rural_land", "per_mu_year", D("2.50"), 4, D("800.00"), AT),
            ListingRow(2, "rural_asset", "total", None, None, D("50000.00"), AT)]
    s = summarise_rural([], rows)
    assert (s["listed"], s["listed_area_mu"], s["listed_amount"]) == (2, D("2.50"), D("58000.00"))
    assert s["premium_rate"] is None and s["deals"] == 0


def test_empty_period_gives_zeros_and_null_rates():
    pub, rur = summarise_public([]), summarise_rural([], [])
    assert pub == {"deals": 0, "total_amount": D(0), "budget": D(0), "savings": D(0), "savings_rate": None}
    assert rur["total_amount"] == D(0) and rur["premium_rate"] is None


@pytest.mark.parametrize(("raw_from", "raw_to", "field"), [
    ("2025-13-01", "2025-12-31", "from"), ("2025/01/01", None, "from"), ("2025-1-1", None, "from"),
    ("2025-01-01", "tomorrow", "to"), ("2025-02-30", None, "from"), ("2025-06-01", "2025-05-31", "from"),
])
def test_bad_dates_and_reversed_ranges_are_refused_in_chinese(raw_from, raw_to, field):
    with pytest.raises(PeriodError) as exc:
        parse_period(raw_from, raw_to, date(2025, 12, 31))
    assert exc.value.field == field
    assert "日期" in str(exc.value)


def test_missing_dates_default_to_the_year_so_far():
    assert parse_period(None, None, date(2025, 7, 9)) == Period(date(2025, 1, 1), date(2025, 7, 9))
    assert parse_period("", "2024-03-31", date(2025, 7, 9)) == Period(date(2024, 1, 1), date(2024, 3, 31))


def test_period_bounds_are_beijing_midnights():
    lo, hi = Period(date(2025, 1, 1), date(2025, 5, 31)).bounds()
    assert lo == datetime(2024, 12, 31, 16, tzinfo=UTC)
    assert hi == datetime(2025, 5, 31, 16, tzinfo=UTC)


def test_period_label_as_the_reports_write_it():
    assert Period(date(2025, 1, 1), date(2025, 5, 31)).label() == "1—5月"
    assert Period(date(2025, 3, 1), date(2025, 3, 31)).label() == "3月"
    assert Period(date(2025, 1, 5), date(2025, 2, 3)).label() == "2025年1月5日至2025年2月3日"


def test_monthly_breakdown_has_every_month_and_uses_beijing_dates():
    # 2025-01-31 20:00 UTC is 1 February in Beijing
    rows = [deal(at=datetime(2025, 1, 31, 20, tzinfo=UTC)), deal(at=datetime(2025, 1, 10, tzinfo=UTC))]
    items = breakdown(rows, "month", Period(date(2025, 1, 1), date(2025, 4, 30)))
    assert [i["key"] for i in items] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert [i["deals"] for i in items] == [1, 1, 0, 0]
    assert items[2]["total_amount"] == D(0) and items[2]["premium_rate"] is None


def test_kind_and_town_breakdowns_order_and_split_public_from_rural():
    rows = [deal("procurement", "descending", start="1000.00", final="800.00", town="鹿寨镇"),
            deal(final="110.00", town="中渡镇"), deal(final="120.00", town="中渡镇")]
    kinds = breakdown(rows, "kind", Period(date(2025, 1, 1), date(2025, 12, 31)))
    assert [(k["key"], k["deals"]) for k in kinds] == [("procurement", 1), ("rural_land", 2)]
    assert kinds[0]["savings_rate"] == D("0.2000") and kinds[1]["premium_rate"] == D("0.1500")
    towns = breakdown(rows, "town", Period(date(2025, 1, 1), date(2025, 12, 31)))
    assert [(t["key"], t["total_amount"]) for t in towns] == [("鹿寨镇", D("800.00")), ("中渡镇", D("230.00"))]


def test_rate_chart_breaks_lines_at_missing_months_but_keeps_lone_points():
    from trading.stats.charts import lines

    svg = str(lines(["1月", "2月", "3月", "4月"], [("溢价率", [D("0.1"), None, D("0.2"), None])], "t"))
    assert svg.count("<circle") == 2 and "<polyline" not in svg
    assert "溢价率 3月：20.00%" in svg
