"""CSV and XLSX exports, streamed: rows come from the database in batches and leave as they are written.

XLSX uses openpyxl's write-only workbook (rows spill to a temporary file), then the finished file is
sent in chunks, so a large period never sits in memory as a whole.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from flask import abort
from sqlalchemy import or_, select

from trading.clock import display
from trading.extensions import db
from trading.models import Project
from trading.money import rate, rate_str
from trading.rules import DIRECTION_LABELS, KIND_LABELS, METHOD_LABELS, UNIT_LABELS
from trading.states import STATUS_LABELS, ProjectStatus
from trading.statistics import DealRow, Period, deal_total, start_total

BATCH = 500


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    columns: tuple[str, ...]
    staff_only: bool = False


DATASETS = {
    "projects": Dataset("projects", "交易项目", (
        "项目编号", "项目名称", "交易品种", "所在地", "乡镇", "状态", "交易方式", "竞价方向", "计价单位", "面积（亩）",
        "期限（年）", "起始价（元）", "预算/最高限价（元）", "保证金（元）", "挂牌时间", "报名截止", "竞价开始", "竞价结束")),
    "results": Dataset("results", "交易结果", (
        "项目编号", "项目名称", "交易品种", "乡镇", "结果", "成交价（元）", "计价单位", "成交金额（元）",
        "起始总价（元）", "溢价率", "节约资金（元）", "节资率", "竞得人", "出价次数", "成交时间", "公示截止")),
    "registrations": Dataset("registrations", "报名记录", (
        "项目编号", "项目名称", "竞买号", "竞买人", "保证方式", "状态", "报名时间", "审核时间", "原因"), True),
    "guarantees": Dataset("guarantees", "电子保函", (
        "保函编号", "担保机构", "申请人", "项目编号", "金额（元）", "状态", "有效期起", "有效期止", "出具时间",
        "提交时间"), True),
}

SECURITY_LABELS = {"guarantee": "电子保函", "deposit": "现金保证金"}
GUARANTEE_LABELS = {"issued": "已出具", "attached": "已提交", "released": "已释放", "claimed": "已索赔",
                    "paid": "已赔付", "expired": "已过期"}
REG_LABELS = {"pending": "待审核", "qualified": "已通过", "rejected": "已驳回", "withdrawn": "已撤回"}


def check_access(spec: Dataset) -> None:
    """Registrations and guarantees are for the center's staff only (token or signed-in session)."""
    from trading.apiutil import bearer_user

    if not spec.staff_only:
        return
    user = bearer_user()
    if user is None:
        abort(401)
    if user.role != "staff":
        abort(403)


def filters_from(args) -> dict:
    return {k: (args.get(k) or "").strip() or None for k in ("kind", "town", "status", "q")}


def _filtered(stmt, f: dict):
    if f.get("kind"):
        stmt = stmt.where(Project.kind == f["kind"])
    if f.get("town"):
        stmt = stmt.where(Project.town == f["town"])
    if f.get("status"):
        stmt = stmt.where(Project.status == f["status"])
    if f.get("q"):
        like = f"%{f['q']}%"
        stmt = stmt.where(or_(Project.title.like(like), Project.location.like(like), Project.code.like(like)))
    return stmt


def _stream(stmt) -> Iterator:
    yield from db.session.execute(stmt.execution_options(yield_per=BATCH)).scalars()


def _project_rows(period: Period, f: dict) -> Iterator[list]:
    start, end = period.bounds()
    stmt = _filtered(select(Project).where(Project.approved_at >= start, Project.approved_at < end), f)
    for p in _stream(stmt.order_by(Project.approved_at, Project.id)):
        yield [p.code, p.title, KIND_LABELS.get(p.kind, p.kind), p.location, p.town or "",
               STATUS_LABELS.get(ProjectStatus(p.status), p.status), METHOD_LABELS.get(p.method, p.method),
               DIRECTION_LABELS.get(p.direction, p.direction), UNIT_LABELS.get(p.price_unit, p.price_unit),
               p.area_mu, p.term_years, p.start_price, p.budget, p.deposit, display(p.approved_at),
               display(p.registration_end), display(p.bidding_start), display(p.bidding_end)]


def _result_rows(period: Period, f: dict) -> Iterator[list]:
    start, end = period.bounds()
    stmt = select(Project).where(Project.closed_at.is_not(None), or_(
        (Project.awarded_at >= start) & (Project.awarded_at < end),
        Project.awarded_at.is_(None) & (Project.closed_at >= start) & (Project.closed_at < end)))
    stmt = _filtered(stmt, f).where(Project.status.in_(("awarded", "certified", "failed")))
    for p in _stream(stmt.order_by(Project.closed_at, Project.id)):
        won = p.status in ("awarded", "certified") and p.final_price is not None
        row = DealRow(p.id, p.kind, p.direction, p.price_unit, p.area_mu, p.term_years, p.start_price, p.budget,
                      p.final_price or p.start_price, p.awarded_at or p.closed_at, p.town)
        total, st = (deal_total(row), start_total(row)) if won else (None, start_total(row))
        premium = savings = savings_rate = None
        if won and p.direction == "ascending":
            premium = rate_str(rate(total - st, st))  # type: ignore[operator]
        if won and p.direction == "descending":
            budget = p.budget if p.budget is not None else st
            savings = budget - total  # type: ignore[operator]
            savings_rate = rate_str(rate(savings, budget))
        yield [p.code, p.title, KIND_LABELS.get(p.kind, p.kind), p.town or "",
               "成交" if won else "流拍", p.final_price if won else None, UNIT_LABELS.get(p.price_unit, p.price_unit),
               total, st, premium, savings, savings_rate, p.winner.name if won and p.winner else "",
               p.bid_count, display(p.awarded_at), display(p.publicity_ends_at)]


def _registration_rows(period: Period, f: dict) -> Iterator[list]:
    from auctions.models import Registration

    start, end = period.bounds()
    stmt = (select(Registration).join(Project, Project.id == Registration.project_id)
            .where(Registration.created_at >= start, Registration.created_at < end))
    for r in _stream(_filtered(stmt, f).order_by(Registration.created_at, Registration.id)):
        yield [r.project.code, r.project.title, r.bidder_no, r.bidder.name,
               SECURITY_LABELS.get(r.security_type, r.security_type), REG_LABELS.get(r.status, r.status),
               display(r.created_at), display(r.decided_at), r.reason or ""]


def _guarantee_rows(period: Period, f: dict) -> Iterator[list]:
    from guarantees.models import Guarantee

    start, end = period.bounds()
    stmt = select(Guarantee).where(Guarantee.issued_at >= start, Guarantee.issued_at < end)
    if f.get("q"):
        like = f"%{f['q']}%"
        stmt = stmt.where(or_(Guarantee.guarantee_no.like(like), Guarantee.project_code.like(like),
                              Guarantee.applicant.like(like)))
    for g in _stream(stmt.order_by(Guarantee.issued_at, Guarantee.id)):
        yield [g.guarantee_no, g.guarantor.name, g.applicant, g.project_code, g.amount,
               GUARANTEE_LABELS.get(g.status, g.status), display(g.valid_from), display(g.valid_until),
               display(g.issued_at), display(g.attached_at)]


def rows(dataset: str, period: Period, filters: dict) -> Iterator[list]:
    return {"projects": _project_rows, "results": _result_rows, "registrations": _registration_rows,
            "guarantees": _guarantee_rows}[dataset](period, filters)


# OWASP's CSV-injection rule: a cell a spreadsheet program would read as a formula (or as a DDE call) starts with
# one of these; such text gets a leading apostrophe, which shows as text and is never evaluated.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def safe_text(value: str) -> str:
    """Spreadsheet-safe text: the one helper every CSV/XLSX export passes its text cells through. A plain
    decimal number written as text by our own code (e.g. a negative rate "-0.0500") is left alone: it is a
    number, not a formula."""
    if value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, str):
        return safe_text(v)
    return str(v)


def csv_stream(spec: Dataset, data: Iterable[list]) -> Iterator[str]:
    """UTF-8 CSV with a BOM (so spreadsheet programs read the Chinese), flushed every BATCH rows."""
    buf = io.StringIO()
    buf.write("\ufeff")
    csv.writer(buf).writerow(spec.columns)
    # every data field quoted: a spreadsheet set to ';' as separator then cannot split "a;=1+1" into a formula cell
    w = csv.writer(buf, quoting=csv.QUOTE_ALL)
    for i, row in enumerate(data, 1):
        w.writerow([_cell(v) for v in row])
        if i % BATCH == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def xlsx_stream(spec: Dataset, data: Iterable[list], chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A write-only workbook: money stays numeric (Decimal), one header row, then the file in chunks. Text is
    written as string cells (data_type 's': openpyxl would otherwise store a value starting with "=" as a
    formula) and neutralised like the CSV, so it stays text even when a user edits the cell."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(spec.title)

    def cell(v):
        if not isinstance(v, str):
            return v
        c = WriteOnlyCell(ws, value=safe_text(v))
        c.data_type = "s"
        return c

    ws.append([cell(v) for v in spec.columns])
    for row in data:
        ws.append([cell(v) for v in row])
    with tempfile.TemporaryFile() as fh:
        wb.save(fh)
        fh.seek(0)
        while block := fh.read(chunk):
            yield block
