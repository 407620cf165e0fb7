"""Object-level authorization matrix (tests/test_permissions.py covers roles per route; this covers WHOSE object).

Viewers: anonymous, the listing collective (owner), another collective, staff, two registered bidders (alice with
an e-guarantee, bob with a cash deposit), an unregistered bidder, the issuing guarantor's user and another
guarantor's user. Each table says who may see what; every cell is checked.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from datetime import timedelta

import pytest

from tests.conftest import iso
from trading import clock
from trading.extensions import db as _db

VIEWERS = ["anon", "owner", "other_owner", "staff", "alice", "bob", "carol", "banker", "otherbank"]
IDENTITIES = ("alice", "bob", "爱丽丝农场", "鲍勃合作社")


def _sign(document: dict, key) -> dict:
    raw = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return {"document": document, "signature": base64.b64encode(key.sign(raw)).decode()}


class World:
    def __init__(self, app, hall, api, factory, runner):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519

        from guarantees.intake import register_guarantor

        self.app, self.hall, self.api = app, hall, api
        key = ed25519.Ed25519PrivateKey.generate()
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        with app.app_context():
            register_guarantor("TBANK", "测试农商银行", pem, actor="staff1")
            _db.session.commit()
            _db.session.remove()
        r = runner.invoke(args=["users", "create", "banker", "--role", "guarantor", "--password", "passw0rd-test",
                                "--org", "TBANK"])
        assert r.exit_code == 0, r.output
        factory.user("guarantor", "otherbank")
        factory.user("collective", "other_owner")
        factory.user("bidder", "alice", org_name="爱丽丝农场")
        factory.user("bidder", "bob", org_name="鲍勃合作社")
        factory.user("bidder", "carol")
        self.pid = hall.project()
        self.sealed = hall.project(method="sealed")
        p = hall.row(self.pid)
        self.gno = f"TBANK-BH-{secrets.token_hex(4)}"
        doc = {"guarantee_no": self.gno, "issuer": "TBANK", "type": "bid_bond", "applicant": "alice",
               "beneficiary": "鹿寨县农村产权流转交易中心", "project_code": p.code, "amount": "5000.00",
               "currency": "CNY", "valid_from": iso(p.bidding_start - timedelta(days=1)),
               "valid_until": iso(p.bidding_end + timedelta(days=30)),
               "issued_at": iso(clock.now() - timedelta(hours=1))}
        r = api.post("/api/v1/guarantees", _sign(doc, key))
        assert r.status_code == 201, r.get_json()
        self.regs = {}
        for name, security in (("alice", {"type": "guarantee", "guarantee_no": self.gno}),
                               ("bob", {"type": "deposit"})):
            r = api.post(f"/api/v1/projects/{self.pid}/registrations", {"security": security}, user=name)
            assert r.status_code == 201, r.get_json()
            rid = r.get_json()["id"]
            self.regs[name] = rid
            if security["type"] == "deposit":
                assert api.post(f"/api/v1/registrations/{rid}/confirm-deposit", user=hall.staff).status_code == 200
            assert api.post(f"/api/v1/registrations/{rid}/approve", user=hall.staff).status_code == 200, name
            hall.qualify(self.sealed, name) if name == "bob" else None
        hall.qualify(self.sealed, "carol")
        self.user = {"anon": None, "owner": hall.owner, "other_owner": "other_owner", "staff": hall.staff,
                     "alice": "alice", "bob": "bob", "carol": "carol", "banker": "banker", "otherbank": "otherbank"}
        hall.at(self.pid, 10)
        assert hall.bid(self.pid, "alice", "800.00").status_code == 201
        assert hall.bid(self.pid, "bob", "810.00").status_code == 201
        assert hall.bid(self.sealed, "bob", "912.34").status_code == 201
        assert hall.bid(self.sealed, "carol", "933.21").status_code == 201

    def get(self, url: str, viewer: str):
        return self.api.get(url, user=self.user[viewer])

    def close(self):
        clock.freeze(max(self.hall.row(self.pid).ends_at, self.hall.row(self.sealed).ends_at) + timedelta(seconds=5))
        self.hall.sweep()


@pytest.fixture
def world(app, hall, api, factory, runner):
    return World(app, hall, api, factory, runner)


def _check(table: dict, probe) -> None:
    wrong = {v: (want, got) for v, want in table.items() if (got := probe(v)) != want}
    assert not wrong, wrong


def test_auction_room_hides_bidder_identities_before_the_close(world):
    def probe(viewer):
        r = world.get(f"/api/v1/projects/{world.pid}/auction", viewer)
        text = r.get_data(as_text=True) + world.get(f"/api/v1/projects/{world.pid}/bids", viewer).get_data(
            as_text=True)
        return r.status_code == 200 and not any(i in text for i in IDENTITIES) and '"bidder_id"' not in text
    _check(dict.fromkeys(VIEWERS, True), probe)
    # a bidder learns its own number, never another's link to a name
    a = world.get(f"/api/v1/projects/{world.pid}/auction", "alice").get_json()
    assert a["my_bidder_no"] and a["leading"] is False
    assert "my_bidder_no" not in world.get(f"/api/v1/projects/{world.pid}/auction", "carol").get_json()


def test_sealed_amounts_secret_from_everyone_until_the_close(world):
    urls = [f"/api/v1/projects/{world.sealed}/{x}" for x in ("auction", "bids", "result")] + [
        f"/api/v1/projects/{world.sealed}"]

    def probe(viewer):
        text = "".join(world.get(u, viewer).get_data(as_text=True) for u in urls)
        return "912.34" in text or "933.21" in text
    _check(dict.fromkeys(VIEWERS, False), probe)  # nobody: not staff, not the owner, not the bidder itself
    world.close()
    assert "933.21" in world.get(f"/api/v1/projects/{world.sealed}/result", "anon").get_data(as_text=True)


def test_reserve_price_only_for_owner_and_staff(world):
    want = {v: v in ("owner", "staff") for v in VIEWERS}

    def probe(viewer):
        body = world.get(f"/api/v1/projects/{world.pid}", viewer).get_json()
        return "reserve_price" in body
    _check(want, probe)

    def page_probe(viewer):  # the detail page and the room show it to the same people only
        c = world.app.test_client()
        if world.user[viewer]:
            c.post("/login", data={"username": world.user[viewer], "password": "passw0rd-test"})
        html = c.get(f"/projects/{world.pid}").get_data(as_text=True)
        # the reserve as money (850.00), not "850" inside a timestamp's digits
        return re.search(r"(?<![\d.,])850\.00", html) is not None
    _check(want, page_probe)


def test_guarantee_visible_to_applicant_issuer_and_staff_only(world):
    want = {"anon": 401, "owner": 403, "other_owner": 403, "staff": 200, "alice": 200, "bob": 403, "carol": 403,
            "banker": 200, "otherbank": 403}
    _check(want, lambda v: world.get(f"/api/v1/guarantees/{world.gno}", v).status_code)

    def listed(viewer):
        r = world.get("/api/v1/guarantees", viewer)
        return r.status_code == 200 and world.gno in r.get_data(as_text=True)
    _check({v: v in ("staff", "alice", "banker") for v in VIEWERS}, listed)


def test_registrations_staff_always_owner_only_after_close(world):
    url = f"/api/v1/projects/{world.pid}/registrations"
    before = {"anon": 401, "owner": 403, "other_owner": 403, "staff": 200, "alice": 403, "bob": 403,
              "carol": 403, "banker": 403, "otherbank": 403}
    _check(before, lambda v: world.get(url, v).status_code)
    one = f"/api/v1/registrations/{world.regs['alice']}"
    _check({"anon": 401, "owner": 403, "other_owner": 403, "staff": 200, "alice": 200, "bob": 403, "carol": 403,
            "banker": 403, "otherbank": 403}, lambda v: world.get(one, v).status_code)
    # alice reading her own registration sees no name attached; staff do
    assert "bidder" not in world.get(one, "alice").get_json()
    assert world.get(one, "staff").get_json()["bidder"]["username"] == "alice"
    world.close()
    after = dict(before, owner=200)
    _check(after, lambda v: world.get(url, v).status_code)
    names = {i["bidder"]["username"] for i in world.get(url, "owner").get_json()["items"]}
    assert names == {"alice", "bob"}
