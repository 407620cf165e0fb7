"""Users, their organisations and API tokens; the roles a user may hold."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime


class Role(StrEnum):
    BIDDER = "bidder"
    COLLECTIVE = "collective"
    STAFF = "staff"
    GUARANTOR = "guarantor"
    SUPERVISOR = "supervisor"  # 行政监督: reads everything staff read, writes nothing
    EXPERT = "expert"  # 评标专家 (tendering): sees nothing staff-only


ROLE_LABELS = {Role.BIDDER: "竞买人", Role.COLLECTIVE: "出让方（村集体/招标人）", Role.STAFF: "交易中心工作人员",
               Role.GUARANTOR: "担保机构", Role.SUPERVISOR: "行政监督", Role.EXPERT: "评标专家"}


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


class Notification(db.Model):
    """One notice in a user's inbox (站内消息). `dedupe_key` makes a scheduled notice idempotent per user."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_dedupe"),
                      Index("ix_notifications_dedupe_key", "dedupe_key"),
                      Index("ix_notifications_user_read", "user_id", "read_at"),
                      Index("ix_notifications_user_kind_ref", "user_id", "kind", "ref"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    ref: Mapped[str | None] = mapped_column(String(64))  # the object it is about, e.g. "project:7"
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Delivery(db.Model):
    """The outbox: one row per notice and external channel, written in the notice's transaction and sent by the
    scheduler. pending → sending (claimed, committed before the send: at most once) → sent | pending (retry
    with backoff) | failed; skipped when the user has no address for a channel they chose."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (UniqueConstraint("notification_id", "channel", name="uq_deliveries_notification_channel"),
                      Index("ix_deliveries_status_next", "status", "next_attempt_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    address: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notification: Mapped[Notification] = relationship()


class NotificationSettings(db.Model):
    """The channels a user chose on their profile; without a row a user gets the inbox only."""

    __tablename__ = "notification_settings"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(200))
    email_on: Mapped[bool] = mapped_column(default=False)
    sms_on: Mapped[bool] = mapped_column(default=False)


class CreditEntry(db.Model):
    """An entry on the credit list (失信惩戒): while active and its bar period covers today (Beijing), the
    organisation's users cannot register for anything. draft (opened by a default, staff confirm) → active →
    repaired (信用修复, ended early with a reason)."""

    __tablename__ = "credit_entries"
    __table_args__ = (Index("ix_credit_entries_org_status", "org_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    cause: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[str] = mapped_column(Text, default="")
    decided_on: Mapped[date]
    bar_from: Mapped[date]
    bar_until: Mapped[date]
    project_code: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), default="active")
    source: Mapped[str] = mapped_column(String(32), default="manual")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repaired_by: Mapped[str | None] = mapped_column(String(64))
    repaired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repair_reason: Mapped[str | None] = mapped_column(Text)

    org: Mapped[Organisation] = relationship()
