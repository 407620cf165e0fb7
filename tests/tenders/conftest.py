"""Tender fixtures: a Hall that drives the real API — tenderee, staff, bidders with their own organisations,
experts — and moves the frozen clock through the deadline, the decryption window and the publicity."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tenders.client import encrypt_bid
from tests.conftest import PASSWORD, iso
from trading import clock
from trading.extensions import db as _db

ITER = 100000  # the server accepts ≥ 100000; tests keep PBKDF2 cheap
DAY = 86400


def tender_body(**over) -> dict:
    t = clock.now()
    body = {
        "kind": "construction", "title": "寨沙镇道路硬化工程", "location": "鹿寨县寨沙镇", "description": "村道硬化",
        "method": "open", "evaluation": "scoring", "announce_start": iso(t),
        "bid_deadline": iso(t + timedelta(days=21)),
        "lots": [{"name": "第一标段 路基", "budget": "1000000.00", "security_amount": "20000.00",
                  "speciality": "road", "committee_size": 5, "price_points": "30",
                  "criteria": [{"code": "tech", "name": "技术方案", "max_points": "50"},
                               {"code": "biz", "name": "商务", "max_points": "20"}]}],
    }
    body.update(over)
    return body


class Hall:
    def __init__(self, app, factory, api):
        self.app, self.factory, self.api = app, factory, api
        _, self.owner = factory.user("collective", "tenderee1", org_name="寨沙镇人民政府")
        _, self.staff = factory.user("staff", "staff1")
        self.keys: dict[tuple[int, str], str] = {}

    # ---------------------------------------------------------------- people
    def bidder(self, name: str) -> str:
        self.factory.user("bidder", name, org_name=f"{name}建设有限公司")
        return name

    def bidders(self, n: int, prefix: str = "b") -> list[str]:
        return [self.bidder(f"{prefix}{i}") for i in range(1, n + 1)]

    def expert(self, name: str, speciality: str = "road", org_name: str | None = None) -> str:
        from tenders import pool
        from trading.accounts.credit import make_uscc
        from trading.accounts.models import Organisation, User
        from trading.accounts.services import create_org, create_user

        with self.app.app_context():
            if _db.session.execute(_db.select(User).where(User.username == name)).scalar_one_or_none():
                return name
            org_name = org_name or f"{name}所在单位"
            org = _db.session.execute(_db.select(Organisation).where(Organisation.name == org_name)).scalar_one_or_none()
            if org is None:
                self.factory.n += 1
                org = create_org(org_name, "company", make_uscc(self.factory.n * 7919 + 17))
            user = create_user(name, PASSWORD, "expert", org=org, display_name=f"专家{name}")
            pool.add_profile(user, speciality, "test")
            _db.session.commit()
            _db.session.remove()
        return name

    def experts(self, n: int, speciality: str = "road") -> list[str]:
        return [self.expert(f"e{i}", speciality) for i in range(1, n + 1)]

    # ---------------------------------------------------------------- tender
    def tender(self, **over) -> dict:
        r = self.api.post("/api/v1/tenders", tender_body(**over), user=self.owner)
        assert r.status_code == 201, r.get_json()
        tid = r.get_json()["id"]
        assert self.api.post(f"/api/v1/tenders/{tid}/submit", user=self.owner).status_code == 200
        r = self.api.post(f"/api/v1/tenders/{tid}/approve", user=self.staff)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def lot(self, **over) -> int:
        return self.tender(**over)["lots"][0]["id"]

    def register(self, lot_id: int, bidder: str, confirm: bool = True) -> int:
        r = self.api.post(f"/api/v1/lots/{lot_id}/registrations", {"security": {"type": "deposit"}}, user=bidder)
        assert r.status_code == 201, r.get_json()
        rid = r.get_json()["id"]
        if confirm:
            c = self.api.post(f"/api/v1/registrations/{rid}/confirm-deposit", user=self.staff)
            assert c.status_code == 200, c.get_json()
        return rid

    def bid(self, lot_id: int, bidder: str, price: str, passphrase: str | None = None):
        body, key = encrypt_bid(lot_id, bidder, passphrase or f"口令-{bidder}", price, iterations=ITER)
        self.keys[(lot_id, bidder)] = key
        return self.api.put(f"/api/v1/lots/{lot_id}/bid", body, user=bidder)

    def decrypt(self, lot_id: int, bidder: str, key: str | None = None):
        return self.api.post(f"/api/v1/lots/{lot_id}/bid/decrypt", {"key": key or self.keys[(lot_id, bidder)]},
                             user=bidder)

    def deadline(self, lot_id: int):
        from tenders.models import Lot

        with self.app.app_context():
            d = _db.session.get(Lot, lot_id).tender.bid_deadline
            _db.session.remove()
        return d

    def to_deadline(self, lot_id: int, plus: float = 1):
        clock.freeze(self.deadline(lot_id) + timedelta(seconds=plus))

    def sweep(self) -> int:
        from tenders import jobs

        with self.app.app_context():
            n = jobs.advance_due()
            _db.session.remove()
        return n

    def opened_lot(self, prices: dict[str, str], **over) -> int:
        """A lot whose bidders (name → price) registered, bid and decrypted: status opened."""
        lot_id = self.lot(**over)
        for name, price in prices.items():
            self.bidder(name)
            self.register(lot_id, name)
            r = self.bid(lot_id, name, price)
            assert r.status_code == 200, r.get_json()
        self.to_deadline(lot_id)
        for name in prices:
            r = self.decrypt(lot_id, name)
            assert r.status_code == 200, r.get_json()
        return lot_id

    def committee(self, lot_id: int) -> list[str]:
        r = self.api.post(f"/api/v1/lots/{lot_id}/committee", user=self.staff)
        assert r.status_code == 201, r.get_json()
        return [m["username"] for m in r.get_json()["members"]]

    def score_all(self, lot_id: int, members: list[str], points: dict[str, dict[str, str]]):
        for m in members:
            bids = [{"bidder_org": org, "points": p} for org, p in points.items()]
            r = self.api.put(f"/api/v1/lots/{lot_id}/scores", {"bids": bids}, user=m)
            assert r.status_code == 200, r.get_json()
            r = self.api.post(f"/api/v1/lots/{lot_id}/scores/submit", user=m)
            assert r.status_code == 200, r.get_json()

    def document(self, data: bytes, title: str = "招标文件", tender_id: int = 1, user: str | None = None):
        # the body is built in memory (the test client would spool a large one to a temporary file that a refused
        # request never closes)
        boundary = "----tradehall" + secrets.token_hex(8)
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n{title}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"doc.pdf\"\r\n"
                f"Content-Type: application/pdf\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return self.api.client.post(f"/api/v1/tenders/{tender_id}/documents", data=body,
                                    headers={"Authorization": f"Bearer {self.api.token(user or self.owner)}"},
                                    content_type=f"multipart/form-data; boundary={boundary}")

    def delete(self, url: str, user: str):
        return self.api.client.delete(url, headers={"Authorization": f"Bearer {self.api.token(user)}"})


def org(name: str) -> str:
    return f"{name}建设有限公司"


@pytest.fixture
def hall(app, factory, api):
    clock.freeze(clock.now())
    return Hall(app, factory, api)


# ---------------------------------------------------------------- guarantees for lot registrations

def _pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture
def tbank(app):
    from guarantees.intake import register_guarantor

    key = ed25519.Ed25519PrivateKey.generate()
    with app.app_context():
        register_guarantor("TBANK", "测试农商银行", _pem(key), actor="staff1")
        _db.session.commit()
        _db.session.remove()
    return key


def guarantee(api, key, *, applicant: str, project_code: str, amount: str, valid_from, valid_until) -> str:
    doc = {"guarantee_no": f"TBANK-BH-{secrets.token_hex(4)}", "issuer": "TBANK", "type": "bid_bond",
           "applicant": applicant, "beneficiary": "招标人", "project_code": project_code, "amount": amount,
           "currency": "CNY", "valid_from": iso(valid_from), "valid_until": iso(valid_until),
           "issued_at": iso(clock.now() - timedelta(hours=1))}
    canon = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    r = api.post("/api/v1/guarantees", {"document": doc, "signature": base64.b64encode(key.sign(canon)).decode()})
    assert r.status_code == 201, r.get_json()
    return doc["guarantee_no"]


@pytest.fixture(scope="session")
def signing_keys(app):
    from certificates import keys

    with app.app_context():
        if not keys.available():
            keys.init_keys(app.config["TRADING_CENTER_NAME"])
        return keys.key_paths()
