"""docs/data-spec.md maps every exported field: its tables are compared with the keys the code emits — the national
data sets' columns (and the keys a project row is built with), the rural deals of /api/v1/open-data/rural-deals,
and every OCDS path of the auction releases. (Push payloads: tests/stats/test_push_events.py; tenders:
tests/tenders/test_interop_doc.py.)"""

from __future__ import annotations

from tests.stats.data_spec_doc import OCDS, documented_paths, fields, paths

CREDIT = "12450223MB1234567X"


def test_every_data_set_column_is_documented_once_and_nothing_else():
    from trading.stats.dataspec import DATASETS

    common = fields("Fields common to every data set")
    for key, ds in DATASETS.items():
        documented = common + fields(key)
        assert len(documented) == len(set(documented)), key
        assert set(documented) == set(ds.columns), (key, set(documented) ^ set(ds.columns))


def test_a_projects_row_is_built_with_exactly_the_documented_columns(app, deals):
    """`record` builds every key of its data set (a key it built and the data set lacks would be dropped silently)."""
    from trading.clock import isoformat, now
    from trading.extensions import db
    from trading.projects.models import Project
    from trading.stats.dataspec import DATASETS, record

    kinds = {"construction": "construction", "procurement": "procurement", "state_land": "land_use",
             "rural": "rural_land"}
    ids = {key: deals.add(kind=kind, direction="descending" if key in ("construction", "procurement") else "ascending",
                          budget="1200.00" if key == "procurement" else None)
           for key, kind in kinds.items()}
    with app.app_context():
        for key, pid in ids.items():
            row = record(DATASETS[key], db.session.get(Project, pid), isoformat(now()))
            assert set(row) == set(DATASETS[key].columns), (key, set(row) ^ set(DATASETS[key].columns))
        db.session.remove()


def test_the_rural_deals_feed_has_exactly_the_documented_fields(app, client, deals):
    deals.add(kind="rural_land", unit="per_mu_year", area="12.50", term=5, start="800.00", final="880.00")
    body = client.get("/api/v1/open-data/rural-deals?from=2025-01-01&to=2025-12-31").get_json()
    assert body["成交宗数"] == 1
    assert paths(body) == set(fields("Rural deals as open data"))


def test_the_rural_deals_feed_carries_the_unified_code_of_the_rural_data_set(app, client, deals):
    old = app.config.get("TRADING_CENTER_CREDIT_CODE")
    app.config["TRADING_CENTER_CREDIT_CODE"] = CREDIT
    try:
        deals.add(kind="rural_land", unit="per_mu_year", area="12.50", term=5, start="800.00", final="880.00")
        q = "from=2025-01-01&to=2025-12-31"
        (item,) = client.get(f"/api/v1/open-data/rural-deals?{q}").get_json()["items"]
        (row,) = client.get(f"/api/v1/open-data/spec/rural?{q}").get_json()["items"]
    finally:
        app.config["TRADING_CENTER_CREDIT_CODE"] = old
    assert item["统一交易标识码"] == row["统一交易标识码"] and len(item["统一交易标识码"]) == 33
    assert item["项目编号"] == "T-0001" != item["统一交易标识码"]


def test_every_path_of_the_auction_releases_is_documented(app, client, deals):
    deals.add(kind="procurement", direction="descending", start="1000.00", budget="1200.00", final="950.50")
    deals.add(kind="construction", direction="descending", status="failed", final=None)
    deals.add(kind="land_use", direction="ascending", start="5000000.00", final="5600000.00", status="certified")
    deals.add(kind="state_asset", direction="ascending", status="withdrawn", final=None)
    pkg = client.get("/api/v1/ocds/releases?from=2025-01-01&to=2025-12-31").get_json()
    assert len(pkg["releases"]) == 4
    emitted = set().union(*(paths(r) for r in pkg["releases"]))
    assert {"bids.statistics[].value", "contracts[].awardID", "parties[].identifier.id"} <= emitted
    assert emitted - documented_paths(OCDS, 1) == set()
