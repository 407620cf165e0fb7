"""Delivering the outbox (notification_deliveries) from the scheduler: e-mail over SMTP, SMS through a gateway.

Each delivery is claimed under `FOR UPDATE SKIP LOCKED` (SQLite serialises writers) and marked `sending` in a
committed transaction *before* anything is sent: a second scheduler skips it, and a crash mid-send leaves it
`sending` (shown to staff) rather than sending twice — at most once per channel. A failed send goes back to
`pending` with exponential backoff and becomes `failed` after TRADING_NOTIFY_MAX_ATTEMPTS (at once when the server
refused that message for good, e.g. an SMS gateway's 4xx). When the SMTP server or the SMS gateway cannot be reached
at all, the sweep stops trying that channel until the next sweep; the other channel and every other job still run.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from typing import Protocol

from flask import current_app
from sqlalchemy import select

from trading.accounts.models import Delivery, Notification
from trading.clock import now
from trading.db import lock
from trading.extensions import db

log = logging.getLogger("tradehall.notify")
BATCH = 50


class DeliveryError(Exception):
    """A send failed. `unreachable`: the server itself could not be reached (skip the channel this sweep);
    `permanent`: the server refused this message for good (no retry: the row is failed at once); neither: this
    message is retried with backoff."""

    def __init__(self, message: str, *, unreachable: bool = False, permanent: bool = False):
        super().__init__(message)
        self.unreachable, self.permanent = unreachable, permanent


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


RETRYABLE_HTTP = frozenset({408, 425, 429})  # with every 5xx: the gateway is there but cannot take it now


class HttpSmsGateway:
    """A JSON-over-HTTP SMS gateway: POST {"to", "text"} with a bearer token; any 2xx is accepted.

    An HTTP error answer concerns this one message: a 5xx (or 408/425/429) is retried with backoff, any other (a 4xx:
    a bad number, a rejected text, a bad token) fails the message at once. Only a connection that cannot be made
    (refused, DNS, timeout) is "unreachable" and stops SMS for the rest of the sweep."""

    def __init__(self, url: str, token: str = "", timeout: float = 10.0):
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, phone: str, text: str) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise DeliveryError("短信网关地址无效")
        req = urllib.request.Request(self.url, data=json.dumps({"to": phone, "text": text}).encode(),  # noqa: S310
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {self.token}"} if self.token else {})})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 (http(s) checked above)
                status = resp.status
        except urllib.error.HTTPError as exc:  # an answer (an OSError subclass too): about this message only
            exc.close()
            if exc.code >= 500 or exc.code in RETRYABLE_HTTP:
                raise DeliveryError(f"短信网关暂时无法处理（HTTP {exc.code}），稍后重试") from exc
            raise DeliveryError(f"短信网关拒绝该短信（HTTP {exc.code}）", permanent=True) from exc
        except OSError as exc:  # URLError (refused, DNS), a timeout: no answer at all
            raise DeliveryError(f"短信网关不可达：{exc}", unreachable=True) from exc
        if not 200 <= status < 300:
            raise DeliveryError(f"短信网关返回 HTTP {status}", permanent=True)


class TestSmsGateway:
    """Keeps the messages in memory (tests, the demo); `fail_for` phone numbers are refused."""

    sent: list[tuple[str, str]] = []
    fail_for: set[str] = set()

    def send(self, phone: str, text: str) -> None:
        if phone in self.fail_for:
            raise DeliveryError("测试网关拒绝该号码")
        TestSmsGateway.sent.append((phone, text))


# name -> factory(config) — another adapter plugs in with register_gateway
GATEWAYS: dict[str, Callable[[dict], SmsGateway]] = {
    "http": lambda cfg: HttpSmsGateway(cfg["TRADING_SMS_URL"], cfg.get("TRADING_SMS_TOKEN", ""),
                                       float(cfg.get("TRADING_NOTIFY_TIMEOUT_SECONDS", 10))),
    "test": lambda cfg: TestSmsGateway(),
}


def register_gateway(name: str, factory: Callable[[dict], SmsGateway]) -> None:
    GATEWAYS[name] = factory


def sms_gateway() -> SmsGateway | None:
    name = current_app.config.get("TRADING_SMS_GATEWAY") or ""
    return GATEWAYS[name](current_app.config) if name in GATEWAYS else None


def send_email(to: str, subject: str, body: str) -> None:
    cfg = current_app.config
    host = cfg.get("TRADING_SMTP_HOST")
    if not host:
        raise DeliveryError("未配置邮件服务器（TRADING_SMTP_HOST）", unreachable=True)
    msg = EmailMessage()
    msg["From"] = cfg.get("TRADING_SMTP_FROM") or "noreply@tradehall.local"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    try:
        with smtplib.SMTP(host, int(cfg.get("TRADING_SMTP_PORT", 25)),
                          timeout=float(cfg.get("TRADING_NOTIFY_TIMEOUT_SECONDS", 10))) as smtp:
            if cfg.get("TRADING_SMTP_STARTTLS"):
                smtp.starttls()
            if cfg.get("TRADING_SMTP_USER"):
                smtp.login(cfg["TRADING_SMTP_USER"], cfg.get("TRADING_SMTP_PASSWORD", ""))
            smtp.send_message(msg)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"邮件服务器拒绝：{exc.smtp_code}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"邮件服务器不可达：{exc}", unreachable=True) from exc


def _send(channel: str, address: str, title: str, body: str) -> None:
    center = current_app.config.get("TRADING_CENTER_NAME", "")
    if channel == "email":
        send_email(address, f"【{center}】{title}", f"{title}\n\n{body}\n\n——{center}交易平台（请勿回复）")
        return
    gateway = sms_gateway()
    if gateway is None:
        raise DeliveryError("未配置短信网关（TRADING_SMS_GATEWAY）", unreachable=True)
    gateway.send(address, f"【{center}】{title}：{body}"[:300])


def backoff(attempts: int) -> timedelta:
    base = int(current_app.config.get("TRADING_NOTIFY_BACKOFF_SECONDS", 30))
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def _claim(delivery_id: int, skip: set[str]) -> tuple[str, str, str, str] | None:
    row = lock(Delivery, delivery_id, skip_locked=True)
    if row is None or row.status != "pending" or row.next_attempt_at > now() or row.channel in skip:
        db.session.rollback()
        return None
    row.status, row.attempts, row.next_attempt_at = "sending", row.attempts + 1, now()
    n: Notification = row.notification
    claimed = (row.channel, row.address or "", n.title, n.body)
    db.session.commit()
    db.session.close()  # no transaction (and on SQLite no write lock) is held while the message is sent
    return claimed


def _finish(delivery_id: int, error: DeliveryError | None) -> None:
    row = db.session.get(Delivery, delivery_id)
    assert row is not None  # claimed rows are never deleted
    if error is None:
        row.status, row.sent_at, row.last_error = "sent", now(), None
    else:
        row.last_error = str(error)[:500]
        if error.permanent or row.attempts >= int(current_app.config.get("TRADING_NOTIFY_MAX_ATTEMPTS", 5)):
            row.status = "failed"
        else:
            row.status, row.next_attempt_at = "pending", now() + backoff(row.attempts)
    db.session.commit()


def deliver_due() -> int:
    """The scheduler job: send the due outbox rows; returns how many were sent."""
    ids = list(db.session.execute(select(Delivery.id).where(Delivery.status == "pending",
                                                            Delivery.next_attempt_at <= now())
                                  .order_by(Delivery.id).limit(BATCH)).scalars())
    db.session.rollback()
    sent, skip = 0, set[str]()
    for did in ids:
        claimed = _claim(did, skip)
        if claimed is None:
            continue
        channel, address, title, body = claimed
        error = None
        try:
            _send(channel, address, title, body)
        except DeliveryError as exc:
            error = exc
            if exc.unreachable:
                skip.add(channel)
        except Exception as exc:  # an adapter's bug must not leave the row claimed forever
            log.exception("delivery %s failed", did)
            error = DeliveryError(f"发送异常：{type(exc).__name__}")
        _finish(did, error)
        sent += error is None
    return sent
