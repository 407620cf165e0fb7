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
@click.option("--docx", "docx_path", default=None, type=click.Path(dir_okay=False),
              help="另存为 Word 文档（.docx）")
@with_appcontext
def report_cmd(date_from: str | None, date_to: str | None, docx_path: str | None) -> None:
    """Generate the work-report paragraphs for a period."""
    from trading.stats import report

    try:
        period = parse_period(date_from, date_to, to_beijing(now()).date())
    except PeriodError as exc:
        raise click.ClickException(str(exc)) from None
    rep = report.generate(period)
    click.echo(rep.text(), nl=False)
    if docx_path:
        Path(docx_path).write_bytes(report.to_docx(rep))
        click.echo(f"已保存 {docx_path}", err=True)
