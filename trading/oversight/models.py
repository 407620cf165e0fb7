"""Oversight's tables: deadline items (红黄牌) and ratings (好差评)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime


class DeadlineItem(db.Model):
    """One piece of work with a time limit (a review, a qualification, a refund, …), opened and closed by the
    scheduler from the state of its object; `card` moves none → yellow → red once each."""

    __tablename__ = "deadline_items"
    __table_args__ = (UniqueConstraint("kind", "object", "started_at", name="uq_deadline_items_kind_object_start"),
                      Index("ix_deadline_items_open", "closed_at", "due_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    object: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    responsible: Mapped[str] = mapped_column(String(64), default="role:staff")  # a username, or "role:<role>"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    card: Mapped[str] = mapped_column(String(8), default="none")
    yellow_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    red_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Rating(db.Model):
    """A party's rating of the center's service after a completed deal (好差评); 1–2 stars open a
    rectification item (差评整改) that staff answer."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("subject", "user_id", name="uq_ratings_subject_user"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))  # "project:7" or "lot:3"
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stars: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
