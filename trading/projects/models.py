"""Projects (交易项目), their priority holders and the per-year code counters."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.accounts.models import Role, User
from trading.clock import now
from trading.extensions import db
from trading.projects.schemas import PUBLIC_KINDS
from trading.projects.states import allowed_actions
from trading.types import Money, UTCDateTime


class CodeCounter(db.Model):
    """Per (prefix, year) counters for readable codes; locked while incremented."""

    __tablename__ = "code_counters"
    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Project(db.Model):
    """A listing (交易项目). Its row is also the auction row that the bid transaction locks."""

    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16))
    price_unit: Mapped[str] = mapped_column(String(16))
    area_mu: Mapped[Decimal | None] = mapped_column(Money)
    term_years: Mapped[int | None]
    start_price: Mapped[Decimal] = mapped_column(Money)
    reserve_price: Mapped[Decimal | None] = mapped_column(Money)
    budget: Mapped[Decimal | None] = mapped_column(Money)
    increment: Mapped[Decimal] = mapped_column(Money)
    deposit: Mapped[Decimal] = mapped_column(Money)
    extension_seconds: Mapped[int]
    max_extensions: Mapped[int | None]
    announce_start: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_end: Mapped[datetime] = mapped_column(UTCDateTime)
    bidding_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    bidding_end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), index=True, default="draft")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    relisted_from_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # live auction state, updated only inside the bid transaction and the closing job
    current_price: Mapped[Decimal | None] = mapped_column(Money)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    leader_is_priority: Mapped[bool] = mapped_column(default=False)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    bid_count: Mapped[int] = mapped_column(default=0)
    extensions_used: Mapped[int] = mapped_column(default=0)
    # outcome, written by the closing job
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    awarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    final_price: Mapped[Decimal | None] = mapped_column(Money)
    winner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    publicity_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    leader: Mapped[User | None] = relationship(foreign_keys=[leader_id])
    winner: Mapped[User | None] = relationship(foreign_keys=[winner_id])
    priority_holders: Mapped[list[User]] = relationship(secondary="project_priority_holders")

    __table_args__ = (Index("ix_projects_status_bidding_start", "status", "bidding_start"),)

    def allowed_actions(self, user, status: str | None = None) -> frozenset[str]:
        """What `user` may do with this project now (states.allowed_actions): pages ask this, not the table.
        `status` is the effective status when the caller already has it."""
        from trading.projects.services import effective_status  # services imports this module

        parties = set()
        if user is not None and getattr(user, "is_authenticated", False):
            if user.role == Role.STAFF:
                parties.add("staff")
            if user.role == Role.COLLECTIVE and user.id == self.owner_id:
                parties.add("owner")
        return allowed_actions(status or effective_status(self), parties)

    @property
    def is_public_resource(self) -> bool:
        return self.kind in PUBLIC_KINDS


class ProjectPriorityHolder(db.Model):
    __tablename__ = "project_priority_holders"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
