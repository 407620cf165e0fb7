"""kill -9 in the middle of a busy auction (production shape: gunicorn -w 2 + one scheduler, PostgreSQL).

A fresh database gets a running auction with six qualified bidders (seeded through the real API/services) and 300
due auctions for the scheduler to chew on. The scheduler is SIGKILLed in the middle of its closing batch, then
six bidder threads hammer the running auction over HTTP while one gunicorn worker is SIGKILLed; the scheduler is
restarted after the end. Proven: every bid that got a 201 is stored; bid_count, seq, current_price and the leader
agree with the bid rows (nothing half-written); every auction closes exactly once (one auction.close entry,
closed_at set) and the busy one with the last bidder as winner at the last price; the audit chain verifies.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from trading import clock, create_app
from trading.extensions import db as _db

PORT = 5172
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BIDDERS = 6
DUE = 300


def _fresh_db(url: str) -> str:
    base, name = url.rsplit("/", 1)
    fresh = f"{name}_kill9"
    eng = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{fresh}"'))
    eng.dispose()
    return f"{base}/{fresh}"


def _drop_db(url: str) -> None:
    base, name = url.rsplit("/", 1)
    eng = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


def _http(method: str, path: str, token: str | None = None, body: dict | None = None, timeout: float = 10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, {"raw": raw[:200].decode(errors="replace")}


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _wait(cond, timeout: float, step: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return None


class Stack:
    """gunicorn + scheduler processes on one database; every process is ours and ended by its own pid."""

    def __init__(self, url: str, instance: Path):
        self.env = {**os.environ, "DATABASE_URL": url, "TRADING_INSTANCE": str(instance), "TRADING_ENV": "development",
                    "SECRET_KEY": "kill9-test-secret", "PYTHONDONTWRITEBYTECODE": "1"}
        self.procs: list[subprocess.Popen] = []
        self.log = instance / "procs.log"

    def start(self, *args: str) -> subprocess.Popen:
        with open(self.log, "ab") as out:
            p = subprocess.Popen([str(BIN / args[0]), *args[1:]], cwd=ROOT, env=self.env, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        return p

    def gunicorn(self) -> subprocess.Popen:
        return self.start("gunicorn", "-w", "2", "-b", f"127.0.0.1:{PORT}", "--graceful-timeout", "2", "wsgi:app")

    def scheduler(self) -> subprocess.Popen:
        return self.start("flask", "--app", "wsgi", "scheduler")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)


def _seed(app, tmp) -> dict:
    """Through the real API (test client on the same database): a project, six qualified bidders; then DUE due
    auctions written as rows (as tests/auctions does), half of them with a leader."""
    from tests.conftest import Api, Factory
    from trading.projects.models import Project

    factory, api = Factory(app), Api(app.test_client())
    _, owner = factory.user("collective", "village1")
    _, staff = factory.user("staff", "staff1")
    r = api.post("/api/v1/projects", factory.project_body(), user=owner)
    assert r.status_code == 201, r.get_json()
    pid = r.get_json()["id"]
    assert api.post(f"/api/v1/projects/{pid}/submit", user=owner).status_code == 200
    assert api.post(f"/api/v1/projects/{pid}/approve", user=staff).status_code == 200
    names = [f"killbidder{i}" for i in range(BIDDERS)]
    for name in names:
        factory.user("bidder", name)
        reg = api.post(f"/api/v1/projects/{pid}/registrations", {"security": {"type": "deposit"}}, user=name)
        assert reg.status_code == 201, reg.get_json()
        rid = reg.get_json()["id"]
        assert api.post(f"/api/v1/registrations/{rid}/confirm-deposit", user=staff).status_code == 200
        assert api.post(f"/api/v1/registrations/{rid}/approve", user=staff).status_code == 200
    tokens = {n: api.token(n) for n in names}
    owner_id = factory.user("collective", "village1")[0]
    t0 = clock.now()
    with app.app_context():
        for i in range(DUE):
            _db.session.add(Project(
                code=f"NC-2026-9{i:03d}", kind="rural_land", title=f"到期项目{i}", location="寨沙镇龙田村",
                method="auction", direction="ascending", price_unit="total", start_price=Decimal("800"),
                reserve_price=None, increment=Decimal("10"), deposit=Decimal("100"), extension_seconds=300,
                announce_start=t0 - timedelta(days=8), registration_end=t0 - timedelta(days=1),
                bidding_start=t0 - timedelta(hours=2), bidding_end=t0 - timedelta(seconds=1),
                ends_at=t0 - timedelta(seconds=1), status="bidding", owner_id=owner_id,
                approved_at=t0 - timedelta(days=8), current_price=Decimal("900") if i % 2 else None,
                bid_count=1 if i % 2 else 0, leader_id=owner_id if i % 2 else None))
        _db.session.commit()
        _db.session.remove()
    return {"id": pid, "tokens": tokens}


def _open_window(app, pid: int, seconds: float) -> None:
    """Move the busy auction into its bidding window: it ends `seconds` from now, 2-second extensions."""
    from trading.projects.models import Project

    t = clock.now()
    with app.app_context():
        p = _db.session.get(Project, pid)
        p.announce_start, p.registration_end = t - timedelta(days=6), t - timedelta(minutes=5)
        p.bidding_start = t - timedelta(seconds=30)
        p.bidding_end = p.ends_at = t + timedelta(seconds=seconds)
        p.extension_seconds = 2
        _db.session.commit()
        _db.session.remove()


def test_kill9_worker_and_scheduler_mid_auction(app, tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("production shape only: gunicorn workers + scheduler as separate processes on PostgreSQL "
                    "(set DATABASE_URL); SQLite is a single-file development database")
    fresh = _fresh_db(url.split("?")[0])
    clock.freeze(None)
    seed_app = create_app({"SQLALCHEMY_DATABASE_URI": fresh, "INSTANCE_PATH": str(tmp_path), "TESTING": True,
                           "SECRET_KEY": "kill9-test-secret", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                           "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    stack = Stack(fresh, tmp_path)
    try:
        with seed_app.app_context():
            from flask_migrate import upgrade

            upgrade()
            _db.session.remove()
        seeded = _seed(seed_app, tmp_path)
        pid, tokens = seeded["id"], seeded["tokens"]
        master = stack.gunicorn()
        assert _wait(lambda: len(_children(master.pid)) == 2 and _http("GET", "/api/v1/projects")[0] == 200, 30)

        from trading.models import AuditEntry
        from trading.projects.models import Project

        engine = create_engine(fresh)

        def closes() -> int:
            with engine.connect() as c:
                return c.execute(text("SELECT count(*) FROM audit_log WHERE action = 'auction.close'")).scalar()

        sched = stack.scheduler()
        assert _wait(lambda: closes() > 0, 30, step=0.005), "the scheduler never started closing"
        os.kill(sched.pid, signal.SIGKILL)  # in the middle of its batch
        sched.wait(timeout=10)
        closed_before_kill = closes()

        _open_window(seed_app, pid, seconds=5)
        accepted: list[dict] = []
        outcomes: Counter = Counter()
        lock = threading.Lock()
        stop_at = time.monotonic() + 7

        def bidder(name: str, seed: int) -> None:
            rng = random.Random(seed)
            token = tokens[name]
            while time.monotonic() < stop_at:
                try:
                    s, state = _http("GET", f"/api/v1/projects/{pid}/auction", token)
                    if s != 200:
                        with lock:
                            outcomes[f"get {s}"] += 1
                        continue
                    current = Decimal(state["current_price"] or "790.00")
                    s, body = _http("POST", f"/api/v1/projects/{pid}/bids", token,
                                    {"amount": str(current + 10 * rng.randint(1, 2))})
                # the killed worker's connections (a response cut after its headers included), and a refused
                # one or two
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        outcomes[f"error {type(exc).__name__}"] += 1
                    time.sleep(0.01)
                    continue
                with lock:
                    outcomes[s if s != 409 else f"409 {body['error']['code']}"] += 1
                    if s == 201:
                        accepted.append({**body, "bidder": name})
                if s == 409 and body["error"]["code"] == "auction_closed":
                    return
                if s >= 500:
                    time.sleep(0.01)

        threads = [threading.Thread(target=bidder, args=(n, i)) for i, n in enumerate(tokens)]
        for t in threads:
            t.start()
        _wait(lambda: len(accepted) >= 20, 10, step=0.01)
        victim = _children(master.pid)[0]
        os.kill(victim, signal.SIGKILL)
        accepted_at_kill = len(accepted)
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads)
        # the master replaced the killed worker
        assert _wait(lambda: len(_children(master.pid)) == 2 and victim not in _children(master.pid), 15)

        with seed_app.app_context():
            row = _db.session.get(Project, pid)
            ends_at = row.ends_at
            _db.session.remove()
        _wait(lambda: clock.now() > ends_at, 20)
        stack.scheduler()  # restarted
        def busy_closed():
            with engine.connect() as c:
                return c.execute(text("SELECT closed_at FROM projects WHERE id = :p"), {"p": pid}).scalar()
        assert _wait(lambda: busy_closed() is not None and closes() >= DUE + 1, 40, step=0.2), closes()
        time.sleep(1.5)  # one more sweep: nothing may close twice
        engine.dispose()

        from auctions.models import Bid
        from trading import audit

        with seed_app.app_context():
            bids = _db.session.execute(select(Bid).where(Bid.project_id == pid).order_by(Bid.seq)).scalars().all()
            p = _db.session.get(Project, pid)
            stored = {(b.seq, b.amount) for b in bids}
            seen = {(a["seq"], Decimal(a["amount"])) for a in accepted}
            assert seen <= stored, f"lost bids: {sorted(seen - stored)}"
            assert [b.seq for b in bids] == list(range(1, len(bids) + 1))
            assert all(bids[i].amount > bids[i - 1].amount for i in range(1, len(bids)))
            assert p.bid_count == len(bids) >= len(accepted) > accepted_at_kill
            assert p.current_price == bids[-1].amount and p.leader_id == bids[-1].bidder_id
            assert p.status == "awarded" and p.winner_id == bids[-1].bidder_id and p.final_price == bids[-1].amount
            assert p.closed_at is not None and p.closed_at >= bids[-1].at
            n_bid_audits = _db.session.execute(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "bid.place", AuditEntry.object == f"project:{pid}")).scalar()
            assert n_bid_audits == len(bids)
            per_project = Counter(_db.session.execute(select(AuditEntry.object).where(
                AuditEntry.action == "auction.close")).scalars())
            assert len(per_project) == DUE + 1 and set(per_project.values()) == {1}
            assert _db.session.execute(select(func.count()).select_from(Project).where(
                Project.closed_at.is_(None))).scalar() == 0
            assert audit.verify()["ok"]
            _db.session.remove()
        print(f"\nkill -9: {closed_before_kill} of {DUE} due auctions closed before the scheduler was killed; "
              f"{len(accepted)} bids accepted ({accepted_at_kill} before the worker kill), {len(bids)} stored; "
              f"outcomes {dict(outcomes)}")
        assert len(seen) == len(accepted)  # no seq was reported twice
    finally:
        stack.stop()
        with seed_app.app_context():
            _db.session.remove()
            _db.engine.dispose()
        _drop_db(fresh)
