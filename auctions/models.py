"""Registrations (报名) — the auctions package extends this module with bids and sealed bids."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.accounts.models import User
from trading.clock import now
from trading.extensions import db
from trading.projects.models import Project
from trading.types import Money, UTCDateTime


class RegistrationStatus(StrEnum):
    PENDING = "pending"
    QUALIFIED = "qualified"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class SecurityType(StrEnum):
    GUARANTEE = "guarantee"
    DEPOSIT = "deposit"


class Registration(db.Model):
    __tablename__ = "registrations"
    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL for a tender lot's registration (the tenders package links it to its lot)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    bidder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # anonymous number shown in the auction room; random, so it reveals nothing of the order
    bidder_no: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=RegistrationStatus.PENDING)
    security_type: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # set when an award to this bidder is annulled (default or upheld objection): skipped by 递补
    annulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project | None] = relationship()
    bidder: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("project_id", "bidder_id"), UniqueConstraint("project_id", "bidder_no"))


REGISTRATION_LABELS = {RegistrationStatus.PENDING: "待审核", RegistrationStatus.QUALIFIED: "已取得资格",
                       RegistrationStatus.REJECTED: "未通过", RegistrationStatus.WITHDRAWN: "已撤回"}


class Bid(db.Model):
    """An accepted open-auction bid. (project_id, seq) is unique: no bid is ever duplicated."""

    __tablename__ = "bids"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    seq: Mapped[int]
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"))
    bidder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    is_priority: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at_after: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64))

    registration: Mapped[Registration] = relationship()

    __table_args__ = (UniqueConstraint("project_id", "seq"),)


class SealedBid(db.Model):
    """One sealed bid per bidder, replaced in place; the amount is AES-GCM ciphertext until the close."""

    __tablename__ = "sealed_bids"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"))
    bidder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ciphertext: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # written by the closing job only
    opened_amount: Mapped[Decimal | None] = mapped_column(Money)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship()

    __table_args__ = (UniqueConstraint("project_id", "bidder_id"),)
