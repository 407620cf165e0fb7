"""Users, their organisations and API tokens; the roles a user may hold."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime


class Role(StrEnum):
    BIDDER = "bidder"
    COLLECTIVE = "collective"
    STAFF = "staff"
    GUARANTOR = "guarantor"


ROLE_LABELS = {Role.BIDDER: "竞买人", Role.COLLECTIVE: "出让方（村集体/招标人）", Role.STAFF: "交易中心工作人员",
               Role.GUARANTOR: "担保机构"}


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
