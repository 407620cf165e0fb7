"""`flask demo`: load demonstration data."""

from __future__ import annotations

import sys

import click

from trading.demo import loader
from trading.errors import DomainError
from trading.extensions import db


@click.command("demo")
@click.option("--dataset", default=None, help="可选数据集，如 luzhai-2025h1")
@click.option("--if-empty", is_flag=True, help="仅当数据库为空时加载")
def demo_cmd(dataset: str | None, if_empty: bool) -> None:
    """Load demonstration data (idempotent)."""
    try:
        loader.load(dataset, if_empty=if_empty)
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(1)
