"""The core's own tables: the audit log, its head, and idempotency keys for API writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(db.Model):
    """One entry of one chain (trading.audit): `seq` orders all entries globally (a sequence, no lock),
    `chain_seq` is the position in its chain, which the hash covers."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chain: Mapped[str] = mapped_column(String(64))
    chain_seq: Mapped[int] = mapped_column(BigId)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (UniqueConstraint("chain", "chain_seq"),)


class AuditChain(db.Model):
    """The head of one audit chain. An append locks only its own chain's row."""

    __tablename__ = "audit_chains"
    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigId, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class AuditAnchored(db.Model):
    """The last head of each chain the anchor job has anchored (written only by that job; a cache of what the
    anchors say, which verification does not trust)."""

    __tablename__ = "audit_anchored"
    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigId)


class IdempotencyKey(db.Model):
    """A replayed request with the same key returns the first response (docs/api.md, bids)."""

    __tablename__ = "idempotency_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("user_id", "key"),)
