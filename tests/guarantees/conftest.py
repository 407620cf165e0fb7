"""Fixtures for guarantees: the test-vector guarantor, signing helpers, projects and registrations."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.conftest import iso
from trading import clock
from trading.extensions import db as _db


def vector() -> dict:
    here = Path(__file__).parent / "guarantee-ed25519.json"
    return json.loads(here.read_text(encoding="utf-8"))


def canonical(d: dict) -> bytes:
    return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(document: dict, private_key) -> dict:
    return {"document": document, "signature": base64.b64encode(private_key.sign(canonical(document))).decode()}


def pem_of(private_key) -> str:
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture
def bank_key():
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture
def bank(app, bank_key):
    """A registered guarantor "TBANK" with an Ed25519 key valid from long ago."""
    from guarantees.intake import register_guarantor

    with app.app_context():
        register_guarantor("TBANK", "测试农商银行", pem_of(bank_key), actor="staff1")
        _db.session.commit()
        _db.session.remove()
    return {"code": "TBANK", "key": bank_key}


class Setup:
    """Projects, bidders and registrations made directly (the auctions flow lives in its own package)."""

    def __init__(self, app, factory, api, announced):
        self.app, self.factory, self.api, self.announced = app, factory, api, announced

    def project(self, project_id: int | None = None):
        from trading.projects.models import Project

        return _db.session.get(Project, project_id or self.announced["id"])

    def document(self, bidder: str, issuer: str = "TBANK", **over) -> dict:
        with self.app.app_context():
            p = self.project()
            doc = {
                "guarantee_no": over.pop("guarantee_no", f"{issuer}-BH-{secrets.token_hex(4)}"),
                "issuer": issuer, "type": "bid_bond", "applicant": bidder,
                "beneficiary": "鹿寨县农村产权流转交易中心", "project_code": p.code,
                "amount": "5000.00", "currency": "CNY",
                "valid_from": iso(p.bidding_start - timedelta(days=1)),
                "valid_until": iso(p.bidding_end + timedelta(days=30)),
                "issued_at": iso(clock.now() - timedelta(hours=1)),
            }
            _db.session.remove()
        doc.update(over)
        return doc

    def registration(self, bidder: str, security_type: str = "guarantee", project_id: int | None = None):
        """A pending registration row (committed); returns its id."""
        from sqlalchemy import select

        from auctions.models import Registration
        from trading.accounts.models import User

        with self.app.app_context():
            uid = _db.session.execute(select(User.id).where(User.username == bidder)).scalar_one()
            reg = Registration(project_id=project_id or self.announced["id"], bidder_id=uid,
                               bidder_no=secrets.token_hex(3).upper(), security_type=security_type)
            _db.session.add(reg)
            _db.session.commit()
            rid = reg.id
            _db.session.remove()
        return rid


@pytest.fixture
def setup(app, factory, api, announced):
    return Setup(app, factory, api, announced)
