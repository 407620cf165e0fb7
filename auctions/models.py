"""Registrations (报名) — the auctions package extends this module with bids and sealed bids."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.models import Project, User
from trading.types import UTCDateTime


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
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
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

    project: Mapped[Project] = relationship()
    bidder: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("project_id", "bidder_id"), UniqueConstraint("project_id", "bidder_no"))
