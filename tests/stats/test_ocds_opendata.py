"""OCDS 1.1 release packages and the rural open-data feed."""

from __future__ import annotations

import copy
from decimal import Decimal

from tests.stats.conftest import bj
from tests.stats.ocds_rules import validate_package

PREFIX = "ocds-thall01-"


def _package(client, q="from=2025-01-01&to=2025-12-31"):
    r = client.get(f"/api/v1/ocds/releases?{q}")
    assert r.status_code == 200
    return r.get_json()


def test_release_package_validates_against_the_ocds_rules(client, deals):
    deals.add(kind="procurement", direction="descending", start="1000.00", budget="1200.00", final="950.50")
    deals.add(kind="construction", direction="descending", status="failed", final=None)
    deals.add(kind="land_use", direction="ascending", start="5000000.00", final="5600000.00", status="certified")
    deals.add(kind="rural_land")  # rural: not in the OCDS feed
    pkg = _package(client)
    assert validate_package(pkg, PREFIX) == []
    assert len(pkg["releases"]) == 3
    by_tag = {tuple(r["tag"]): r for r in pkg["releases"]}
    won = next(r for r in pkg["releases"] if r["tender"]["id"] == "T-0001")
    assert won["tag"] == ["tender", "award", "contract"]
    assert won["ocid"] == PREFIX + "T-0001"
    assert won["awards"][0]["value"] == {"amount": 950.5, "currency": "CNY"}
    assert Decimal(str(won["awards"][0]["value"]["amount"])) == Decimal("950.50")
    assert won["tender"]["value"]["amount"] == 1200 and won["bids"]["statistics"][0]["value"] == 3
    assert won["contracts"][0]["status"] == "pending"
    failed = next(r for r in pkg["releases"] if r["tender"]["id"] == "T-0002")
    assert failed["tender"]["status"] == "unsuccessful" and "awards" not in failed
    assert ("tender", "award", "contract") in by_tag


def test_the_validator_rejects_broken_packages(client, deals):
    deals.add(kind="procurement", direction="descending", start="1000.00", final="900.00")
    good = _package(client)
    cases = [
        (lambda p: p.pop("version"), "missing required version"),
        (lambda p: p["releases"][0].update(ocid="ocds-other-1"), "prefix"),
        (lambda p: p["releases"][0].update(tag=["bid"]), "codelist"),
        (lambda p: p["releases"][0].update(initiationType="auction"), "codelist"),
        (lambda p: p["releases"][0]["awards"][0].update(status="done"), "codelist"),
        (lambda p: p["releases"][0]["awards"][0]["value"].update(amount="900.00"), "JSON number"),
        (lambda p: p["releases"][0]["contracts"][0]["value"].pop("currency"), "ISO 4217"),
        (lambda p: p["releases"][0].update(date="2025-03-01 10:00"), "RFC 3339"),
        (lambda p: p["releases"][0].pop("id"), "missing required id"),
    ]
    for breaks, expected in cases:
        bad = copy.deepcopy(good)
        breaks(bad)
        problems = validate_package(bad, PREFIX)
        assert any(expected in p for p in problems), (expected, problems)


def test_ocds_period_filters_by_publication_or_award(client, deals):
    deals.add(kind="procurement", direction="descending", awarded=bj(2025, 3, 10), approved=bj(2025, 2, 20))
    assert len(_package(client, "from=2025-03-01&to=2025-03-31")["releases"]) == 1
    assert len(_package(client, "from=2025-02-01&to=2025-02-28")["releases"]) == 1
    assert _package(client, "from=2025-04-01&to=2025-04-30")["releases"] == []
    assert client.get("/api/v1/ocds/releases?from=2025-04-31").status_code == 422


def test_rural_deals_in_the_national_specification_field_names(client, deals):
    deals.add(kind="rural_land", unit="per_mu_year", area="12.50", term=5, start="800.00", final="880.00",
              title="龙田村水田经营权出租")
    deals.add(kind="procurement", direction="descending")
    body = client.get("/api/v1/open-data/rural-deals?from=2025-01-01&to=2025-12-31").get_json()
    assert body["成交宗数"] == 1
    item = body["items"][0]
    assert item["项目编号"] == "T-0001"
    assert item["成交金额"] == "55000.00" and item["挂牌总价"] == "50000.00" and item["溢价率"] == "0.1000"
    assert item["交易标的"].endswith("龙田村水田经营权出租")
    assert item["面积（亩）"] == "12.50" and item["成交时间"].endswith("+08:00")
    assert client.get("/api/v1/open-data/rural-deals?to=2025-02-31").status_code == 422
