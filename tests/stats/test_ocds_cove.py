"""The OCDS packages pass the standard's own review library (libcoveocds), offline, with zero errors."""

from __future__ import annotations

import copy

import pytest

from tests.stats.ocds_cove import errors, review
from trading import interop

URL = "/api/v1/ocds/releases?from=2025-01-01&to=2025-06-30"


@pytest.fixture(scope="module")
def luzhai_package(app):
    """The reproduction county's package (鹿寨, 1—6月), built once for the module."""
    from trading.demo.datasets import load_luzhai_2025h1
    from trading.extensions import db

    with app.app_context():
        load_luzhai_2025h1()
        db.session.remove()
    pkg = app.test_client().get(URL).get_json()
    yield pkg
    from tests.conftest import _tables
    with app.app_context():
        for t in _tables():
            db.session.execute(db.metadata.tables[t].delete())
        db.session.commit()
        db.session.remove()


def test_the_demo_county_package_has_no_errors(luzhai_package):
    pkg = luzhai_package
    assert len(pkg["releases"]) >= 69
    assert errors(pkg) == []
    ctx = review(pkg)
    assert ctx["validation_errors"] == [] and ctx["unique_ocids_count"] == len(pkg["releases"])


@pytest.mark.parametrize("path", [("ocid",), ("id",), ("date",), ("tag",), ("initiationType",),
                                  ("awards", 0, "id"), ("contracts", 0, "awardID")])
def test_removing_a_required_field_is_an_error(luzhai_package, path):
    pkg = copy.deepcopy(luzhai_package)
    rel = next(r for r in pkg["releases"] if "contracts" in r)
    node = rel
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    found = errors(pkg)
    assert any(path[-1] in line and "required" in line for line in found), found


@pytest.mark.parametrize("key", ["uri", "publisher", "publishedDate", "releases", "version"])
def test_removing_a_required_package_field_is_an_error(luzhai_package, key):
    pkg = copy.deepcopy(luzhai_package)
    del pkg[key]
    assert any(key in line and "required" in line for line in errors(pkg))


def test_a_code_outside_a_closed_codelist_is_an_error(luzhai_package):
    pkg = copy.deepcopy(luzhai_package)
    pkg["releases"][0]["tender"]["status"] = "finished"
    assert any("tenderStatus" in line for line in errors(pkg))


def test_a_registered_source_adds_its_releases_and_extensions(client, deals):
    """The hook the tenders package fills: its releases and extension URLs join the package."""
    deals.add(kind="procurement", direction="descending", start="1000.00", budget="1200.00", final="950.50")

    def tender_releases(start, end):
        return [{"ocid": "ocds-thall01-ZB-0001", "id": "ZB-0001-1", "date": "2025-03-01T02:00:00Z",
                 "tag": ["tender"], "initiationType": "tender", "language": "zh",
                 "tender": {"id": "ZB-0001", "title": "测试招标", "status": "active"}}]

    interop.register_ocds_source("test-tenders", tender_releases, extensions=[])
    try:
        pkg = client.get("/api/v1/ocds/releases?from=2025-01-01&to=2025-12-31").get_json()
    finally:
        interop.OCDS_SOURCES.pop("test-tenders")
    assert [r["ocid"] for r in pkg["releases"]][-1] == "ocds-thall01-ZB-0001"
    assert len(pkg["releases"]) == 2 and errors(pkg) == []
