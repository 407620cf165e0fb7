"""Spreadsheet formula injection (issue 12 finding 5): text from users never becomes a live formula in a CSV or
XLSX export, while money and counts stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.stats.conftest import bj
from trading.extensions import db as _db

Q = "from=2025-01-01&to=2025-12-31"
EVIL = ['=HYPERLINK("http://evil.example/x","点此")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _rename(app, uid: int, name: str) -> None:
    from trading.models import User

    with app.app_context():
        _db.session.get(User, uid).org.name = name
        _db.session.commit()
        _db.session.remove()


def _csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _xlsx(data: bytes):
    """Every data cell (full workbook, not read-only: the cell types are what a spreadsheet program sees)."""
    ws = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    return header, [list(r) for r in ws.iter_rows(min_row=2)]


def _assert_no_formula_text(value: str) -> None:
    assert not value.startswith(TRIGGERS), value


@pytest.mark.parametrize("evil", EVIL)
def test_public_results_exports_neutralise_a_winner_named_like_a_formula(app, client, deals, evil):
    deals.add(title=evil, final="1100.00")
    deals.add(kind="procurement", direction="descending", start="1000.00", budget="1000.00", final="1200.00")
    _rename(app, deals.winner_id, evil)

    rows = _csv_rows(client.get(f"/stats/export/results.csv?{Q}").get_data(as_text=True))
    assert len(rows) == 2
    for row in rows:
        for value in row.values():
            if value.lstrip("-").replace(".", "", 1).isdigit():
                continue  # a plain number (a negative saving) is data, not a formula
            _assert_no_formula_text(value)
    assert rows[0]["竞得人"] == "'" + evil and rows[0]["项目名称"] == "'" + evil
    assert rows[1]["节约资金（元）"] == "-200.00"  # a negative amount stays a plain number

    header, cells = _xlsx(client.get(f"/stats/export/results.xlsx?{Q}").data)
    for row in cells:
        for cell in row:
            assert cell.data_type != "f", cell.value
    first = dict(zip(header, cells[0], strict=True))
    assert first["竞得人"].data_type == "s" and first["竞得人"].value == "'" + evil
    second = dict(zip(header, cells[1], strict=True))
    assert second["节约资金（元）"].data_type == "n" and Decimal(str(second["节约资金（元）"].value)) == Decimal("-200")
    assert second["成交金额（元）"].data_type == "n"


def test_staff_registrations_xlsx_and_csv_carry_an_organisation_name_as_text(app, api, deals, factory, staff):
    from auctions.models import Registration

    evil = EVIL[0]
    pid = deals.add(title="@cmd|' /C calc'!A0")
    bidder, _ = factory.user("bidder", "b_formula", org_name=evil)
    with app.app_context():
        _db.session.add(Registration(project_id=pid, bidder_id=bidder, bidder_no="K01", status="rejected",
                                     security_type="deposit", created_at=bj(2025, 2, 1), reason="=1+1"))
        _db.session.commit()
    header, cells = _xlsx(api.get(f"/stats/export/registrations.xlsx?{Q}", user=staff).data)
    assert len(cells) == 1
    row = dict(zip(header, cells[0], strict=True))
    assert all(c.data_type != "f" for c in cells[0])
    assert row["竞买人"].value == "'" + evil and row["竞买人"].data_type == "s"
    assert row["项目名称"].value.startswith("'@") and row["原因"].value == "'=1+1"

    rows = _csv_rows(api.get(f"/stats/export/registrations.csv?{Q}", user=staff).get_data(as_text=True))
    assert rows[0]["竞买人"] == "'" + evil and rows[0]["原因"] == "'=1+1"


def test_guarantee_export_neutralises_the_applicant(app, api, staff):
    from trading import exports

    spec = exports.DATASETS["guarantees"]
    row = ["G-1", "+担保公司", "-申请人", "T-1", Decimal("-5.00"), "已出具", "", "", "", ""]
    text = "".join(exports.csv_stream(spec, [row]))
    got = _csv_rows(text)[0]
    assert got["担保机构"] == "'+担保公司" and got["申请人"] == "'-申请人" and got["金额（元）"] == "-5.00"
    data = b"".join(exports.xlsx_stream(spec, [row]))
    header, cells = _xlsx(data)
    cell = dict(zip(header, cells[0], strict=True))
    assert cell["申请人"].value == "'-申请人" and cell["金额（元）"].data_type == "n"
