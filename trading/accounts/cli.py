"""`flask users create`."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from trading.accounts.models import Organisation, OrgKind, Role
from trading.accounts.services import create_org, create_user
from trading.accounts.signals import user_created
from trading.errors import DomainError
from trading.extensions import db

users_cli = AppGroup("users", help="管理用户")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, help="bidder | collective | staff | guarantor | supervisor | expert")
@click.option("--password", required=True)
@click.option("--org", "org_name", default=None,
              help="组织名称；guarantor 用户须为已登记担保机构的 code")
@click.option("--name", "display_name", default="", help="显示名称")
@click.option("--speciality", default=None, help="评标专家的专业代码（expert 用户必填）")
def users_create(username: str, role: str, password: str, org_name: str | None, display_name: str,
                 speciality: str | None) -> None:
    """Create a user (and its organisation when --org is given)."""
    try:
        org = None
        if role == Role.EXPERT and (not org_name or not (speciality or "").strip()):
            raise click.ClickException("expert 用户必须用 --org 指定工作单位、用 --speciality 指定专业代码")
        if role != Role.EXPERT and speciality:
            raise click.ClickException("--speciality 仅适用于 expert 用户")
        if role == Role.GUARANTOR:
            if not org_name:
                raise click.ClickException("guarantor 用户必须用 --org 指定已登记的担保机构 code")
            org = db.session.execute(select(Organisation).where(Organisation.code == org_name,
                                                                Organisation.kind == OrgKind.GUARANTOR)
                                     ).scalar_one_or_none()
            if org is None:
                raise click.ClickException(f"担保机构 {org_name} 尚未登记")
        elif org_name:
            org = db.session.execute(select(Organisation).where(Organisation.name == org_name)).scalar_one_or_none()
            if org is None:
                kind = {Role.COLLECTIVE: OrgKind.VILLAGE_COLLECTIVE, Role.STAFF: OrgKind.CENTER}.get(
                    role, OrgKind.COMPANY)
                org = create_org(org_name, kind, None, actor="cli")
        user = create_user(username, password, role, display_name=display_name, org=org, actor="cli",
                           check_strength=False)
        user_created.send(user, speciality=(speciality or "").strip() or None, actor="cli")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"已创建用户 {user.username}（{user.role}）")
