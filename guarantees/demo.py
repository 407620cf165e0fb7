"""The demo guarantor and its guarantees, for `flask demo` and local trials (keys under instance/, never in git)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy import select

from guarantees import client, intake
from guarantees.crypto import load_public_key
from guarantees.models import Guarantee, Guarantor
from trading.extensions import db


def key_path(code: str) -> Path:
    return Path(current_app.config["TRADING_KEYS_DIR"]) / "guarantors" / f"{code}.pem"


def ensure_demo_guarantor(code: str = "LZRCB", name: str = "柳州农村商业银行鹿寨支行",
                          algorithm: str = "ed25519") -> Path:
    """Register the demo guarantor once, generating its private key (`algorithm`, when it has none yet:
    ed25519, ecdsa-p256 or sm2) into the instance keys dir."""
    path = key_path(code)
    if not path.exists():
        client.generate_key(path, algorithm)
    pem = client.public_pem(client.load_private_key(path))
    if db.session.execute(select(Guarantor).where(Guarantor.code == code)).scalar_one_or_none() is None:
        intake.register_guarantor(code, name, pem, actor="demo")
    else:
        fingerprint = load_public_key(pem)[2]
        guarantor = intake.get_guarantor(code)
        if all(k.fingerprint != fingerprint for k in guarantor.keys):
            intake.add_key(guarantor, pem, actor="demo")
    return path


def issue_demo_guarantee(document: dict, code: str = "LZRCB") -> Guarantee:
    """Sign `document` with the demo guarantor's key and take it in as if the bank had posted it."""
    body = client.build_and_sign(document, client.load_private_key(ensure_demo_guarantor(code)))
    return intake.receive(body)
