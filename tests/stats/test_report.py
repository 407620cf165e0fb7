"""The work report names the configured rural property-rights center, not a generic one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from trading.stats.report import build
from trading.stats.rules import Period

FIGURES = {
    "public_resource": {"deals": 2, "total_amount": Decimal("1200000.00"), "savings": Decimal("30000.00"),
                        "savings_rate": Decimal("0.0244"), "budget": Decimal("1230000.00")},
    "rural": {"listed": 3, "listed_area_mu": Decimal("120.50"), "listed_amount": Decimal("360000.00"), "deals": 2,
              "area_mu": Decimal("80.00"), "total_amount": Decimal("250000.00"), "certificates": 1,
              "certified_area_mu": Decimal("40.00"), "certified_amount": Decimal("120000.00"),
              "premium_rate": Decimal("0.12")},
    "guarantees": {"count": 1, "amount": Decimal("5000.00"), "share": Decimal("0.5"),
                   "capital_freed": Decimal("5000.00")},
    "deposits": {"count": 1, "amount": Decimal("5000.00")},
}


def test_the_rural_paragraph_names_the_configured_rural_center():
    report = build(Period(date(2025, 1, 1), date(2025, 6, 30)), FIGURES, "鹿寨县公共资源交易中心",
                   "鹿寨县农村产权流转交易中心")
    rural = dict(report.sections)["二、农村产权流转交易"]
    assert rural.startswith("1—6月鹿寨县农村产权流转交易中心网上挂牌3宗")


def test_without_a_configured_rural_center_the_paragraph_keeps_the_generic_name():
    report = build(Period(date(2025, 1, 1), date(2025, 6, 30)), FIGURES, "鹿寨县公共资源交易中心")
    assert dict(report.sections)["二、农村产权流转交易"].startswith("1—6月农村产权交易中心网上挂牌3宗")
