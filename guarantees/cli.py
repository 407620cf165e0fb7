"""CLI: `flask --app wsgi guarantees ...` for integrators and operators."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from guarantees import client
from guarantees.crypto import LABELS
from trading.clock import parse_rfc3339
from trading.errors import DomainError
from trading.extensions import db

cli = AppGroup("guarantees", help="电子保函：密钥、签名提交、担保机构登记")


def _instant(raw: str | None):
    if not raw:
        return None
    try:
        return parse_rfc3339(raw)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command("keygen")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="私钥输出路径（PEM，权限 0600）")
@click.option("--algorithm", type=click.Choice(list(client.ALGORITHMS)), default="ed25519", show_default=True)
def keygen(out: str, algorithm: str) -> None:
    """Generate a signing key; prints the public key PEM to register with the center."""
    if Path(out).exists():
        raise click.ClickException(f"{out} 已存在，不会覆盖")
    click.echo(client.generate_key(out, algorithm), nl=False)


@cli.command("sign-and-submit")
@click.option("--key", "key_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--document", "doc_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--url", default=None, help="平台地址，默认 TRADING_PUBLIC_URL")
def sign_and_submit(key_path: str, doc_path: str, url: str | None) -> None:
    """Sign a guarantee document (JSON file) and POST it to /api/v1/guarantees."""
    document = json.loads(Path(doc_path).read_text(encoding="utf-8"))
    body = client.build_and_sign(document, client.load_private_key(key_path))
    status, answer = client.submit(url or current_app.config["TRADING_PUBLIC_URL"], body)
    click.echo(json.dumps(answer, ensure_ascii=False))
    if status != 201:
        raise SystemExit(1)


@cli.command("register")
@click.argument("code")
@click.argument("name")
@click.option("--pem", "pem_path", required=True, type=click.Path(exists=True, dir_okay=False))
def register(code: str, name: str, pem_path: str) -> None:
    """Register a guarantor with its first public key."""
    from guarantees.intake import register_guarantor

    try:
        register_guarantor(code, name, Path(pem_path).read_text(), actor="cli")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"已登记担保机构 {code}")


@cli.command("add-key")
@click.argument("code")
@click.option("--pem", "pem_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--valid-from", default=None, help="RFC 3339，默认不限")
@click.option("--valid-until", default=None, help="RFC 3339，默认不限")
@click.option("--retire-others", is_flag=True, help="其他密钥在 --valid-from 时停用（轮换）")
def add_key(code: str, pem_path: str, valid_from: str | None, valid_until: str | None, retire_others: bool) -> None:
    """Add a public key to a registered guarantor (key rotation)."""
    from guarantees.intake import add_key as add
    from guarantees.intake import get_guarantor, retire_key

    start, end = _instant(valid_from), _instant(valid_until)
    try:
        guarantor = get_guarantor(code)
        if retire_others:
            if start is None:
                raise click.ClickException("--retire-others 需要 --valid-from")
            for k in guarantor.keys:
                if k.valid_until is None or k.valid_until > start:
                    retire_key(k, start, "cli")
        key = add(guarantor, Path(pem_path).read_text(), valid_from=start, valid_until=end, actor="cli")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"已为 {code} 增加公钥 #{key.id}（{LABELS.get(key.algorithm, key.algorithm)}）")


@cli.command("demo-guarantor")
@click.option("--code", default="LZRCB", show_default=True)
@click.option("--name", default="柳州农村商业银行鹿寨支行", show_default=True)
@click.option("--algorithm", type=click.Choice(list(client.ALGORITHMS)), default="ed25519", show_default=True,
              help="新生成私钥的算法（已有私钥时沿用）")
def demo_guarantor(code: str, name: str, algorithm: str) -> None:
    """The demo guarantor; its private key is generated under instance/keys/guarantors/ (never committed)."""
    from guarantees.demo import ensure_demo_guarantor

    path = ensure_demo_guarantor(code, name, algorithm)
    db.session.commit()
    click.echo(f"演示担保机构 {code}，私钥：{path}")
