"""`flask --app wsgi report --from YYYY-MM-DD --to YYYY-MM-DD`: print the work report (or write .docx)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from trading.clock import now, to_beijing
from trading.stats.rules import PeriodError, parse_period


@click.command("report")
@click.option("--from", "date_from", default=None, help="起始日期 YYYY-MM-DD（北京时间，含当日）")
@click.option("--to", "date_to", default=None, help="截止日期 YYYY-MM-DD（北京时间，含当日）")
@click.option("--public-to", "public_to", default=None,
              help="公共资源交易数据截止日期 YYYY-MM-DD（可选；例如报告写 1—5月公共资源交易、1—6月农村产权时用）")
@click.option("--docx", "docx_path", default=None, type=click.Path(dir_okay=False),
              help="另存为 Word 文档（.docx）")
@with_appcontext
def report_cmd(date_from: str | None, date_to: str | None, public_to: str | None, docx_path: str | None) -> None:
    """Generate the work-report paragraphs for a period (and the public-resource one, in the same run)."""
    from trading.stats import report

    try:
        today = to_beijing(now()).date()
        period = parse_period(date_from, date_to, today)
        public = parse_period(period.start.isoformat(), public_to, today) if public_to else None
    except PeriodError as exc:
        raise click.ClickException(str(exc)) from None
    rep = report.generate(period, public)
    click.echo(rep.text(), nl=False)
    if docx_path:
        Path(docx_path).write_bytes(report.to_docx(rep))
        click.echo(f"已保存 {docx_path}", err=True)
