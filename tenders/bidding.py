"""Lot registrations (报名 + bid security), sealed tender bids, remote opening (不见面开标). Services flush and
audit; callers commit. Every lot-changing step runs under the lot's row lock."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from auctions.models import Registration, RegistrationStatus, SecurityType
from guarantees import services as sec
from guarantees.services import SecurityTerms
from tenders import push, rules, sealing
from tenders.client import aad
from tenders.models import Lot, LotRegistration, Tender, TenderBid
from tenders.services import locked_lot, notify, setting
from tenders.states import BidStatus, LotStatus, TenderStatus, bid_next, lot_next
from trading import audit
from trading.accounts.credit_list import ensure_not_barred
from trading.accounts.models import Role, User
from trading.audit import canonical
from trading.clock import now
from trading.errors import Conflict, Forbidden, Invalid, NotFound
from trading.extensions import db

L, B = LotStatus, BidStatus


# ------------------------------------------------------------------ registrations

def lot_registration(lot_id: int, user_id: int) -> Registration | None:
    return db.session.execute(select(Registration).join(
        LotRegistration, LotRegistration.registration_id == Registration.id).where(
        LotRegistration.lot_id == lot_id, LotRegistration.bidder_id == user_id)).scalar_one_or_none()


def registrations_of(lot: Lot) -> list[Registration]:
    return list(db.session.execute(select(Registration).join(
        LotRegistration, LotRegistration.registration_id == Registration.id).where(
        LotRegistration.lot_id == lot.id).order_by(Registration.id)).scalars())


def lot_of_registration(reg: Registration) -> Lot | None:
    link = db.session.get(LotRegistration, reg.id)
    return db.session.get(Lot, link.lot_id) if link is not None else None


def security_terms(lot: Lot) -> SecurityTerms:
    """The guarantee names the tender code, covers the lot's security, and is valid from before the deadline
    until the deadline + the bid validity period (投标有效期)."""
    deadline = lot.tender.bid_deadline
    return SecurityTerms(lot.tender.code, lot.security_amount, deadline,
                         deadline + timedelta(seconds=setting("TRADING_BID_VALIDITY_SECONDS")))


def _bidding_open(tender: Tender, t: datetime) -> bool:
    return tender.status == TenderStatus.ANNOUNCED and tender.announce_start <= t < tender.bid_deadline


def register(actor: User, lot_id: int, security: object, *, ip: str | None = None) -> Registration:
    """报名 for one lot until bid_deadline: window, then duplicate, then invitation, then the security."""
    from auctions.registrations import _parse_security

    if actor.role != Role.BIDDER:
        raise Forbidden("只有投标人（竞买人账户）可以报名", code="forbidden")
    ensure_not_barred(actor)  # the credit list (失信惩戒): 409 credit_barred, nothing written
    lot = locked_lot(lot_id)
    tender = lot.tender
    if not _bidding_open(tender, now()) or lot.status not in (L.ANNOUNCED, L.BIDDING):
        raise Conflict("不在报名期内（报名至投标截止时间）", code="registration_closed")
    reg = lot_registration(lot.id, actor.id)
    if reg is not None and reg.status != RegistrationStatus.WITHDRAWN:
        raise Conflict("您已报名该标段，不能重复报名", code="already_registered")
    if tender.method == "invited" and actor.id not in {u.id for u in tender.invited}:
        raise Forbidden("本项目为邀请招标，您不在受邀投标人名单中", code="not_invited")
    kind, guarantee_no = _parse_security(security)
    if reg is None:
        reg = Registration(project_id=None, bidder_id=actor.id, bidder_no=_lot_bidder_no(lot), security_type=kind)
        db.session.add(reg)
        db.session.flush()
        db.session.add(LotRegistration(registration_id=reg.id, lot_id=lot.id, bidder_id=actor.id))
    reg.status, reg.security_type, reg.reason, reg.decided_at = RegistrationStatus.PENDING, kind, None, None
    reg.created_at, reg.ip = now(), ip
    db.session.flush()
    terms = security_terms(lot)
    if guarantee_no is not None:
        sec.verify_and_attach(guarantee_no=guarantee_no, registration=reg, actor=actor.username, terms=terms)
    else:
        sec.open_deposit(reg, actor.username, terms=terms)
    audit.record("lot.registration", f"lot:{lot.id}", {"registration": reg.id, "security": kind,
                                                       "guarantee_no": guarantee_no}, actor.username)
    return reg


def _lot_bidder_no(lot: Lot) -> str:
    taken = set(db.session.execute(select(Registration.bidder_no).join(
        LotRegistration, LotRegistration.registration_id == Registration.id).where(
        LotRegistration.lot_id == lot.id)).scalars())
    while True:
        no = f"{secrets.randbelow(900000) + 100000}"
        if no not in taken:
            return no


def release_all(lot: Lot, actor: str, reason: str, keep: Registration | None = None) -> None:
    """Every registration's security but `keep`'s is released (guarantees) or falls due (deposits)."""
    for reg in registrations_of(lot):
        if keep is None or reg.id != keep.id:
            sec.release_security(reg, actor, reason)


# ------------------------------------------------------------------ sealed bids

def _bid_of(lot_id: int, user_id: int) -> TenderBid | None:
    return db.session.execute(select(TenderBid).where(TenderBid.lot_id == lot_id,
                                                      TenderBid.bidder_id == user_id)).scalar_one_or_none()


def _bidder_checks(actor: User, lot_id: int) -> tuple[Lot, Registration]:
    if actor.role != Role.BIDDER:
        raise Forbidden("只有投标人可以投标", code="forbidden")
    lot = locked_lot(lot_id)
    reg = lot_registration(lot.id, actor.id)
    if reg is None or reg.status == RegistrationStatus.WITHDRAWN:
        raise Forbidden("您尚未报名该标段，不能投标", code="not_registered")
    return lot, reg


def _before_deadline(lot: Lot) -> None:
    tender = lot.tender
    t = now()
    if tender.status != TenderStatus.ANNOUNCED or lot.status not in (L.ANNOUNCED, L.BIDDING) \
            or t >= tender.bid_deadline:
        raise Conflict("投标已截止（或标段不在投标阶段），不能递交、修改或撤回投标文件", code="tender_closed")
    if t < tender.announce_start:
        raise Conflict("招标公告尚未开始，暂不能投标", code="tender_closed")


def put_bid(actor: User, lot_id: int, body: object) -> TenderBid:
    """Submit or replace the sealed bid before bid_deadline: only ciphertext, nonce, salt and iterations are kept;
    the receipt is the ciphertext's sha256."""
    lot, reg = _bidder_checks(actor, lot_id)
    _before_deadline(lot)
    if not sec.security_ready(reg):
        msg = ("现金保证金尚未确认到账" if reg.security_type == SecurityType.DEPOSIT else "投标保函尚未生效") + \
              "，投标保证金未落实，不能投标"
        raise Conflict(msg, code="security_missing")
    try:
        ct, nonce, salt, iterations = sealing.check_envelope(body)
    except sealing.EnvelopeError as exc:
        raise Invalid("投标文件格式有误：" + "、".join(exc.fields), fields=exc.fields) from None
    bid = _bid_of(lot.id, actor.id)
    t = now()
    if bid is None:
        bid = TenderBid(lot_id=lot.id, registration_id=reg.id, bidder_id=actor.id, status=B.SUBMITTED, revision=1)
        db.session.add(bid)
    else:
        bid.status = bid_next(bid.status, "replace")
        bid.revision += 1
        bid.void_reason = None
    bid.ciphertext = base64.b64encode(ct).decode("ascii")
    bid.nonce = base64.b64encode(nonce).decode("ascii")
    bid.salt = base64.b64encode(salt).decode("ascii")
    bid.iterations, bid.receipt, bid.submitted_at = iterations, sealing.receipt_of(ct), t
    if lot.status == L.ANNOUNCED:
        lot.status = lot_next(lot.status, "start")
    db.session.flush()
    audit.record("lot.bid", f"lot:{lot.id}", {"bid": bid.id, "receipt": bid.receipt, "revision": bid.revision},
                 actor.username)
    return bid


def withdraw_bid(actor: User, lot_id: int) -> TenderBid:
    """DELETE before the deadline: the bid becomes void (withdrawn) and its ciphertext is discarded."""
    lot, _reg = _bidder_checks(actor, lot_id)
    _before_deadline(lot)
    bid = _bid_of(lot.id, actor.id)
    if bid is None or bid.status != B.SUBMITTED:
        raise NotFound("您在该标段没有已递交的投标文件", code="not_found")
    bid.status, bid.void_reason = bid_next(bid.status, "withdraw"), "withdrawn"
    bid.ciphertext = bid.nonce = bid.salt = None
    db.session.flush()
    audit.record("lot.bid_withdraw", f"lot:{lot.id}", {"bid": bid.id, "receipt": bid.receipt}, actor.username)
    return bid


def void_all(lot: Lot, reason: str, actor: str) -> None:
    for bid in db.session.execute(select(TenderBid).where(TenderBid.lot_id == lot.id,
                                                          TenderBid.status == B.SUBMITTED)).scalars():
        bid.status, bid.void_reason = B.VOID, reason
    db.session.flush()


def my_bid(actor: User, lot_id: int) -> TenderBid | None:
    return _bid_of(lot_id, actor.id)


# ------------------------------------------------------------------ opening

def advance(lot: Lot, actor: str = "scheduler") -> str | None:
    """The clock-driven moves of a locked lot, each exactly once (the scheduler and requests share it):
    announced → bidding at announce_start; at bid_deadline rules.opening_outcome (fewer than three bids submitted
    → failed (fewer_than_three, never opened), else → opening); at the end of the decryption window (or once every
    bid is decrypted) rules.after_decryption → opened, or failed."""
    tender, t = lot.tender, now()
    if tender.status != TenderStatus.ANNOUNCED:
        return None
    moved = None
    if lot.status == L.ANNOUNCED and t >= tender.announce_start:
        lot.status = lot_next(lot.status, "start")
        moved = "bidding"
    if lot.status in (L.ANNOUNCED, L.BIDDING) and t >= tender.bid_deadline:
        submitted = list(db.session.execute(select(TenderBid).where(
            TenderBid.lot_id == lot.id, TenderBid.status == B.SUBMITTED).order_by(TenderBid.id)).scalars())
        outcome = rules.opening_outcome(len(submitted))
        if outcome.failed:
            lot.status, lot.failure_reason = lot_next(lot.status, "fail"), outcome.failure_reason
            void_all(lot, "not_opened", actor)
            release_all(lot, actor, f"标段投标不足三家，不予开标（{tender.code} 第{lot.no}标段）")
            audit.record("lot.fail", f"lot:{lot.id}", {"reason": outcome.failure_reason, "bids": len(submitted),
                                                       "opened": False}, actor)
            push.failure(lot)
            return "failed"
        lot.status = lot_next(lot.status, "open")
        lot.opened_at = tender.bid_deadline
        lot.decrypt_ends_at = tender.bid_deadline + timedelta(seconds=setting("TRADING_DECRYPT_SECONDS"))
        audit.record("lot.opening", f"lot:{lot.id}", {"bids": [b.receipt for b in submitted],
                                                      "decrypt_ends_at": lot.decrypt_ends_at.isoformat()}, actor)
        notify([b.bidder_id for b in submitted], "opening_started", f"{tender.code} 第{lot.no}标段开标：请解密投标文件",
               f"请在 {lot.decrypt_ends_at.isoformat()} 前提交解密密钥", tender.id)
        moved = "opening"
    if lot.status == L.OPENING and lot.decrypt_ends_at is not None and (
            t >= lot.decrypt_ends_at or not _undecrypted(lot)):
        return _reveal(lot, actor)
    return moved


def _undecrypted(lot: Lot) -> bool:
    """Whether a bid of the lot is still sealed: one indexed row at most (each decrypt asks, so it must not load
    the lot's bids: with 300 bids that made the opening quadratic)."""
    return db.session.execute(select(TenderBid.id).where(TenderBid.lot_id == lot.id,
                                                         TenderBid.status == B.SUBMITTED).limit(1)).first() is not None


def _reveal(lot: Lot, actor: str) -> str:
    """opening → opened: each bid judged by rules.bid_verdict (undecrypted → void, over budget → rejected), then
    rules.after_decryption on the valid ones (fewer than three → failed)."""
    bids = bids_of(lot)
    valid = 0
    for bid in bids:
        verdict = rules.bid_verdict(bid.status == B.DECRYPTED, bid.price, lot.budget)
        if verdict == rules.NOT_DECRYPTED and bid.status == B.SUBMITTED:
            bid.status, bid.void_reason = bid_next(bid.status, "expire"), rules.NOT_DECRYPTED
        elif verdict == rules.OVER_BUDGET:
            bid.rejection = rules.OVER_BUDGET
        elif verdict is None:
            valid += 1
    lot.revealed_at = now()
    record = json.loads(canonical(opening_record(lot, bids)))
    lot.opening_record = record
    lot.opening_record_sha256 = hashlib.sha256(canonical(record)).hexdigest()
    outcome = rules.after_decryption(valid)
    if outcome.failed:
        lot.status, lot.failure_reason = lot_next(lot.status, "fail"), outcome.failure_reason
        release_all(lot, actor, f"有效投标不足三家，标段流标（{lot.tender.code} 第{lot.no}标段）")
    else:
        lot.status = lot_next(lot.status, "reveal")
    db.session.flush()
    audit.record("lot.opened", f"lot:{lot.id}", {"record_sha256": lot.opening_record_sha256,
                                                 "valid": valid, "status": lot.status,
                                                 "failure_reason": lot.failure_reason}, actor)
    push.opening(lot)
    if lot.failure_reason:
        push.failure(lot)
    return lot.status


def bids_of(lot: Lot) -> list[TenderBid]:
    return list(db.session.execute(select(TenderBid).where(TenderBid.lot_id == lot.id, TenderBid.void_reason.is_(None)
                                                           | (TenderBid.void_reason == "not_decrypted"))
                                   .order_by(TenderBid.id)).scalars())


def opening_record(lot: Lot, bids: list[TenderBid]) -> dict:
    """开标记录: every bid's organisation, price, security and decryption time (hashed into the audit log)."""
    from tenders.serialize import org_name

    rows = []
    for bid in bids:
        reg = db.session.get(Registration, bid.registration_id)
        rows.append({"bidder_org": org_name(bid.bidder), "price": format(bid.price, "f") if bid.price else None,
                     "status": bid.status, "rejection": bid.rejection, "receipt": bid.receipt,
                     "security": reg.security_type if reg else None,
                     "decrypted_at": bid.decrypted_at.isoformat() if bid.decrypted_at else None})
    return {"lot": lot.id, "tender": lot.tender.code, "budget": format(lot.budget, "f"), "bids": rows}


def decrypt(actor: User, lot_id: int, raw_key: object) -> TenderBid:
    """The bidder's key opens its own bid during the decryption window. A wrong key → 422 decryption_failed and
    nothing changes (retry allowed); before the deadline → 409 not_opening; after the window → 409
    decryption_closed."""
    if actor.role != Role.BIDDER:
        raise Forbidden("只有投标人可以解密自己的投标文件", code="forbidden")
    lot = locked_lot(lot_id)
    reg = lot_registration(lot.id, actor.id)
    if reg is None:
        raise Forbidden("您未报名该标段", code="not_registered")
    t = now()
    if t < lot.tender.bid_deadline or lot.tender.status != TenderStatus.ANNOUNCED:
        raise Conflict("尚未开标：投标截止后才能解密", code="not_opening")
    advance(lot, actor.username)  # the clock decides, even before the scheduler runs
    if lot.status in (L.ANNOUNCED, L.BIDDING) or (lot.status == L.FAILED and lot.revealed_at is None):
        raise Conflict("该标段未开标（投标不足三家，不予开标）", code="not_opening")
    bid = _bid_of(lot.id, actor.id)
    if bid is None or bid.void_reason in ("withdrawn", "not_opened"):
        raise NotFound("您在该标段没有投标文件", code="not_found")
    if bid.status == B.DECRYPTED:
        return bid
    if lot.status != L.OPENING or t >= (lot.decrypt_ends_at or t):
        raise Conflict("解密时间已结束，未解密的投标文件无效", code="decryption_closed")
    key = _key(raw_key)
    assert bid.nonce
    assert bid.ciphertext
    try:
        price, _doc = sealing.decrypt_price(key, base64.b64decode(bid.nonce), base64.b64decode(bid.ciphertext),
                                            aad(lot.id, actor.username))
    except sealing.DecryptionFailed as exc:
        raise Invalid(str(exc), code="decryption_failed") from None
    bid.status, bid.price, bid.decrypted_at = bid_next(bid.status, "decrypt"), price, t
    db.session.flush()
    audit.record("lot.decrypt", f"lot:{lot.id}", {"bid": bid.id, "receipt": bid.receipt, "price": price},
                 actor.username)
    if not _undecrypted(lot):
        _reveal(lot, actor.username)
    return bid


def _key(raw: object) -> bytes:
    try:
        return sealing.parse_key(raw)
    except sealing.EnvelopeError as exc:
        raise Invalid("密钥格式有误：须为 32 字节密钥的 base64", fields=exc.fields) from None
