"""Guarantors and their keys, electronic guarantees, claims, cash deposits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auctions.models import Registration
from guarantees.states import ClaimStatus, DepositStatus, GuaranteeStatus
from trading.accounts.models import Organisation
from trading.clock import now
from trading.extensions import db
from trading.types import Money, UTCDateTime


class Guarantor(db.Model):
    """A bank or insurer whose signed guarantees the center accepts; `code` is the document's issuer."""

    __tablename__ = "guarantors"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    org: Mapped[Organisation] = relationship()
    keys: Mapped[list[GuarantorKey]] = relationship(back_populates="guarantor", order_by="GuarantorKey.id")


class GuarantorKey(db.Model):
    """A guarantor's public key, valid for documents the platform RECEIVES in [valid_from, valid_until) by the
    server clock (guarantees.rules.key_valid_at); a retired key is kept so that guarantees received before its
    retirement stay verifiable, and signs nothing new."""

    __tablename__ = "guarantor_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    guarantor_id: Mapped[int] = mapped_column(ForeignKey("guarantors.id"), index=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    public_key_pem: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    guarantor: Mapped[Guarantor] = relationship(back_populates="keys")

    @property
    def algorithm_label(self) -> str:
        """The algorithm as shown to people: Ed25519, ECDSA P-256, 国密 SM2."""
        from guarantees.crypto import LABELS

        return LABELS.get(self.algorithm, self.algorithm)


class Guarantee(db.Model):
    __tablename__ = "guarantees"
    id: Mapped[int] = mapped_column(primary_key=True)
    guarantee_no: Mapped[str] = mapped_column(String(64), unique=True)
    guarantor_id: Mapped[int] = mapped_column(ForeignKey("guarantors.id"), index=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("guarantor_keys.id"))
    type: Mapped[str] = mapped_column(String(16))
    applicant: Mapped[str] = mapped_column(String(64), index=True)
    beneficiary: Mapped[str] = mapped_column(String(200))
    project_code: Mapped[str] = mapped_column(String(32), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # exactly the signed bytes (canonical JSON, UTF-8), their digest and the signature as received
    document: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=GuaranteeStatus.ISSUED)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_reason: Mapped[str | None] = mapped_column(Text)
    # 否认保函: the issuer's guarantor user states it never issued this guarantee; staff then confirm the forgery
    repudiated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repudiated_by: Mapped[str | None] = mapped_column(String(64))
    repudiation_reason: Mapped[str | None] = mapped_column(Text)

    guarantor: Mapped[Guarantor] = relationship()
    key: Mapped[GuarantorKey] = relationship()
    registration: Mapped[Registration | None] = relationship()
    claims: Mapped[list[Claim]] = relationship(back_populates="guarantee", order_by="Claim.id")

    __table_args__ = (Index("ix_guarantees_status_valid_until", "status", "valid_until"),)


class Claim(db.Model):
    """A claim on a defaulting holder's guarantee: filed by staff, paid or rejected by the guarantor."""

    __tablename__ = "guarantee_claims"
    id: Mapped[int] = mapped_column(primary_key=True)
    guarantee_id: Mapped[int] = mapped_column(ForeignKey("guarantees.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.FILED, index=True)
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)

    guarantee: Mapped[Guarantee] = relationship(back_populates="claims")


class Deposit(db.Model):
    """Cash bid security: awaiting → received → refunded | forfeited | applied.

    `refund_due_at` marks a received deposit the center owes back (withdrawal, rejection, losing at the close).
    """

    __tablename__ = "deposits"
    id: Mapped[int] = mapped_column(primary_key=True)
    # one open deposit per registration; a withdrawn registration taken up again may need a new one
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default=DepositStatus.AWAITING, index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by: Mapped[str | None] = mapped_column(String(64))
    refund_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    refund_reason: Mapped[str | None] = mapped_column(Text)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_by: Mapped[str | None] = mapped_column(String(64))

    registration: Mapped[Registration] = relationship()
