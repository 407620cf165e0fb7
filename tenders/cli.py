"""`flask experts list|suspend|resume` (the expert pool). Experts are created with
`flask users create NAME --role expert --org ORG --speciality CODE` (trading.cli sends user_created)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from tenders import pool
from trading.errors import DomainError
from trading.extensions import db

experts_cli = AppGroup("experts", help="评标专家库")


@experts_cli.command("list")
@click.option("--speciality", default=None, help="只列出该专业")
def list_cmd(speciality: str | None) -> None:
    rows = pool.list_experts(speciality)
    for p in rows:
        state = f"暂停（{p.suspend_reason}）" if p.suspended_at else "可抽取"
        org = p.user.org.name if p.user.org else "—"
        click.echo(f"{p.user.username}\t{p.speciality}\t{org}\t{state}")
    click.echo(f"共 {len(rows)} 名专家")


@experts_cli.command("suspend")
@click.argument("username")
@click.option("--reason", required=True, help="暂停原因")
def suspend_cmd(username: str, reason: str) -> None:
    try:
        pool.suspend("cli", username, reason)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"已暂停专家 {username}")


@experts_cli.command("resume")
@click.argument("username")
def resume_cmd(username: str) -> None:
    try:
        pool.resume("cli", username)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"已恢复专家 {username}")
