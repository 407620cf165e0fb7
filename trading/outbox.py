"""The outbox: publishable events pushed to the provincial platform, written in the request's own transaction.

A package that publishes something (trading.stats.push receives the projects/auctions/certificates signals;
tenders may call `enqueue` directly) adds a message with `enqueue` inside the transaction that made the event
happen, so the message exists if and only if the event committed. The scheduler job `deliver_due` then POSTs
each message to TRADING_PUSH_URL, outside any request:

* **ordered per stream** (one stream per project): only the oldest undelivered message of a stream is sent; a
  later one waits until it is delivered (a dead-lettered head holds its stream until staff redeliver it);
* **signed** by a pluggable signer (`SIGNERS`, TRADING_PUSH_SIGNER; HMAC-SHA256 with TRADING_PUSH_SECRET by
  default) over ``timestamp \\n idempotency-key \\n body``;
* **idempotent**: each message carries its own `Idempotency-Key` (sent again unchanged on every retry), so
  the receiver can drop a repeat (a reply lost to a time-out is sent again: at-least-once on the wire);
* **claimed, not locked**: a scheduler claims a message with one conditional UPDATE (a lease longer than the
  HTTP time-out) and commits before it sends, so no transaction stays open during the HTTP call and any
  number of schedulers send each message once;
* **short sweeps**: the job stops at the first failure of a sweep and after 2 s of sending, so a slow platform
  delays the scheduler's other jobs by one HTTP time-out at most;
* **retried with backoff** (TRADING_PUSH_BACKOFF_SECONDS × 2^(attempts-1), capped at one hour) and
  **dead-lettered** after TRADING_PUSH_MAX_ATTEMPTS tries; staff redeliver from /staff/push.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import JSON, Index, Integer, String, Text, and_, exists, select, update
from sqlalchemy.orm import Mapped, aliased, mapped_column

from trading.clock import isoformat, now
from trading.extensions import db
from trading.models import BigId
from trading.types import UTCDateTime

log = logging.getLogger("tradehall.push")

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
STATE_LABELS = {PENDING: "待推送", DELIVERED: "已送达", DEAD: "已转入死信"}
MAX_BACKOFF = 3600


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    stream: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_outbox_status_due", "status", "next_attempt_at"),
                      Index("ix_outbox_stream", "stream", "id"))


def enqueue(stream: str, event: str, payload: dict) -> OutboxMessage:
    """Add a message in the caller's transaction (flush, no commit): it is pushed only if that commits."""
    at = now()
    msg = OutboxMessage(stream=stream, event=event, idempotency_key=secrets.token_hex(16), payload=payload,
                        status=PENDING, attempts=0, next_attempt_at=at, created_at=at)
    db.session.add(msg)
    db.session.flush()
    return msg


# ---- signing -------------------------------------------------------------------------------------------

class Signer(Protocol):
    algorithm: str

    def sign(self, data: bytes) -> str: ...


@dataclass
class HmacSha256:
    secret: bytes
    algorithm: str = "hmac-sha256"

    def sign(self, data: bytes) -> str:
        return hmac.new(self.secret, data, hashlib.sha256).hexdigest()


# name → factory(app config) → Signer. SM2 (SM3withSM2, GB/T 32918) is registered by trading.stats.push as
# "sm3-sm2" (the core may not import guarantees/sm2.py).
SIGNERS: dict[str, Callable[[dict], Signer]] = {
    "hmac-sha256": lambda cfg: HmacSha256((cfg.get("TRADING_PUSH_SECRET") or "").encode()),
}


def signing_input(timestamp: str, key: str, body: bytes) -> bytes:
    return timestamp.encode() + b"\n" + key.encode() + b"\n" + body


def body_of(msg: OutboxMessage) -> bytes:
    envelope = {"id": msg.idempotency_key, "stream": msg.stream, "event": msg.event,
                "created_at": isoformat(msg.created_at), "data": msg.payload}
    return json.dumps(envelope, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


# ---- delivery ------------------------------------------------------------------------------------------

def backoff_seconds(attempts: int, base: int) -> int:
    """Seconds to wait after the `attempts`-th failure: base, 2·base, 4·base, … capped at an hour."""
    return min(MAX_BACKOFF, base * 2 ** max(0, attempts - 1))


def url_allowed(url: str) -> bool:
    """HTTPS only; plain HTTP only to a loopback address (a local relay, the tests' receiver)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _settings() -> dict:
    cfg = current_app.config
    return {"url": cfg.get("TRADING_PUSH_URL") or "", "timeout": float(cfg.get("TRADING_PUSH_TIMEOUT", 5)),
            "max_attempts": int(cfg.get("TRADING_PUSH_MAX_ATTEMPTS", 8)),
            "backoff": int(cfg.get("TRADING_PUSH_BACKOFF_SECONDS", 30)),
            "batch": int(cfg.get("TRADING_PUSH_BATCH", 20)),
            "signer": SIGNERS[cfg.get("TRADING_PUSH_SIGNER") or "hmac-sha256"](cfg)}


def _heads(at: datetime, limit: int) -> list[int]:
    """The oldest undelivered message of each stream, when it is due and not claimed by a live scheduler."""
    earlier = aliased(OutboxMessage)
    m = OutboxMessage
    blocked = exists().where(and_(earlier.stream == m.stream, earlier.id < m.id, earlier.status != DELIVERED))
    stmt = (select(m.id).where(m.status == PENDING, m.next_attempt_at <= at,
                               (m.claimed_until.is_(None)) | (m.claimed_until < at), ~blocked)
            .order_by(m.id).limit(limit))
    return list(db.session.execute(stmt).scalars())


def _claim(msg_id: int, at: datetime, lease: float) -> str | None:
    token = secrets.token_hex(8)
    m = OutboxMessage
    res = db.session.execute(
        update(m).where(m.id == msg_id, m.status == PENDING, (m.claimed_until.is_(None)) | (m.claimed_until < at))
        .values(claimed_until=at + timedelta(seconds=lease), claim_token=token)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return token if res.rowcount == 1 else None


def send(msg: OutboxMessage, s: dict) -> str | None:
    """POST one message; None when the platform accepted it (2xx), else the error to record."""
    body = body_of(msg)
    ts = isoformat(now()) or ""
    signer: Signer = s["signer"]
    req = urllib.request.Request(s["url"], data=body, method="POST", headers={  # noqa: S310 (url_allowed)
        "Content-Type": "application/json; charset=utf-8", "Idempotency-Key": msg.idempotency_key,
        "X-Tradehall-Timestamp": ts, "X-Tradehall-Event": msg.event,
        "X-Tradehall-Signature": f"{signer.algorithm}={signer.sign(signing_input(ts, msg.idempotency_key, body))}"})
    try:
        with urllib.request.urlopen(req, timeout=s["timeout"], context=ssl.create_default_context()) as resp:  # noqa: S310
            if 200 <= resp.status < 300:
                return None
            return f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"{type(reason).__name__}: {reason}"[:500]


def _finish(msg_id: int, token: str, error: str | None, s: dict) -> None:
    m = OutboxMessage
    msg = db.session.get(m, msg_id, populate_existing=True)
    if msg is None or msg.claim_token != token:  # the lease ran out and another scheduler took over
        db.session.rollback()
        return
    at = now()
    msg.attempts += 1
    msg.claimed_until, msg.claim_token = None, None
    if error is None:
        msg.status, msg.delivered_at, msg.last_error = DELIVERED, at, None
    else:
        msg.last_error = error
        if msg.attempts >= s["max_attempts"]:
            msg.status = DEAD
            log.warning("push: message %s (%s %s) dead after %s tries: %s", msg.id, msg.stream, msg.event,
                        msg.attempts, error)
        else:
            msg.next_attempt_at = at + timedelta(seconds=backoff_seconds(msg.attempts, s["backoff"]))
    db.session.commit()


SWEEP_BUDGET_SECONDS = 2.0


def deliver_due() -> int:
    """The scheduler job: push due stream heads, one at a time, at most TRADING_PUSH_BATCH per sweep.

    The scheduler runs its jobs one after another, so this job keeps its share short: it stops at the first
    failure of a sweep (the platform is likely down; the failed message waits out its backoff) and after
    SWEEP_BUDGET_SECONDS of sending, so a slow platform delays the other jobs by one HTTP time-out at most."""
    s = _settings()
    if not s["url"]:
        return 0
    if not url_allowed(s["url"]):
        log.error("push: TRADING_PUSH_URL must be https:// (plain http only to loopback); nothing sent")
        return 0
    lease = 2 * s["timeout"] + 10
    sent = 0
    started = time.monotonic()
    while sent < s["batch"] and time.monotonic() - started < SWEEP_BUDGET_SECONDS:
        heads = _heads(now(), s["batch"] - sent)
        db.session.rollback()
        if not heads:
            break
        progressed = False
        for msg_id in heads:
            token = _claim(msg_id, now(), lease)
            if token is None:
                continue
            msg = db.session.get(OutboxMessage, msg_id, populate_existing=True)
            if msg is None:
                continue
            error = send(msg, s)
            db.session.rollback()
            _finish(msg_id, token, error, s)
            sent += 1
            if error is not None:
                return sent
            progressed = True
            if time.monotonic() - started >= SWEEP_BUDGET_SECONDS:
                return sent
        if not progressed:
            break
    return sent


def redeliver(msg_id: int) -> OutboxMessage | None:
    """Staff: put a dead (or waiting) message back to be sent now, its tries counted afresh (flush only)."""
    msg = db.session.get(OutboxMessage, msg_id)
    if msg is None or msg.status == DELIVERED:
        return None
    msg.status, msg.attempts, msg.next_attempt_at = PENDING, 0, now()
    msg.claimed_until, msg.claim_token = None, None
    db.session.flush()
    return msg
