"""Statistics pages: the figures, the work report, public disclosure, exports.

`bp` holds the pages; registering it also registers the JSON API blueprint (stats_api.api_bp, CSRF-exempt),
the `report` CLI command and the navigation links, so the factory needs no other line.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, render_template, request, stream_with_context, url_for

from trading.accounts.guard import page_user
from trading.accounts.models import Role
from trading.clock import now, to_beijing
from trading.money import big, percent
from trading.navigation import by_role
from trading.stats import charts, report
from trading.stats import queries as stats_data
from trading.stats.rules import Period, PeriodError, breakdown, parse_period

bp = Blueprint("stats", __name__)


@bp.record_once
def _setup(state) -> None:
    from trading import navigation
    from trading.extensions import csrf
    from trading.stats.api import api_bp
    from trading.stats.cli import report_cmd

    app = state.app
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    app.cli.add_command(report_cmd)
    navigation.register(nav)


nav = by_role({None: [("数据统计", "stats.index", {}), ("成交公示", "stats.deals", {}), ("开放数据", "stats.open_data", {})],
               Role.STAFF: [("工作报告", "stats.report_page", {})]})


def _today() -> date:
    return to_beijing(now()).date()


def _period() -> tuple[Period | None, str | None]:
    try:
        return parse_period(request.args.get("from"), request.args.get("to"), _today()), None
    except PeriodError as exc:
        return None, str(exc)


def _charts(period: Period, monthly: list[dict], kinds: list[dict], towns: list[dict]) -> dict:
    short = [f"{int(m['key'][5:])}月" if period.start.year == period.end.year else m["key"][2:] for m in monthly]
    return {
        "deals": charts.bars([(s, m["deals"]) for s, m in zip(short, monthly, strict=True)], "每月成交宗数",
                             lambda v: f"{v}宗"),
        "amount": charts.bars([(s, m["total_amount"]) for s, m in zip(short, monthly, strict=True)], "每月成交金额",
                              big, charts.COLORS[1], short=charts.compact),
        "rates": charts.lines(short, [("节资率", [m["savings_rate"] for m in monthly]),
                                      ("溢价率", [m["premium_rate"] for m in monthly])], "每月节资率与溢价率"),
        "kinds": charts.hbars([(k["label"], k["total_amount"]) for k in kinds], "各交易品种成交金额", big),
        "towns": charts.hbars([(t["label"], t["total_amount"]) for t in towns[:12]], "各乡镇成交金额", big,
                              charts.COLORS[2]),
    }


@bp.get("/stats")
def index():
    period, error = _period()
    if period is None:
        return render_template("stats/index.html", error=error, period=None,
                               raw={"from": request.args.get("from", ""), "to": request.args.get("to", "")}), 422
    figures = stats_data.compute(period)
    start, end = period.bounds()
    deals = list(stats_data.deal_rows(start, end))
    monthly, kinds, towns = (breakdown(deals, by, period) for by in ("month", "kind", "town"))
    empty = not deals and not figures["rural"]["listed"] and not figures["guarantees"]["count"]
    return render_template("stats/index.html", period=period, f=figures, monthly=monthly, kinds=kinds,
                           towns=towns, charts=_charts(period, monthly, kinds, towns), empty=empty,
                           raw={"from": period.start.isoformat(), "to": period.end.isoformat()},
                           big=big, percent=percent, error=None)


def _report_periods() -> tuple[Period | None, Period | None, str | None]:
    """The report's period and the optional public-resource one (same start, its own end `public_to`)."""
    period, error = _period()
    if period is None:
        return None, None, error
    raw = (request.args.get("public_to") or "").strip()
    if not raw:
        return period, None, None
    try:
        return period, parse_period(period.start.isoformat(), raw, _today()), None
    except PeriodError as exc:
        return None, None, f"公共资源交易截止日期：{exc}"


@bp.get("/stats/report")
def report_page():
    page_user(Role.STAFF)
    period, public, error = _report_periods()
    keys = ("from", "to", "public_to")
    if period is None:
        return render_template("stats/report.html", error=error, rep=None,
                               raw={k: request.args.get(k, "") for k in keys}), 422
    rep = report.generate(period, public)
    raw = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if public is not None:
        raw["public_to"] = public.end.isoformat()
    return render_template("stats/report.html", rep=rep, error=None, raw=raw)


@bp.get("/stats/report.<fmt>")
def report_download(fmt: str):
    page_user(Role.STAFF)
    period, public, error = _report_periods()
    if period is None:
        abort(422, error)
    rep = report.generate(period, public)
    name = f"work-report-{period.start.isoformat()}-{period.end.isoformat()}"
    if fmt == "txt":
        return Response(rep.text(), mimetype="text/plain; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.txt"'})
    if fmt == "docx":
        return Response(report.to_docx(rep),
                        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        headers={"Content-Disposition": f'attachment; filename="{name}.docx"'})
    abort(404)


@bp.get("/open-data")
def open_data():
    """Links to every open data set: the OCDS package (period and bulk), the national data sets, rural deals."""
    from trading.stats import dataspec

    period, error = _period()
    if period is None:
        return render_template("stats/open_data.html", error=error, period=None, datasets=dataspec.DATASETS,
                               raw={"from": request.args.get("from", ""), "to": request.args.get("to", "")}), 422
    return render_template("stats/open_data.html", error=None, period=period, datasets=dataspec.DATASETS,
                           raw={"from": period.start.isoformat(), "to": period.end.isoformat()})


@bp.get("/open-data/ocds-bulk.json")
def ocds_bulk():
    """Every public-resource release since the first, as one downloadable OCDS release package."""
    import json

    from trading.stats import ocds

    period = Period(date(2000, 1, 1), _today())
    pkg = ocds.release_package(period, url_for("stats.ocds_bulk", _external=True))
    return Response(json.dumps(pkg, ensure_ascii=False), mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="ocds-releases-all.json"'})


@bp.get("/open-data/spec/<dataset>.csv")
def spec_csv(dataset: str):
    from trading.stats import dataspec, exports

    ds = dataspec.DATASETS.get(dataset)
    if ds is None:
        abort(404)
    period, error = _period()
    if period is None:
        abort(422, error)
    spec = exports.Dataset(ds.key, ds.title, ds.columns)
    data = ([row.get(c) for c in ds.columns] for row in dataspec.rows(dataset, period))
    name = f"spec-{dataset}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(stream_with_context(exports.csv_stream(spec, data)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Content-Type-Options": "nosniff"})


@bp.get("/stats/deals")
def deals():
    from trading.stats.disclosure import deal_page

    return deal_page()


@bp.get("/stats/export/<dataset>.<fmt>")
def export(dataset: str, fmt: str):
    from trading.stats import exports

    spec = exports.DATASETS.get(dataset)
    if spec is None or fmt not in ("csv", "xlsx"):
        abort(404)
    exports.check_access(spec)
    period, error = _period()
    if period is None:
        abort(422, error)
    filters = exports.filters_from(request.args)
    rows = exports.rows(dataset, period, filters)
    name = f"{dataset}-{period.start.isoformat()}-{period.end.isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff"}
    if fmt == "csv":
        return Response(stream_with_context(exports.csv_stream(spec, rows)), mimetype="text/csv; charset=utf-8",
                        headers=headers)
    return Response(stream_with_context(exports.xlsx_stream(spec, rows)),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers=headers)

