"""Tendering in the open-data exports: OCDS releases with the lots extension (tender.lots, relatedLots) — bids
only once a lot's prices are revealed — that pass libcoveocds's core-schema validation offline, and the national
data sets' construction / procurement rows for awarded lots."""

from __future__ import annotations

import copy

from tests.tenders.conftest import org
from trading import clock

PRICES = {"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"}
CREDIT = "12450223MB1234567X"


def _window() -> str:
    d = clock.now().astimezone(clock.BEIJING).date()
    return f"from={d.replace(day=1).isoformat()}&to={d.replace(year=d.year + 1).isoformat()}"


def _tender_release(api, code: str) -> dict:
    pkg = api.get(f"/api/v1/ocds/releases?{_window()}").get_json()
    return pkg, next(r for r in pkg["releases"] if r["tender"]["id"] == code)


def _awarded(hall, api) -> int:
    lot_id = hall.opened_lot(PRICES)
    hall.experts(5)
    members = hall.committee(lot_id)
    hall.score_all(lot_id, members, {org(n): {"tech": "40", "biz": "10"} for n in PRICES})
    assert api.post(f"/api/v1/lots/{lot_id}/publicize", user=hall.staff).status_code == 200
    clock.advance(3 * 86400 + 1)
    assert api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff).status_code == 200
    return lot_id


def test_before_the_opening_the_release_names_no_bidder_and_no_bid(app, hall, api):
    t = hall.tender()
    lot_id = t["lots"][0]["id"]
    for name in PRICES:
        hall.bidder(name)
        hall.register(lot_id, name)
        assert hall.bid(lot_id, name, PRICES[name]).status_code == 200
    _pkg, rel = _tender_release(api, t["code"])
    assert rel["tender"]["lots"][0]["id"] == "lot-1" and rel["tender"]["lots"][0]["value"]["amount"] == 1000000
    assert "bids" not in rel and "numberOfTenderers" not in rel["tender"] and "awards" not in rel
    assert [p["roles"] for p in rel["parties"]] == [["buyer"]]
    text = str(rel)
    assert all(org(n) not in text for n in PRICES)


def test_an_awarded_lot_is_a_release_with_lots_bids_and_an_award_that_libcoveocds_accepts(app, hall, api,
                                                                                          signing_keys):
    from tests.stats.ocds_cove import errors, review

    lot_id = _awarded(hall, api)
    from tenders.models import Lot
    from trading.extensions import db

    with app.app_context():
        code = db.session.get(Lot, lot_id).tender.code
        db.session.remove()
    pkg, rel = _tender_release(api, code)
    assert rel["ocid"] == "ocds-thall01-" + code and rel["tag"] == ["tender", "award"]
    assert {b["tenderers"][0]["name"]: b["value"]["amount"] for b in rel["bids"]["details"]} == {
        org("alpha"): 900000, org("beta"): 950000, org("gamma"): 980000}
    assert all(b["relatedLots"] == ["lot-1"] for b in rel["bids"]["details"])
    (award,) = rel["awards"]
    assert award["relatedLots"] == ["lot-1"] and award["value"] == {"amount": 900000, "currency": "CNY"}
    assert award["suppliers"][0]["name"] == org("alpha")
    assert rel["tender"]["status"] == "complete" and rel["tender"]["lots"][0]["status"] == "complete"
    assert any("ocds_lots_extension" in e for e in pkg["extensions"])
    # libcoveocds validates offline against the vendored core schema: the extensions' fields (tender.lots,
    # relatedLots, bids) are reported as additional fields, never as errors; the extension schemas themselves are
    # not vendored, so the package is reviewed without its "extensions" list (which libcoveocds would download)
    core = copy.deepcopy(pkg)
    core.pop("extensions")
    assert errors(core) == []
    assert review(core)["validation_errors"] == []
    broken = copy.deepcopy(core)
    del next(r for r in broken["releases"] if "lots" in r["tender"])["awards"][0]["id"]
    assert any("id" in line and "required" in line for line in errors(broken))


def test_awarded_lots_are_rows_of_the_construction_data_set(app, hall, api, signing_keys):
    old = app.config.get("TRADING_CENTER_CREDIT_CODE")
    app.config["TRADING_CENTER_CREDIT_CODE"] = CREDIT
    try:
        _awarded(hall, api)
        body = api.get(f"/api/v1/open-data/spec/construction?{_window()}").get_json()
        procurement = api.get(f"/api/v1/open-data/spec/procurement?{_window()}").get_json()
    finally:
        app.config["TRADING_CENTER_CREDIT_CODE"] = old
    (row,) = [r for r in body["items"] if r["中标人名称"] == org("alpha")]
    assert row["中标金额"] == "900000.00" and row["最高投标限价"] == "1000000.00"
    assert row["标段（包）编号"].endswith("-001") and row["交易方式"] == "公开招标"
    assert len(row["统一交易标识码"]) == 33 and row["统一交易标识码"].startswith(CREDIT)
    assert row["招标人名称"] == "寨沙镇人民政府"
    assert not [r for r in procurement["items"] if r["中标（成交）供应商名称"] == org("alpha")]  # a works tender
