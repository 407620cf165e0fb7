"""Objections (异议) raised during result publicity, and issued certificates (鉴证书 / 成交确认书)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.accounts.models import User
from trading.clock import now
from trading.extensions import db
from trading.projects.models import Project
from trading.types import UTCDateTime


class ObjectionStatus(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    UPHELD = "upheld"


OBJECTION_LABELS = {ObjectionStatus.OPEN: "待处理", ObjectionStatus.DISMISSED: "已驳回",
                    ObjectionStatus.UPHELD: "已支持（成交结果撤销）"}


class CertificateStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class Objection(db.Model):
    __tablename__ = "objections"
    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL for an objection to a tender lot's candidates (the tenders package links it to its lot)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ObjectionStatus.OPEN)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project | None] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_objections_project_status", "project_id", "status"),)


class Certificate(db.Model):
    """One per awarded project. `facts` is the exact canonical JSON that the Ed25519 signature covers."""

    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # ASCII, for URLs: NC-2026-C0001
    number_text: Mapped[str] = mapped_column(String(64), unique=True)  # 鹿农交鉴〔2026〕0001号
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), unique=True)
    facts: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))  # base64 Ed25519 over facts (UTF-8)
    public_key: Mapped[str] = mapped_column(String(64))  # base64 raw Ed25519 public key used
    ca_cert: Mapped[str] = mapped_column(Text)  # PEM of the CA that issued the PAdES signing certificate
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=CertificateStatus.VALID)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    issued_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship()
