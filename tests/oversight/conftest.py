"""Oversight fixtures: the auctions Hall (real API), an in-process SMTP server (aiosmtpd), the test SMS gateway."""

from __future__ import annotations

import socket

import pytest

from tests.auctions.conftest import Hall


@pytest.fixture
def hall(app, factory, api):
    return Hall(app, factory, api)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A real SMTP server on a free local port; the app is pointed at it for the test."""
    from aiosmtpd.controller import Controller

    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    old = {k: app.config.get(k) for k in ("TRADING_SMTP_HOST", "TRADING_SMTP_PORT", "TRADING_SMS_GATEWAY")}
    app.config.update(TRADING_SMTP_HOST="127.0.0.1", TRADING_SMTP_PORT=port, TRADING_SMS_GATEWAY="test")
    try:
        yield handler
    finally:
        controller.stop()
        app.config.update(old)


@pytest.fixture
def sms(app):
    from trading.accounts.delivery import TestSmsGateway

    old = app.config.get("TRADING_SMS_GATEWAY")
    app.config["TRADING_SMS_GATEWAY"] = "test"
    TestSmsGateway.sent.clear()
    TestSmsGateway.fail_for.clear()
    yield TestSmsGateway
    TestSmsGateway.sent.clear()
    TestSmsGateway.fail_for.clear()
    app.config["TRADING_SMS_GATEWAY"] = old


@pytest.fixture
def dead_smtp(app):
    old = {k: app.config.get(k) for k in ("TRADING_SMTP_HOST", "TRADING_SMTP_PORT")}
    app.config.update(TRADING_SMTP_HOST="127.0.0.1", TRADING_SMTP_PORT=_free_port())  # nothing listens there
    yield
    app.config.update(old)


@pytest.fixture(scope="session")
def signing_keys(app):
    from certificates import keys

    with app.app_context():
        keys.init_keys(app.config["TRADING_CENTER_NAME"])
        return keys.key_paths()


@pytest.fixture
def issued(app, factory, api, signing_keys):
    """A certified project (the certificate issued through the API)."""
    from datetime import timedelta

    from tests.certificates.conftest import make_awarded
    from trading import clock

    out = make_awarded(app, factory, api)
    clock.freeze(out["publicity_ends_at"] + timedelta(minutes=5))
    r = api.post(f"/api/v1/projects/{out['id']}/certificate", user=out["staff"])
    assert r.status_code == 201, r.get_json()
    return out
