"""`python -m bench.tenders` (also run by `make bench`): one lot with 300 sealed bids opened at once.

In process, through the Flask test client on a throwaway database (SQLite in a temp dir, or BENCH_TENDERS_DB):
300 bidders register and put sealed bids (PBKDF2 at the server's minimum, 100 000 iterations, client side), the
clock moves past the deadline and every bidder sends its key: decrypt requests/s and the p50/p99 latency. Then a
committee of 7 scores all 300 bids and the last submit evaluates the lot (ranking 300 bids × 7 sheets, in the
request) — milliseconds; plus the pure ranking (tenders.rules.rank) on the same numbers. Printed, not asserted.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import timedelta
from decimal import Decimal

BIDS, EXPERTS = 300, 7
PASSWORD = "bench-Passw0rd!"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    from tenders import pool, rules
    from tenders.client import encrypt_bid
    from trading import clock, create_app
    from trading.accounts.credit import make_uscc
    from trading.accounts.services import create_org, create_user
    from trading.extensions import db

    tmp = tempfile.mkdtemp(prefix="tradehall-bench-tenders-")
    url = os.environ.get("BENCH_TENDERS_DB") or f"sqlite:///{tmp}/bench.db"
    app = create_app({"SECRET_KEY": "bench", "INSTANCE_PATH": tmp, "SQLALCHEMY_DATABASE_URI": url,
                      "TRADING_KEYS_DIR": f"{tmp}/keys", "RATELIMIT_ENABLED": False, "TESTING": True})
    client = app.test_client()
    t0 = clock.now().replace(microsecond=0)
    clock.freeze(t0)
    with app.app_context():
        db.create_all()
        from certificates import keys

        keys.init_keys(app.config["TRADING_CENTER_NAME"])
        create_user("staff", PASSWORD, "staff", org=create_org("交易中心", "center", make_uscc(1)))
        create_user("owner", PASSWORD, "collective", org=create_org("某镇人民政府", "village_collective", make_uscc(2)))
        for i in range(BIDS):
            create_user(f"b{i}", PASSWORD, "bidder", org=create_org(f"投标人{i:03d}建设有限公司", "company",
                                                                    make_uscc(1000 + i)))
        for i in range(EXPERTS):
            u = create_user(f"e{i}", PASSWORD, "expert", org=create_org(f"专家单位{i}", "company", make_uscc(5000 + i)))
            pool.add_profile(u, "road", "bench")
        db.session.commit()
    tokens: dict[str, str] = {}

    def call(method: str, path: str, user: str, body=None):
        if user not in tokens:
            tokens[user] = client.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD}
                                       ).get_json()["token"]
        r = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[user]}"})
        if r.status_code >= 300:
            raise SystemExit(f"{method} {path} → {r.status_code} {r.get_data(as_text=True)[:300]}")
        return r.get_json()

    deadline = t0 + timedelta(days=21)
    tender = call("POST", "/api/v1/tenders", "owner", {
        "kind": "construction", "title": "压测标段", "location": "某镇", "description": "bench", "method": "open",
        "evaluation": "scoring", "announce_start": clock.isoformat(t0), "bid_deadline": clock.isoformat(deadline),
        "lots": [{"name": "一标段", "budget": "10000000.00", "security_amount": "20000.00", "speciality": "road",
                  "committee_size": EXPERTS, "price_points": "30",
                  "criteria": [{"code": "tech", "name": "技术", "max_points": "50"},
                               {"code": "biz", "name": "商务", "max_points": "20"}]}]})
    call("POST", f"/api/v1/tenders/{tender['id']}/submit", "owner")
    lot = call("POST", f"/api/v1/tenders/{tender['id']}/approve", "staff")["lots"][0]["id"]
    clock.freeze(t0 + timedelta(hours=1))
    keys_of: dict[str, str] = {}
    setup = time.perf_counter()
    for i in range(BIDS):
        reg = call("POST", f"/api/v1/lots/{lot}/registrations", f"b{i}", {"security": {"type": "deposit"}})
        call("POST", f"/api/v1/registrations/{reg['id']}/confirm-deposit", "staff")
        body, key = encrypt_bid(lot, f"b{i}", f"口令{i}", f"{9000000 + i * 1000}.00", iterations=100000)
        call("PUT", f"/api/v1/lots/{lot}/bid", f"b{i}", body)
        keys_of[f"b{i}"] = key
    print(f"setup: {BIDS} registrations and sealed bids in {time.perf_counter() - setup:.1f} s")

    clock.freeze(deadline + timedelta(seconds=1))
    for i in range(BIDS):  # tokens of three weeks ago have expired: fresh ones before the timed loop
        tokens.pop(f"b{i}", None)
        call("GET", f"/api/v1/lots/{lot}", f"b{i}")
    tokens.pop("staff", None)
    latencies = []
    start = time.perf_counter()
    for i in range(BIDS):
        t = time.perf_counter()
        call("POST", f"/api/v1/lots/{lot}/bid/decrypt", f"b{i}", {"key": keys_of[f"b{i}"]})
        latencies.append(time.perf_counter() - t)
    wall = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"decrypt: {BIDS} requests in {wall:.2f} s = {BIDS / wall:.1f} req/s (one client, in process); "
          f"p50 {_ms(statistics.median(latencies))}, p99 {_ms(p99)}, max {_ms(latencies[-1])} "
          f"(the last one reveals the lot: opening record, hash, audit)")

    members = [m["username"] for m in call("POST", f"/api/v1/lots/{lot}/committee", "staff")["members"]]
    sheets = [{"bidder_org": f"投标人{i:03d}建设有限公司",
               "points": {"tech": str(20 + (i * 7) % 30), "biz": str(5 + (i * 3) % 15)}} for i in range(BIDS)]
    for m in members:
        call("PUT", f"/api/v1/lots/{lot}/scores", m, {"bids": sheets})
    for m in members[:-1]:
        call("POST", f"/api/v1/lots/{lot}/scores/submit", m)
    t = time.perf_counter()
    out = call("POST", f"/api/v1/lots/{lot}/scores/submit", members[-1])
    last = time.perf_counter() - t
    print(f"evaluation: the last submit (checks its sheets, ranks {BIDS} bids × {EXPERTS} sheets, freezes the "
          f"ranking, audit) {_ms(last)} → lot {out['lot_status']}")

    scored = [rules.Scored(i, Decimal(9000000 + i * 1000), rules.mean_points(
        [{"tech": Decimal(20 + (i * 7) % 30), "biz": Decimal(5 + (i * 3) % 15)}] * EXPERTS)) for i in range(BIDS)]
    runs = []
    for _ in range(20):
        t = time.perf_counter()
        rules.rank(scored, "scoring", Decimal(30))
        runs.append(time.perf_counter() - t)
    print(f"ranking (pure tenders.rules.rank, {BIDS} bids, means of {EXPERTS} sheets): median {_ms(statistics.median(runs))}"
          f" over 20 runs")
    clock.freeze(None)


if __name__ == "__main__":
    main()
