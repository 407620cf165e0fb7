"""Issue 12 finding 1: no sealed amount readable anywhere in the database before the close.

The live room sends an Idempotency-Key with every bid; the first response used to sit in
`idempotency_keys.body` (amount included) and its request hash was a bare sha256 of the body, which a
loop over every possible amount turns back into the bid. Here sealed bids go in through the API and the
room page with keys, then EVERY column of EVERY table is read and no amount may be found in it."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.auctions.test_views import login
from trading import clock
from trading.extensions import db as _db

AMOUNTS = ("912.00", "937.50")  # alice by the API, bob by the room page


def _numbers_in(text: str) -> set[Decimal]:
    """Every number standing on its own in `text` (not digits inside a hex hash, base64 or a longer number)."""
    return {Decimal(m) for m in re.findall(r"(?<![0-9A-Za-z.+/])\d+(?:\.\d+)?(?![0-9A-Za-z])", text)}


def _every_value(app):
    """(table, column, value) for every column of every row of every table."""
    with app.app_context():
        for table in _db.metadata.sorted_tables:
            for row in _db.session.execute(select(table)).mappings():
                for col, value in row.items():
                    yield table.name, col, value
        _db.session.remove()


def _sealed_bids(hall, client, app):
    pid = hall.project(method="sealed")
    hall.qualify(pid, "alice")
    hall.qualify(pid, "bob")
    hall.at(pid, 5)
    key = {"Idempotency-Key": "room-1733190000000-k3x9"}
    r1 = hall.bid(pid, "alice", AMOUNTS[0], headers=key)
    assert r1.status_code == 201 and r1.get_json()["amount"] == AMOUNTS[0]
    login(client, app, "bob")
    r2 = client.post(f"/auctions/projects/{pid}/bid", json={"amount": AMOUNTS[1]}, headers=key)
    assert r2.status_code == 201 and r2.get_json()["amount"] == AMOUNTS[1]
    return pid, key, r1, r2


def test_no_sealed_amount_in_any_table_or_column(hall, client, app):
    pid, key, r1, r2 = _sealed_bids(hall, client, app)
    secret = {Decimal(a) for a in AMOUNTS}
    seen_idem = 0
    for table, col, value in _every_value(app):
        if table == "sealed_bids" and col == "ciphertext":
            continue  # the sealed form itself (AES-GCM, tests/auctions/test_sealing.py)
        if table == "idempotency_keys":
            seen_idem += 1
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, (int, float, Decimal)):
            assert Decimal(str(value)) not in secret, f"{table}.{col} holds a sealed amount"
            continue
        text = json.dumps(value, default=str, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
        assert not (_numbers_in(text) & secret), f"{table}.{col} shows a sealed amount: {text[:200]}"
    assert seen_idem, "the keys were recorded (a replay must still answer the first response)"


def test_request_hash_is_not_a_bare_digest_of_the_body(hall, client, app):
    """A stored hash a loop over amounts could match is the amount in disguise."""
    pid, *_ = _sealed_bids(hall, client, app)
    from trading.models import IdempotencyKey

    with app.app_context():
        stored = set(_db.session.execute(select(IdempotencyKey.request_hash)).scalars())
        _db.session.remove()
    assert len(stored) == 2
    for amount in AMOUNTS:
        for body in ({"amount": amount}, {"amount": Decimal(amount)}):
            for prefix in (f"{pid}|", ""):
                guess = hashlib.sha256(prefix.encode() + json.dumps(body, sort_keys=True, default=str).encode())
                assert guess.hexdigest() not in stored


def test_replay_with_same_key_and_body_still_answers_the_first_response(hall, client, app, api):
    pid, key, r1, r2 = _sealed_bids(hall, client, app)
    again = hall.bid(pid, "alice", AMOUNTS[0], headers=key)
    assert again.status_code == 201 and again.get_json() == r1.get_json()
    again2 = client.post(f"/auctions/projects/{pid}/bid", json={"amount": AMOUNTS[1]}, headers=key)
    assert again2.status_code == 201 and again2.get_json() == r2.get_json()
    other = hall.bid(pid, "alice", "950.00", headers=key)
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "idempotency_key_reused"
    from auctions.models import SealedBid

    with app.app_context():
        assert [r.revision for r in _db.session.execute(select(SealedBid).order_by(SealedBid.id)).scalars()] == [1, 1]
        _db.session.remove()


def test_idempotency_records_are_purged_after_the_retention_period(hall, client, app):
    pid, key, r1, _ = _sealed_bids(hall, client, app)
    from trading import jobs as trading_jobs
    from trading.models import IdempotencyKey

    hours = app.config["TRADING_IDEMPOTENCY_RETENTION_HOURS"]
    assert hours > 0
    job = dict(trading_jobs.JOBS)["auctions.purge_idempotency_keys"]
    with app.app_context():
        assert job() == 0  # nothing old yet
        _db.session.remove()
    clock.freeze(clock.now() + timedelta(hours=hours, seconds=1))
    with app.app_context():
        assert job() == 2
        assert _db.session.execute(select(IdempotencyKey)).first() is None
        _db.session.remove()
