"""`flask --app wsgi keys init`: the center's signing keys (idempotent)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

keys_cli = AppGroup("keys", help="管理中心的签章密钥")


@keys_cli.command("init")
def keys_init() -> None:
    """Create the Ed25519 key, the local CA and the PAdES signing certificate if absent (0600)."""
    from certificates import keys

    try:
        created = keys.init_keys(current_app.config["TRADING_CENTER_NAME"])
    except (RuntimeError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    keys.clear_cache()
    p = keys.key_paths()
    if created:
        for path in created:
            click.echo(f"已创建 {path}")
    else:
        click.echo(f"签章密钥已存在（{p.signer_cert.parent}），未做改动")


@keys_cli.command("show")
def keys_show() -> None:
    """Print the key paths and the Ed25519 public key."""
    from certificates import keys

    p = keys.key_paths()
    for name, path in (("Ed25519", p.ed25519), ("CA", p.ca_cert), ("签章证书", p.signer_cert),
                       ("签章私钥", p.signer_key)):
        click.echo(f"{name}: {path} {'✓' if path.exists() else '（缺失）'}")
    if keys.available():
        click.echo(f"Ed25519 公钥（base64）: {keys.public_key_b64()}")
