"""Pushing to the provincial platform: the outbox, delivered to a real HTTP receiver on 127.0.0.1.

The receiver fails the first tries (500, then a time-out after it has stored the message, as a platform whose
answer is lost would) and stores each message by its idempotency key, so a repeat is recognised. Each message
must be stored exactly once, in order per project; two schedulers running at once send each message once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from trading import clock, outbox
from trading.extensions import db as _db

SECRET = "push-test-secret"


class Receiver:
    """A provincial platform: stores messages by Idempotency-Key; scripted failures come first."""

    def __init__(self, script: list[str]):
        self.script = list(script)  # "500" / "timeout" for the first requests, then 200
        self.stored: list[dict] = []
        self.keys: set[str] = set()
        self.arrivals = 0
        self.bad_signatures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                key, ts = self.headers["Idempotency-Key"], self.headers["X-Tradehall-Timestamp"]
                expected = hmac.new(SECRET.encode(), ts.encode() + b"\n" + key.encode() + b"\n" + body,
                                    hashlib.sha256).hexdigest()
                with receiver.lock:
                    receiver.arrivals += 1
                    if self.headers["X-Tradehall-Signature"] != f"hmac-sha256={expected}":
                        receiver.bad_signatures += 1
                        self._answer(401)
                        return
                    action = receiver.script.pop(0) if receiver.script else "200"
                    if action == "500":
                        self._answer(500)
                        return
                    if key not in receiver.keys:  # a repeat of a stored message is acknowledged, not stored
                        receiver.keys.add(key)
                        receiver.stored.append(json.loads(body))
                if action == "timeout":
                    time.sleep(1.5)  # longer than the sender's time-out: the answer is lost
                self._answer(200)

            def _answer(self, code: int):
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/push"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_config(app):
    keys = {"TRADING_PUSH_SECRET": SECRET, "TRADING_PUSH_TIMEOUT": 0.5, "TRADING_PUSH_BACKOFF_SECONDS": 0,
            "TRADING_PUSH_MAX_ATTEMPTS": 8, "TRADING_PUSH_BATCH": 50}
    old = {k: app.config.get(k) for k in (*keys, "TRADING_PUSH_URL")}
    app.config.update(keys)

    def point_at(url: str):
        app.config["TRADING_PUSH_URL"] = url

    yield point_at
    app.config.update(old)


def _enqueue(app, items: list[tuple[str, str]]) -> list[str]:
    keys = []
    with app.app_context():
        for stream, event in items:
            keys.append(outbox.enqueue(stream, event, {"n": len(keys), "stream": stream}).idempotency_key)
        _db.session.commit()
        _db.session.remove()
    return keys


def _run_until_done(app, *, rounds: int = 40) -> None:
    for _ in range(rounds):
        with app.app_context():
            outbox.deliver_due()
            left = _db.session.execute(select(outbox.OutboxMessage.id).where(
                outbox.OutboxMessage.status != outbox.DELIVERED)).first()
            _db.session.remove()
        if left is None:
            return


def _states(app) -> list[tuple[str, int, str]]:
    with app.app_context():
        rows = _db.session.execute(select(outbox.OutboxMessage).order_by(outbox.OutboxMessage.id)).scalars()
        out = [(m.status, m.attempts, m.last_error or "") for m in rows]
        _db.session.remove()
    return out


ITEMS = [("project:A", "announcement"), ("project:B", "announcement"), ("project:A", "award"),
         ("project:B", "failure"), ("project:A", "certificate")]


def test_each_message_arrives_once_in_order_despite_a_500_and_a_timeout(app, push_config):
    keys = _enqueue(app, ITEMS)
    with Receiver(["500", "timeout"]) as rx:
        push_config(rx.url)
        _run_until_done(app)
    assert rx.bad_signatures == 0
    assert sorted(m["id"] for m in rx.stored) == sorted(keys)  # every message stored exactly once
    assert rx.arrivals >= len(keys) + 2  # the 500 and the lost answer were tried again
    for stream in ("project:A", "project:B"):
        sent = [m["event"] for m in rx.stored if m["stream"] == stream]
        assert sent == [e for s, e in ITEMS if s == stream]  # in order per project
    states = _states(app)
    assert all(s == "delivered" for s, _, _ in states)
    assert sum(a for _, a, _ in states) == rx.arrivals  # every try counted on its message


def test_a_later_message_waits_for_the_earlier_one_of_its_project(app, push_config):
    _enqueue(app, ITEMS[:3])
    with Receiver(["500"] * 50) as rx:
        push_config(rx.url)
        app.config["TRADING_PUSH_MAX_ATTEMPTS"] = 2
        _run_until_done(app, rounds=5)
    states = _states(app)
    # A's announcement and B's were tried twice and dead-lettered; A's award never went out
    assert [s for s, _, _ in states] == ["dead", "dead", "pending"]
    assert states[2][1] == 0 and rx.stored == []
    assert states[0][2] == "HTTP 500"


def test_staff_redeliver_a_dead_message_and_the_stream_moves_on(app, push_config, client, factory):
    _enqueue(app, ITEMS[:3])
    with Receiver(["500", "500"]) as rx:
        push_config(rx.url)
        app.config["TRADING_PUSH_MAX_ATTEMPTS"] = 1
        _run_until_done(app, rounds=3)
        assert [s for s, _, _ in _states(app)] == ["dead", "dead", "pending"]
        _, staff = factory.user("staff", "push_staff")
        with app.app_context():
            from trading.accounts.models import User

            uid = _db.session.execute(select(User.id).where(User.username == staff)).scalar_one()
            first = _db.session.execute(select(outbox.OutboxMessage.id).order_by(outbox.OutboxMessage.id)).scalar()
            _db.session.remove()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = str(uid), True
        page = client.get("/staff/push").get_data(as_text=True)
        assert "已转入死信" in page and "HTTP 500" in page and "重新推送" in page
        r = client.post(f"/staff/push/{first}/redeliver")
        assert r.status_code == 302
        _run_until_done(app, rounds=5)
    assert [m["event"] for m in rx.stored] == ["announcement", "award"]  # A: announcement, then its award
    assert [s for s, _, _ in _states(app)] == ["delivered", "dead", "delivered"]


def test_the_push_page_is_for_staff_only(client, factory, app):
    _, bidder = factory.user("bidder", "push_bidder")
    with app.app_context():
        from trading.accounts.models import User

        uid = _db.session.execute(select(User.id).where(User.username == bidder)).scalar_one()
        _db.session.remove()
    assert client.get("/staff/push").status_code in (302, 401)
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = str(uid), True
    assert client.get("/staff/push").status_code == 403
    assert client.post("/staff/push/1/redeliver").status_code == 403


def test_two_schedulers_deliver_each_message_once(app, push_config):
    from tests.conftest import second_app

    items = [(f"project:P{i % 4}", f"e{i}") for i in range(24)]
    keys = _enqueue(app, items)
    with Receiver([]) as rx, second_app(app, pool_size=2, max_overflow=0) as other:
        push_config(rx.url)
        other.config.update({k: app.config[k] for k in app.config if k.startswith("TRADING_PUSH_")})
        errors: list[BaseException] = []

        def run(a):
            try:
                _run_until_done(a, rounds=60)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(a,)) for a in (app, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert errors == []
    assert rx.arrivals == len(keys)  # no message sent twice
    assert sorted(m["id"] for m in rx.stored) == sorted(keys)
    for i in range(4):
        sent = [m["event"] for m in rx.stored if m["stream"] == f"project:P{i}"]
        assert sent == [e for s, e in items if s == f"project:P{i}"]


CREDIT = "12450223MB1234567X"


@pytest.fixture
def credit_code(app):
    """The center's 统一社会信用代码 configured, so the unified transaction code can be computed."""
    old = app.config.get("TRADING_CENTER_CREDIT_CODE")
    app.config["TRADING_CENTER_CREDIT_CODE"] = CREDIT
    yield CREDIT
    app.config["TRADING_CENTER_CREDIT_CODE"] = old


def test_publishable_events_enter_the_outbox_in_their_own_transaction(app, credit_code, announced, api):
    """Approving a project (the `announced` fixture) queued its announcement; a refused request queues nothing.
    The pushed 统一交易标识码 is the 33-character code the data-set exports carry, not the project number."""
    from trading.projects.models import Project
    from trading.stats.dataspec import code_of

    with app.app_context():
        rows = _db.session.execute(select(outbox.OutboxMessage)).scalars().all()
        assert [(m.event, m.payload["信息类型"]) for m in rows] == [("announcement", "交易公告")]
        p = _db.session.get(Project, announced["id"])
        assert rows[0].stream == f"project:{p.code}" and rows[0].payload["项目编号"] == p.code
        unified = rows[0].payload["统一交易标识码"]
        assert len(unified) == 33 and unified.startswith(credit_code) and unified == code_of(p)
        _db.session.remove()
    # approving again is refused (invalid state): the transaction rolls back, no second message
    r = api.post(f"/api/v1/projects/{announced['id']}/approve", user=announced["staff"])
    assert r.status_code == 409
    with app.app_context():
        assert _db.session.query(outbox.OutboxMessage).count() == 1
        _db.session.remove()


def test_closing_and_certifying_queue_award_and_failure(app, announced):
    """The close (scheduler) queues a failure when nobody bid; the payload names the project."""
    from trading.projects.models import Project

    with app.app_context():
        p = _db.session.get(Project, announced["id"])
        clock.freeze(p.bidding_end + timedelta(seconds=1))
        from auctions.services import close_project

        assert close_project(p) == "failed"
        _db.session.commit()
        events = [m.event for m in _db.session.execute(
            select(outbox.OutboxMessage).order_by(outbox.OutboxMessage.id)).scalars()]
        _db.session.remove()
    assert events == ["announcement", "failure"]


def test_each_failed_try_waits_longer_before_the_next(app, push_config):
    """With a nonzero TRADING_PUSH_BACKOFF_SECONDS the next attempt of a failing message moves out by base, 2·base,
    4·base … after each failure (the formula below, applied by the delivery job), and a message is not tried again
    before its time: a sweep in between sends nothing."""
    base = 30
    _enqueue(app, [("project:A", "announcement")])
    with Receiver(["500"] * 10) as rx:
        push_config(rx.url)
        app.config["TRADING_PUSH_BACKOFF_SECONDS"] = base
        t0 = clock.now()
        clock.freeze(t0)
        waits = []
        for n in range(1, 5):
            with app.app_context():
                assert outbox.deliver_due() == 1  # due: tried (and failed) once
                msg = _db.session.execute(select(outbox.OutboxMessage)).scalar_one()
                assert msg.attempts == n and msg.status == outbox.PENDING and msg.last_error == "HTTP 500"
                waits.append((msg.next_attempt_at - clock.now()).total_seconds())
                due = msg.next_attempt_at
                _db.session.remove()
            clock.freeze(due - timedelta(seconds=1))
            with app.app_context():
                assert outbox.deliver_due() == 0  # one second early: not tried
                _db.session.remove()
            clock.freeze(due)
    assert waits == [base, 2 * base, 4 * base, 8 * base] == [outbox.backoff_seconds(n, base) for n in range(1, 5)]
    assert rx.arrivals == 4


def test_no_url_no_push_and_plain_http_only_to_loopback(app):
    assert outbox.url_allowed("https://platform.example.gov.cn/api/push")
    assert outbox.url_allowed("http://127.0.0.1:8080/push") and outbox.url_allowed("http://localhost/x")
    assert not outbox.url_allowed("http://platform.example.gov.cn/api/push")
    assert not outbox.url_allowed("ftp://127.0.0.1/x")
    assert [outbox.backoff_seconds(n, 30) for n in (1, 2, 3, 10)] == [30, 60, 120, 3600]
    with app.app_context():
        app.config["TRADING_PUSH_URL"] = ""
        assert outbox.deliver_due() == 0


def test_a_failing_platform_costs_one_try_per_sweep(app, push_config):
    """The scheduler runs its jobs in turn: when the platform fails, the sweep stops at that message instead of
    trying (and timing out on) every other project's message, so closing auctions is not held up."""
    _enqueue(app, [("project:A", "announcement"), ("project:B", "announcement"), ("project:C", "announcement")])
    with Receiver(["500"] * 10) as rx:
        push_config(rx.url)
        with app.app_context():
            assert outbox.deliver_due() == 1
            _db.session.remove()
    assert rx.arrivals == 1
    assert [a for _, a, _ in _states(app)] == [1, 0, 0]


class _Capture(BaseHTTPRequestHandler):
    seen: list = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Capture.seen.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_sm2_signed_push_verifies_with_the_centers_public_key(app, push_config, tmp_path):
    import base64

    from guarantees import sm2

    key = sm2.generate_private_key()
    pem = tmp_path / "push-sm2.pem"
    pem.write_text(key.pkcs8_pem())
    old = {k: app.config.get(k) for k in ("TRADING_PUSH_SIGNER", "TRADING_PUSH_SM2_KEY")}
    app.config.update(TRADING_PUSH_SIGNER="sm3-sm2", TRADING_PUSH_SM2_KEY=str(pem))
    _Capture.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        push_config(f"http://127.0.0.1:{server.server_address[1]}/push")
        _enqueue(app, [("project:NC-2026-0001", "announcement")])
        _run_until_done(app)
    finally:
        server.shutdown()
        server.server_close()
        app.config.update(old)
    assert len(_Capture.seen) == 1
    headers, body = _Capture.seen[0]
    algorithm, _, signature = headers["X-Tradehall-Signature"].partition("=")
    assert algorithm == "sm3-sm2"
    signed = outbox.signing_input(headers["X-Tradehall-Timestamp"], headers["Idempotency-Key"], body)
    public = key.public_key()
    assert public.verify(signed, base64.b64decode(signature))
    assert not public.verify(signed.replace(b"announcement", b"termination"), base64.b64decode(signature))
    assert not sm2.generate_private_key().public_key().verify(signed, base64.b64decode(signature))


def test_sm2_signer_without_a_key_says_what_is_missing(app):
    from trading.stats import push

    with pytest.raises(RuntimeError, match="TRADING_PUSH_SM2_KEY"):
        push.sm2_signer({"TRADING_PUSH_SM2_KEY": ""})
    with pytest.raises(RuntimeError, match="TRADING_PUSH_SM2_KEY"):
        push.sm2_signer({"TRADING_PUSH_SM2_KEY": "/nonexistent/key.pem"})
