"""Tenders (招标项目), lots (标段), sealed tender bids, documents, clarifications, the expert pool, committees,
score sheets, signed papers (评标报告 / 中标通知书) and in-app notices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.accounts.models import User
from trading.clock import now
from trading.extensions import db
from trading.types import Money, UTCDateTime


class Tender(db.Model):
    __tablename__ = "tenders"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(16))  # open | invited
    evaluation: Mapped[str] = mapped_column(String(16))  # scoring | lowest_price
    announce_start: Mapped[datetime] = mapped_column(UTCDateTime)
    bid_deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(20), index=True, default="draft")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    lots: Mapped[list[Lot]] = relationship(back_populates="tender", order_by="Lot.no")
    invited: Mapped[list[User]] = relationship(secondary="tender_invitations")


class TenderInvitation(db.Model):
    __tablename__ = "tender_invitations"
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class Lot(db.Model):
    """A lot (标段/包): bidding, opening, evaluation and award happen per lot. Its row is the lot's lock."""

    __tablename__ = "tender_lots"
    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    no: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    budget: Mapped[Decimal] = mapped_column(Money)
    security_amount: Mapped[Decimal] = mapped_column(Money)
    speciality: Mapped[str] = mapped_column(String(32))
    committee_size: Mapped[int] = mapped_column(Integer)
    price_points: Mapped[Decimal] = mapped_column(Money)
    criteria: Mapped[list] = mapped_column(JSON, default=list)  # [{"code", "name", "max_points"}]
    status: Mapped[str] = mapped_column(String(20), default="draft")
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the deadline passed: opening began
    decrypt_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # prices revealed (status opened)
    opening_record: Mapped[dict | None] = mapped_column(JSON)  # 开标记录, exactly as hashed into the audit log
    opening_record_sha256: Mapped[str | None] = mapped_column(String(64))
    draw_seed: Mapped[str | None] = mapped_column(String(64))
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ranking: Mapped[list | None] = mapped_column(JSON)  # frozen at evaluation: [{"rank", "bid_id", ...}]
    candidates: Mapped[list | None] = mapped_column(JSON)  # bid ids, in order; struck ones removed
    publicity_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publicity_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    awarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    winner_bid_id: Mapped[int | None] = mapped_column(Integer)
    award_price: Mapped[Decimal | None] = mapped_column(Money)

    tender: Mapped[Tender] = relationship(back_populates="lots")

    __table_args__ = (UniqueConstraint("tender_id", "no"), Index("ix_tender_lots_status_tender", "status", "tender_id"))


class LotRegistration(db.Model):
    """Links a row of `registrations` (project_id NULL) to its lot: guarantees and deposits attach to it as to
    any registration, and POST /registrations/{id}/confirm-deposit works unchanged."""

    __tablename__ = "tender_registrations"
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lots.id"), index=True)
    bidder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (UniqueConstraint("lot_id", "bidder_id"),)


class TenderBid(db.Model):
    """A sealed tender bid: only ciphertext, nonce, salt, iterations and the receipt until its bidder decrypts it."""

    __tablename__ = "tender_bids"
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lots.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"))
    bidder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ciphertext: Mapped[str | None] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(String(32))
    salt: Mapped[str | None] = mapped_column(String(48))
    iterations: Mapped[int | None] = mapped_column(Integer)
    receipt: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    price: Mapped[Decimal | None] = mapped_column(Money)
    decrypted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(String(32))  # withdrawn | not_decrypted
    rejection: Mapped[str | None] = mapped_column(String(32))  # over_budget | committee (majority reject)

    bidder: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("lot_id", "bidder_id"),)


class TenderDocument(db.Model):
    __tablename__ = "tender_documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Clarification(db.Model):
    __tablename__ = "tender_clarifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    old_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    new_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    published_by: Mapped[str] = mapped_column(String(64))


class TenderQuestion(db.Model):
    """A bidder's question (答疑). asker_id is never serialised: questions are anonymous to the tenderee and the
    other bidders. answered_by is the clarification that answered (and closed) it."""

    __tablename__ = "tender_questions"
    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    asker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("tender_clarifications.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TenderNotice(db.Model):
    """An in-app notice (clarification, opening started, committee assigned …)."""

    __tablename__ = "tender_notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tenders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExpertProfile(db.Model):
    """评标专家: a user of role expert with a speciality; a suspended expert is never drawn."""

    __tablename__ = "tender_experts"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    speciality: Mapped[str] = mapped_column(String(32), index=True)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspend_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship()


class CommitteeMember(db.Model):
    __tablename__ = "tender_committee_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lots.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("lot_id", "user_id"),)


class ScoreSheet(db.Model):
    """One member's sheet for one bid: points per criterion (decimal strings), or a reject with its reason."""

    __tablename__ = "tender_score_sheets"
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lots.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("tender_committee_members.id"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("tender_bids.id"))
    points: Mapped[dict] = mapped_column(JSON, default=dict)
    reject: Mapped[bool] = mapped_column(default=False)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("member_id", "bid_id"),)


class LotObjection(db.Model):
    """Links an objection (certificates' `objections`, project_id NULL) to its lot."""

    __tablename__ = "tender_objections"
    objection_id: Mapped[int] = mapped_column(ForeignKey("objections.id"), primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lots.id"), index=True)


class TenderPaper(db.Model):
    """A signed paper: the evaluation report (评标报告) or the award notice (中标通知书)."""

    __tablename__ = "tender_papers"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(24))  # evaluation_report | award_notice
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lots.id"), index=True)
    facts: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))
    public_key: Mapped[str] = mapped_column(String(64))
    ca_cert: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="valid")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class LotContract(db.Model):
    """The contract signed with an awarded lot's winner (合同签订, recorded once by staff or the tenderee): its
    signing ends the winner's bid security (《招标投标法实施条例》第五十七条) and is pushed and published (OCDS
    `contracts`). tenders/contracts.py."""

    __tablename__ = "tender_contracts"
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lots.id"), unique=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("tender_bids.id"))  # the winner's bid it was signed on
    number: Mapped[str | None] = mapped_column(String(64))
    signed_on: Mapped[date]  # the date on the contract (Beijing)
    amount: Mapped[Decimal] = mapped_column(Money)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
