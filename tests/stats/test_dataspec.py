"""The national data sets: the unified transaction code, JSON and CSV for a date range, the tenders hook."""

from __future__ import annotations

import csv
import io

import pytest

from trading import interop
from trading.stats.dataspec import ALPHABET, DATASETS, mod37_2, unified_code

CREDIT = "12450223MB1234567X"


def _iso7064_valid(code: str) -> bool:
    """ISO 7064 pure system MOD 37-2, checked the other way round: Σ a_i·2^(i-1) ≡ 1 (mod 37), i from the right."""
    return sum(ALPHABET.index(c) * pow(2, i, 37) for i, c in enumerate(reversed(code))) % 37 == 1


@pytest.fixture
def credit(app):
    old = app.config.get("TRADING_CENTER_CREDIT_CODE")
    app.config["TRADING_CENTER_CREDIT_CODE"] = CREDIT
    yield
    app.config["TRADING_CENTER_CREDIT_CODE"] = old


def test_the_unified_code_is_33_characters_with_a_mod_37_2_check():
    code = unified_code(CREDIT, "20250314", 42)
    assert len(code) == 33 and code.startswith(CREDIT + "20250314000042")
    assert _iso7064_valid(code)
    assert not _iso7064_valid(code[:-2] + "3" + code[-1])  # one wrong character is caught
    assert mod37_2(CREDIT + "20250314000043") != code[-1]


def test_each_data_set_of_the_dataset_county(client, luzhai, credit):
    seen: set[str] = set()
    counts = {}
    for key, ds in DATASETS.items():
        body = client.get(f"/api/v1/open-data/spec/{key}?from=2025-01-01&to=2025-06-30").get_json()
        counts[key] = body["条数"]
        assert [f["名称"] for f in body["字段"]] == list(ds.columns)
        for item in body["items"]:
            assert list(item) == list(ds.columns)
            code = item["统一交易标识码"]
            assert len(code) == 33 and code.startswith(CREDIT) and _iso7064_valid(code)
            assert code not in seen
            seen.add(code)
    assert counts["rural"] == 38  # the 38 completed transfers of 1—6月 (test_reproduction)
    assert counts["construction"] + counts["procurement"] + counts["state_land"] == 70  # 69 in 1—5月 + 1 in June
    assert all(counts.values())


def test_csv_matches_json_and_neutralises_formulas(client, deals, credit):
    deals.add(kind="procurement", direction="descending", start="1000.00", budget="1200.00", final="950.50",
              title="=HYPERLINK(\"http://x\")")
    body = client.get("/api/v1/open-data/spec/procurement?from=2025-01-01&to=2025-12-31").get_json()
    r = client.get("/open-data/spec/procurement.csv?from=2025-01-01&to=2025-12-31")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == list(DATASETS["procurement"].columns)
    assert len(rows) == 2 and body["条数"] == 1
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["项目名称"] == "'=HYPERLINK(\"http://x\")"
    assert row["中标（成交）金额"] == body["items"][0]["中标（成交）金额"] == "950.50"
    assert row["预算金额"] == "1200.00" and row["统一交易标识码"] == body["items"][0]["统一交易标识码"]


def test_a_reversed_range_is_refused(client):
    r = client.get("/api/v1/open-data/spec/construction?from=2025-06-30&to=2025-01-01")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"
    assert client.get("/open-data/spec/construction.csv?from=2025-06-30&to=2025-01-01").status_code == 422
    assert client.get("/api/v1/open-data/spec/nowhere?from=2025-01-01&to=2025-06-30").status_code == 404


def test_registered_tender_rows_join_their_data_set(client, deals, credit):
    def tender_rows(start, end):
        return [{"统一交易标识码": "X" * 33, "项目编号": "ZB-1", "项目名称": "某道路工程施工", "中标金额": "100.00",
                 "not_a_column": "dropped"}]

    interop.register_spec_rows("construction", "test-tenders", tender_rows)
    try:
        body = client.get("/api/v1/open-data/spec/construction?from=2025-01-01&to=2025-12-31").get_json()
    finally:
        interop.SPEC_ROWS["construction"].pop("test-tenders")
    assert body["条数"] == 1 and body["items"][0]["项目编号"] == "ZB-1"
    assert "not_a_column" not in body["items"][0] and body["items"][0]["中标人名称"] is None


def test_the_open_data_page_links_the_package_the_bulk_download_and_the_data_sets(client, deals):
    deals.add(kind="land_use", direction="ascending", start="5000000.00", final="5600000.00")
    html = client.get("/open-data?from=2025-01-01&to=2025-06-30").get_data(as_text=True)
    assert "/api/v1/ocds/releases?from=2025-01-01" in html and "/open-data/ocds-bulk.json" in html
    for key in DATASETS:
        assert f"/open-data/spec/{key}.csv?from=2025-01-01" in html
    bulk = client.get("/open-data/ocds-bulk.json")
    assert bulk.status_code == 200 and "attachment" in bulk.headers["Content-Disposition"]
    assert [r["tender"]["id"] for r in bulk.get_json()["releases"]] == ["T-0001"]
    assert client.get("/open-data?from=2025-06-30&to=2025-01-01").status_code == 422
