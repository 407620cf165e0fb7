"""GET /api/v1/stats and its breakdowns (docs/api.md "Statistics and audit")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.stats.conftest import bj

URL = "/api/v1/stats"


def get(client, **params):
    return client.get(URL, query_string=params)


def test_stats_shape_is_exactly_the_contract_and_public(client):
    body = get(client, **{"from": "2025-01-01", "to": "2025-05-31"}).get_json()
    assert set(body["public_resource"]) == {"deals", "total_amount", "budget", "savings", "savings_rate"}
    assert {"listed", "listed_area_mu", "listed_amount", "deals", "area_mu", "total_amount",
            "premium_rate"} <= set(body["rural"])
    assert {"count", "amount"} <= set(body["guarantees"])


def test_empty_period_answers_zeros_and_null_rates(client):
    r = get(client, **{"from": "2025-01-01", "to": "2025-01-31"})
    assert r.status_code == 200
    body = r.get_json()
    assert body["public_resource"] == {"deals": 0, "total_amount": "0.00", "budget": "0.00", "savings": "0.00",
                                       "savings_rate": None}
    assert body["rural"]["listed"] == 0 and body["rural"]["listed_area_mu"] == "0.00"
    assert body["rural"]["premium_rate"] is None
    assert body["guarantees"]["count"] == 0 and body["guarantees"]["amount"] == "0.00"
    assert body["guarantees"]["share"] is None


@pytest.mark.parametrize("params", [
    {"from": "2025-13-01", "to": "2025-12-31"}, {"from": "20250101"}, {"to": "2025-02-30"},
    {"from": "2025-06-01", "to": "2025-05-31"}, {"from": "yesterday"},
])
def test_bad_dates_or_reversed_range_is_422_validation_error_in_chinese(client, params):
    r = get(client, **params)
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["code"] == "validation_error"
    assert "日期" in err["message"]


def test_money_strings_and_rates_as_ratios_of_sums(client, deals):
    deals.add(kind="procurement", direction="descending", start="1000.00", budget="1000.00", final="900.00")
    deals.add(kind="construction", direction="descending", start="100.00", final="50.00")
    deals.add(kind="rural_land", unit="per_mu_year", area="10.00", term=5, start="100.00", final="120.00")
    deals.add(kind="rural_asset", start="1000.00", final="1100.00", area=None)
    body = get(client, **{"from": "2025-01-01", "to": "2025-12-31"}).get_json()
    assert body["public_resource"] == {"deals": 2, "total_amount": "950.00", "budget": "1100.00",
                                       "savings": "150.00", "savings_rate": "0.1364"}
    r = body["rural"]
    assert (r["deals"], r["area_mu"], r["total_amount"], r["premium_rate"]) == (2, "10.00", "7100.00", "0.1833")


def test_deals_count_by_beijing_award_date_inclusive(client, deals):
    deals.add(awarded=bj(2025, 5, 31, 23, 30))   # 15:30 UTC on 31 May: inside 1—5月
    deals.add(awarded=bj(2025, 6, 1, 0, 10))     # still 31 May in UTC, but 1 June in Beijing: outside
    deals.add(awarded=bj(2025, 1, 1, 0, 0))      # the first instant of the period
    body = get(client, **{"from": "2025-01-01", "to": "2025-05-31"}).get_json()
    assert body["rural"]["deals"] == 2
    assert get(client, **{"from": "2025-06-01", "to": "2025-06-01"}).get_json()["rural"]["deals"] == 1


def test_annulled_or_failed_projects_are_not_deals_but_certified_ones_are(client, deals):
    deals.add(status="certified")
    deals.add(status="failed", final=None)
    deals.add(status="withdrawn", final=None)
    body = get(client, **{"from": "2025-01-01", "to": "2025-12-31"}).get_json()
    assert body["rural"]["deals"] == 1


def test_listings_are_rural_projects_approved_in_the_period(client, deals):
    deals.add(unit="per_mu_year", area="3.50", term=2, start="500.00", approved=bj(2025, 2, 1))
    deals.add(status="failed", final=None, start="8000.00", approved=bj(2025, 2, 2))
    deals.add(approved=bj(2024, 12, 31, 23, 59))  # the day before, in Beijing
    deals.add(kind="procurement", direction="descending", approved=bj(2025, 2, 3))  # public: not a rural listing
    r = get(client, **{"from": "2025-01-01", "to": "2025-06-30"}).get_json()["rural"]
    assert (r["listed"], r["listed_area_mu"], r["listed_amount"]) == (2, "3.50", "11500.00")


def test_a_revoked_certificate_keeps_its_deal(app, client, deals):
    from certificates.models import Certificate
    from trading.extensions import db

    pid = deals.add(status="certified", final="1100.00")
    with app.app_context():
        db.session.add(Certificate(number="T-C1", number_text="测试1号", project_id=pid, facts="{}", signature="x",
                                   public_key="k", ca_cert="-", pdf=b"%PDF", sha256="0" * 64, status="revoked",
                                   issued_at=bj(2025, 3, 9), issued_by="staff"))
        db.session.commit()
    r = get(client, **{"from": "2025-01-01", "to": "2025-12-31"}).get_json()["rural"]
    assert r["deals"] == 1 and r["total_amount"] == "1100.00"
    assert r["certificates"] == 1 and r["certificates_revoked"] == 1


def test_cash_deposits_received_in_the_period_are_counted(app, client, deals, factory):
    from auctions.models import Registration
    from guarantees.models import Deposit
    from trading.extensions import db

    pid = deals.add()
    bidder, _ = factory.user("bidder", "cash_bidder")
    with app.app_context():
        reg = Registration(project_id=pid, bidder_id=bidder, bidder_no="A01", status="qualified",
                           security_type="deposit", created_at=bj(2025, 2, 20))
        db.session.add(reg)
        db.session.flush()
        db.session.add(Deposit(registration_id=reg.id, amount="5000.00", status="received",
                               opened_at=bj(2025, 2, 20), received_at=bj(2025, 2, 21)))
        db.session.commit()
    body = get(client, **{"from": "2025-02-01", "to": "2025-02-28"}).get_json()
    assert body["deposits"] == {"count": 1, "amount": "5000.00"}
    assert body["guarantees"]["registrations"] == 1 and body["guarantees"]["share"] == "0.0000"
    assert get(client, **{"from": "2025-03-01", "to": "2025-03-31"}).get_json()["deposits"]["count"] == 0


def test_breakdown_by_month_kind_and_town(client, deals):
    deals.add(awarded=bj(2025, 1, 15), final="100.00", town="中渡镇")
    deals.add(awarded=bj(2025, 3, 15), final="300.00", town="寨沙镇")
    deals.add(kind="procurement", direction="descending", start="1000.00", final="900.00", awarded=bj(2025, 3, 2),
              town="寨沙镇")
    q = {"from": "2025-01-01", "to": "2025-03-31"}
    months = client.get("/api/v1/stats/breakdown", query_string={**q, "by": "month"}).get_json()["items"]
    assert [(m["key"], m["deals"], m["total_amount"]) for m in months] == [
        ("2025-01", 1, "100.00"), ("2025-02", 0, "0.00"), ("2025-03", 2, "1200.00")]
    assert months[1]["savings_rate"] is None and months[2]["savings_rate"] == "0.1000"
    kinds = client.get("/api/v1/stats/breakdown", query_string={**q, "by": "kind"}).get_json()["items"]
    assert [k["key"] for k in kinds] == ["procurement", "rural_land"]
    towns = client.get("/api/v1/stats/breakdown", query_string={**q, "by": "town"}).get_json()["items"]
    assert [(t["key"], t["deals"]) for t in towns] == [("寨沙镇", 2), ("中渡镇", 1)]
    bad = client.get("/api/v1/stats/breakdown", query_string={**q, "by": "week"})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "validation_error"


def test_stats_endpoints_are_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/stats", "/api/v1/stats/breakdown", "/api/v1/ocds/releases", "/api/v1/open-data/rural-deals"):
        assert "get" in paths[path]


def test_award_an_hour_after_period_end_is_excluded(client, deals):
    deals.add(awarded=bj(2025, 2, 28, 23, 59) + timedelta(minutes=2))
    assert get(client, **{"from": "2025-02-01", "to": "2025-02-28"}).get_json()["rural"]["deals"] == 0


def test_an_annulled_award_leaves_the_statistics(app, client, deals):
    from auctions.services import annul_award
    from trading import clock
    from trading.extensions import db
    from trading.projects.models import Project

    pid = deals.add(final="1100.00", awarded=bj(2025, 3, 1))
    q = {"from": "2025-01-01", "to": "2025-12-31"}
    assert get(client, **q).get_json()["rural"]["deals"] == 1
    with app.app_context():
        clock.freeze(bj(2025, 3, 3))
        annul_award(db.session.get(Project, pid), reason="竞得人放弃签约", actor="staff", award_next=False)
        db.session.commit()
    body = get(client, **q).get_json()["rural"]
    assert body["deals"] == 0 and body["total_amount"] == "0.00"
