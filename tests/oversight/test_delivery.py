"""Delivering the outbox from the scheduler: a real SMTP server (aiosmtpd), the test SMS gateway, retries with
backoff, at most once per channel, two schedulers, a user without an e-mail address, an SMTP server that is down."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from trading import clock
from trading.extensions import db as _db


def _user_with_channels(app, factory, name, *, email="a@example.cn", email_on=True, sms_on=False, phone=None):
    from trading.accounts.models import NotificationSettings

    uid, _ = factory.user("bidder", name, phone=phone)
    with app.app_context():
        _db.session.add(NotificationSettings(user_id=uid, email=email, email_on=email_on, sms_on=sms_on))
        _db.session.commit()
        _db.session.remove()
    return uid


def _notify(app, uid, title="报名审核通过：耕地经营权出租"):
    from trading.accounts.notifications import notify

    with app.app_context():
        n = notify(uid, "registration_qualified", title, "竞买号 A001")
        _db.session.commit()
        nid = n.id
        _db.session.remove()
    return nid


def _deliver(app):
    from trading.accounts.delivery import deliver_due

    with app.app_context():
        n = deliver_due()
        _db.session.remove()
    return n


def _rows(app):
    from trading.accounts.models import Delivery

    with app.app_context():
        rows = [(d.channel, d.status, d.attempts, d.last_error) for d in
                _db.session.execute(select(Delivery).order_by(Delivery.id)).scalars()]
        _db.session.remove()
    return rows


def test_email_through_a_real_smtp_server_once(app, factory, smtp):
    uid = _user_with_channels(app, factory, "alice", email="alice@example.cn")
    _notify(app, uid)
    assert smtp.messages == []  # nothing is sent in the event's transaction
    assert _deliver(app) == 1
    assert len(smtp.messages) == 1
    rcpt, content = smtp.messages[0]
    assert rcpt == ["alice@example.cn"]
    assert "A001" in content
    assert _deliver(app) == 0
    assert len(smtp.messages) == 1
    assert _rows(app) == [("email", "sent", 1, None)]


def test_a_user_without_email_skips_that_channel_and_still_gets_sms(app, factory, smtp, sms):
    uid = _user_with_channels(app, factory, "bob", email=None, email_on=True, sms_on=True, phone="13800000001")
    _notify(app, uid)
    assert _deliver(app) == 1
    assert smtp.messages == []
    assert [p for p, _ in sms.sent] == ["13800000001"]
    rows = _rows(app)
    assert ("email", "skipped", 0, "未填写电子邮箱") in rows and ("sms", "sent", 1, None) in rows


def test_smtp_down_is_retried_with_backoff_then_failed_and_blocks_nothing(app, factory, dead_smtp, sms):
    app.config["TRADING_NOTIFY_MAX_ATTEMPTS"] = 3
    try:
        uid = _user_with_channels(app, factory, "carol", email="carol@example.cn", sms_on=True, phone="13800000002")
        _notify(app, uid)
        t0 = clock.now()
        clock.freeze(t0)
        assert _deliver(app) == 1  # the SMS went out although the e-mail did not
        assert [p for p, _ in sms.sent] == ["13800000002"]
        email = [r for r in _rows(app) if r[0] == "email"][0]
        assert email[1:3] == ("pending", 1) and "不可达" in email[3]
        assert _deliver(app) == 0  # not due yet: backoff
        assert [r for r in _rows(app) if r[0] == "email"][0][2] == 1
        clock.freeze(t0 + timedelta(seconds=31))
        _deliver(app)
        assert [r for r in _rows(app) if r[0] == "email"][0][1:3] == ("pending", 2)
        clock.freeze(t0 + timedelta(seconds=31 + 59))
        _deliver(app)
        assert [r for r in _rows(app) if r[0] == "email"][0][2] == 2  # the backoff doubled (60 s)
        clock.freeze(t0 + timedelta(seconds=31 + 61))
        _deliver(app)
        assert [r for r in _rows(app) if r[0] == "email"][0][1:3] == ("failed", 3)
        clock.freeze(t0 + timedelta(hours=2))
        _deliver(app)
        assert [r for r in _rows(app) if r[0] == "email"][0][1:3] == ("failed", 3)
        assert len(sms.sent) == 1
    finally:
        app.config["TRADING_NOTIFY_MAX_ATTEMPTS"] = 5


def test_failures_are_visible_to_staff(app, factory, dead_smtp, client):
    from tests.conftest import PASSWORD

    app.config["TRADING_NOTIFY_MAX_ATTEMPTS"] = 1
    try:
        uid = _user_with_channels(app, factory, "dora", email="dora@example.cn")
        _notify(app, uid, title="竞得通知：鱼塘承包")
        _deliver(app)
    finally:
        app.config["TRADING_NOTIFY_MAX_ATTEMPTS"] = 5
    factory.user("staff", "staff9")
    factory.user("bidder", "eve")
    c = app.test_client()
    c.post("/login", data={"username": "eve", "password": PASSWORD})
    assert c.get("/staff/deliveries").status_code == 403
    c = app.test_client()
    c.post("/login", data={"username": "staff9", "password": PASSWORD})
    html = c.get("/staff/deliveries").get_data(as_text=True)
    assert "竞得通知：鱼塘承包" in html and "失败" in html and "dora@example.cn" in html


def test_two_schedulers_deliver_each_message_once(app, factory, smtp, sms):
    uids = [_user_with_channels(app, factory, f"u{i}", email=f"u{i}@example.cn", sms_on=True,
                                phone=f"1390000{i:04d}") for i in range(8)]
    for uid in uids:
        _notify(app, uid)
    barrier = threading.Barrier(2)
    errors = []

    def scheduler():
        try:
            barrier.wait()
            for _ in range(3):
                _deliver(app)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r[0] for r, _ in smtp.messages) == sorted(f"u{i}@example.cn" for i in range(8))
    assert sorted(p for p, _ in sms.sent) == sorted(f"1390000{i:04d}" for i in range(8))
    assert {r[1:3] for r in _rows(app)} == {("sent", 1)}


def test_profile_chooses_channels(app, factory):
    from tests.conftest import PASSWORD

    factory.user("bidder", "fay", phone=None)
    c = app.test_client()
    c.post("/login", data={"username": "fay", "password": PASSWORD})
    r = c.post("/me/notification-settings", data={"email": "", "email_on": "1"})
    assert "选择邮件通知须填写电子邮箱" in r.get_data(as_text=True)
    r = c.post("/me/notification-settings", data={"email": "fay@example.cn", "sms_on": "1"})
    assert "账户未登记手机号" in r.get_data(as_text=True)
    r = c.post("/me/notification-settings", data={"email": "fay@example.cn", "email_on": "1"})
    assert r.status_code == 302
    html = c.get("/me/notification-settings").get_data(as_text=True)
    assert 'value="fay@example.cn"' in html and 'name="email_on" value="1" checked' in html


# ---------------------------------------------------------------- the HTTP SMS gateway against a real HTTP server

class _Gateway:
    """A local HTTP SMS gateway (http.server in a thread): it records each request and answers with the status
    planned for the phone number (200 when none is planned)."""

    def __init__(self):
        import http.server
        import json

        self.requests: list[tuple[str, dict, dict]] = []
        self.status: dict[str, int] = {}
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.requests.append((self.path, dict(self.headers), body))
                code = gateway.status.get(body.get("to"), 200)
                payload = json.dumps({"ok": code < 300}).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def phones(self) -> list[str]:
        return [body["to"] for _, _, body in self.requests]


@pytest.fixture
def http_gateway(app):
    gw = _Gateway()
    keys = ("TRADING_SMS_GATEWAY", "TRADING_SMS_URL", "TRADING_SMS_TOKEN", "TRADING_SMTP_HOST")
    old = {k: app.config.get(k) for k in keys}
    app.config.update(TRADING_SMS_GATEWAY="http", TRADING_SMS_URL=gw.url, TRADING_SMS_TOKEN="gw-secret",
                      TRADING_SMTP_HOST=None)
    try:
        yield gw
    finally:
        gw.close()
        app.config.update(old)


def _sms_user(app, factory, name, phone):
    return _user_with_channels(app, factory, name, email=None, email_on=False, sms_on=True, phone=phone)


def _sms_rows(app):
    from trading.accounts.models import Delivery

    with app.app_context():
        rows = {d.address: (d.status, d.attempts, d.last_error) for d in
                _db.session.execute(select(Delivery).where(Delivery.channel == "sms")).scalars()}
        _db.session.remove()
    return rows


def test_the_http_gateway_posts_json_with_the_token_to_a_real_server(app, factory, http_gateway):
    uid = _sms_user(app, factory, "gina", "13700000001")
    _notify(app, uid, title="报名审核通过：鱼塘承包")
    assert _deliver(app) == 1
    [(path, headers, body)] = http_gateway.requests
    assert path == "/sms/send" and headers["Authorization"] == "Bearer gw-secret"
    assert headers["Content-Type"] == "application/json"
    assert body["to"] == "13700000001" and "报名审核通过：鱼塘承包" in body["text"] and "A001" in body["text"]
    assert _sms_rows(app) == {"13700000001": ("sent", 1, None)}
    assert _deliver(app) == 0 and len(http_gateway.requests) == 1  # at most once


def test_a_5xx_is_retried_a_4xx_fails_that_message_and_neither_stops_the_other_messages(app, factory, http_gateway):
    busy, bad, fine = "13700000011", "13700000012", "13700000013"
    for name, phone in (("busy", busy), ("bad", bad), ("fine", fine)):
        _notify(app, _sms_user(app, factory, name, phone))
    http_gateway.status.update({busy: 503, bad: 400})
    t0 = clock.now()
    clock.freeze(t0)
    assert _deliver(app) == 1
    assert http_gateway.phones() == [busy, bad, fine]  # the gateway answered: every message was tried
    rows = _sms_rows(app)
    assert rows[fine] == ("sent", 1, None)
    assert rows[bad][:2] == ("failed", 1) and "HTTP 400" in rows[bad][2]  # refused for good: no retry
    assert rows[busy][:2] == ("pending", 1) and "HTTP 503" in rows[busy][2] and "不可达" not in rows[busy][2]
    http_gateway.status.pop(busy)
    clock.freeze(t0 + timedelta(seconds=31))  # after the backoff
    assert _deliver(app) == 1
    assert http_gateway.phones() == [busy, bad, fine, busy]
    assert _sms_rows(app)[busy] == ("sent", 2, None) and _sms_rows(app)[bad][:2] == ("failed", 1)


def test_an_unreachable_gateway_stops_sms_for_the_sweep_only(app, factory, http_gateway):
    from tests.oversight.conftest import _free_port

    first, second = "13700000021", "13700000022"
    for name, phone in (("hana", first), ("ivy", second)):
        _notify(app, _sms_user(app, factory, name, phone))
    app.config["TRADING_SMS_URL"] = f"http://127.0.0.1:{_free_port()}/sms/send"  # nothing listens there
    t0 = clock.now()
    clock.freeze(t0)
    assert _deliver(app) == 0
    rows = _sms_rows(app)
    assert rows[first][:2] == ("pending", 1) and "不可达" in rows[first][2]
    assert rows[second] == ("pending", 0, None)  # not tried against a gateway that is down
    app.config["TRADING_SMS_URL"] = http_gateway.url
    clock.freeze(t0 + timedelta(seconds=31))
    assert _deliver(app) == 2
    assert sorted(http_gateway.phones()) == [first, second]
