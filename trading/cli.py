"""Flask CLI of the core: scheduler, sweep. The packages add their own commands (users, demo, report, keys)."""

from __future__ import annotations

import click
from flask import Flask, current_app


@click.command("scheduler")
@click.option("--interval", default=1.0, show_default=True, help="扫描间隔（秒）")
def scheduler_cmd(interval: float) -> None:
    """Run the scheduler in the foreground until SIGTERM/SIGINT."""
    from trading.scheduler import run

    run(current_app._get_current_object(), interval)  # type: ignore[attr-defined]


@click.command("sweep")
def sweep_cmd() -> None:
    """Run every due job once and exit."""
    from trading.jobs import sweep

    click.echo(sweep())


def init_app(app: Flask) -> None:
    app.cli.add_command(scheduler_cmd)
    app.cli.add_command(sweep_cmd)
