"""Accounts, organisations, projects and the audit log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import Money, UTCDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Role(StrEnum):
    BIDDER = "bidder"
    COLLECTIVE = "collective"
    STAFF = "staff"
    GUARANTOR = "guarantor"
    EXPERT = "expert"


ROLE_LABELS = {Role.BIDDER: "竞买人", Role.COLLECTIVE: "出让方（村集体/招标人）", Role.STAFF: "交易中心工作人员",
               Role.GUARANTOR: "担保机构", Role.EXPERT: "评标专家"}


class OrgKind(StrEnum):
    VILLAGE_COLLECTIVE = "village_collective"
    COMPANY = "company"
    COOPERATIVE = "cooperative"
    INDIVIDUAL = "individual"
    GUARANTOR = "guarantor"
    CENTER = "center"


ORG_KIND_LABELS = {OrgKind.VILLAGE_COLLECTIVE: "村集体经济组织", OrgKind.COMPANY: "企业",
                   OrgKind.COOPERATIVE: "农民专业合作社", OrgKind.INDIVIDUAL: "个人/家庭农场",
                   OrgKind.GUARANTOR: "担保机构", OrgKind.CENTER: "交易中心"}


class Organisation(db.Model):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    # 统一社会信用代码 (18 chars) or, for individuals, the resident ID number
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    # short institution code, e.g. a guarantor's issuer code "GXRCB"
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    town: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # bumped by logout and password change: a browser session signed in under an older version is refused
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    org: Mapped[Organisation | None] = relationship()

    @property
    def name(self) -> str:
        if self.org is not None:
            return self.org.name
        return self.display_name or self.username

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


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

    @property
    def is_public_resource(self) -> bool:
        from trading.rules import PUBLIC_KINDS

        return self.kind in PUBLIC_KINDS


class ProjectPriorityHolder(db.Model):
    __tablename__ = "project_priority_holders"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class AuditEntry(db.Model):
    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(db.Model):
    """One row: the chain head. Appends lock it, so the chain has one order."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigId, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class IdempotencyKey(db.Model):
    """A replayed request with the same key returns the first response (API.md, bids)."""

    __tablename__ = "idempotency_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("user_id", "key"),)
