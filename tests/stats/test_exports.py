"""CSV/XLSX exports: content, numeric money cells, filters, staff-only datasets, streaming."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.stats.conftest import bj

Q = "from=2025-01-01&to=2025-12-31"


def test_results_csv_streams_with_bom_and_exact_amounts(client, deals):
    deals.add(kind="rural_land", unit="per_mu_year", area="10.00", term=5, start="100.00", final="120.00")
    deals.add(kind="procurement", direction="descending", start="1000.00", budget="1000.00", final="900.00")
    deals.add(status="failed", final=None)
    r = client.get(f"/stats/export/results.csv?{Q}")
    assert r.status_code == 200 and r.is_streamed
    assert r.mimetype == "text/csv"
    text = r.get_data(as_text=True)
    assert text.startswith("\ufeff项目编号,")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [row["结果"] for row in rows] == ["成交", "成交", "流拍"]
    assert rows[0]["成交金额（元）"] == "6000.00" and rows[0]["溢价率"] == "0.2000"
    assert rows[1]["节约资金（元）"] == "100.00" and rows[1]["节资率"] == "0.1000"
    assert rows[2]["成交金额（元）"] == ""


def test_projects_xlsx_keeps_money_numeric_and_applies_filters(client, deals):
    deals.add(kind="rural_land", start="1234.56", town="中渡镇")
    deals.add(kind="rural_asset", start="99.00", town="寨沙镇")
    r = client.get(f"/stats/export/projects.xlsx?{Q}&town=中渡镇")
    assert r.status_code == 200 and r.is_streamed
    ws = load_workbook(io.BytesIO(r.data), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "项目编号" and len(rows) == 2
    header = list(rows[0])
    assert rows[1][header.index("乡镇")] == "中渡镇"
    assert rows[1][header.index("起始价（元）")] == pytest.approx(1234.56)


def test_projects_export_respects_the_period(client, deals):
    deals.add(approved=bj(2024, 12, 31, 23, 0))
    deals.add(approved=bj(2025, 1, 1, 0, 0))
    text = client.get(f"/stats/export/projects.csv?{Q}").get_data(as_text=True)
    assert text.count("\n") == 2  # header + the 1 January listing


@pytest.mark.parametrize("dataset", ["registrations", "guarantees"])
def test_registrations_and_guarantees_are_staff_only(client, api, factory, staff, dataset):
    assert client.get(f"/stats/export/{dataset}.csv?{Q}").status_code == 401
    _, bidder = factory.user("bidder", "nosy")
    assert api.get(f"/stats/export/{dataset}.csv?{Q}", user=bidder).status_code == 403
    r = api.get(f"/stats/export/{dataset}.xlsx?{Q}", user=staff)
    assert r.status_code == 200
    assert len(list(load_workbook(io.BytesIO(r.data), read_only=True).active.iter_rows(values_only=True))) == 1


def test_registrations_export_lists_bidder_numbers(app, client, api, deals, factory, staff):
    from auctions.models import Registration
    from trading.extensions import db

    pid = deals.add()
    bidder, _ = factory.user("bidder", "b_export")
    with app.app_context():
        db.session.add(Registration(project_id=pid, bidder_id=bidder, bidder_no="K07", status="qualified",
                                    security_type="deposit", created_at=bj(2025, 2, 1)))
        db.session.commit()
    text = api.get(f"/stats/export/registrations.csv?{Q}", user=staff).get_data(as_text=True)
    assert "K07" in text and "现金保证金" in text and "已通过" in text


def test_unknown_dataset_or_format_is_404_and_bad_dates_422(client):
    assert client.get(f"/stats/export/bids.csv?{Q}").status_code == 404
    assert client.get(f"/stats/export/results.pdf?{Q}").status_code == 404
    assert client.get("/stats/export/results.csv?from=2025-02-30").status_code == 422


def test_large_export_is_produced_in_chunks(client, deals, monkeypatch):
    from trading.stats import exports

    monkeypatch.setattr(exports, "BATCH", 2)
    for _ in range(5):
        deals.add()
    r = client.get(f"/stats/export/results.csv?{Q}", buffered=False)
    chunks = [c for c in r.response if c]
    assert len(chunks) >= 3
    r.close()
