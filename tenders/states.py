"""State machines of tenders, lots and sealed tender bids (docs/architecture.md): tables of allowed moves."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from tenders import rules


class TenderStatus(StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    ANNOUNCED = "announced"
    WITHDRAWN = "withdrawn"


class LotStatus(StrEnum):
    DRAFT = "draft"  # the tender is not yet announced
    ANNOUNCED = "announced"
    BIDDING = "bidding"
    OPENING = "opening"
    OPENED = "opened"
    EVALUATING = "evaluating"
    EVALUATED = "evaluated"
    PUBLICITY = "publicity"
    AWARDED = "awarded"
    FAILED = "failed"


class BidStatus(StrEnum):
    SUBMITTED = "submitted"
    DECRYPTED = "decrypted"
    VOID = "void"


FAILURE_REASONS = {"fewer_than_three": "有效投标不足三家", "all_rejected": "所有投标均被否决",
                   "withdrawn": "招标已撤回"}
TENDER_LABELS = {"draft": "草稿", "pending_review": "待审核", "announced": "招标公告中", "withdrawn": "已撤回"}
LOT_LABELS = {"draft": "草稿", "announced": "已公告", "bidding": "投标中", "opening": "开标中（解密）",
              "opened": "已开标", "evaluating": "评标中", "evaluated": "评标完成", "publicity": "中标候选人公示",
              "awarded": "已中标", "failed": "流标"}
BID_LABELS = {"submitted": "已递交（密封）", "decrypted": "已解密", "void": "无效"}


class InvalidTransition(Exception):
    code = "invalid_state"

    def __init__(self, what: str, status: str, event: str):
        self.status, self.event = status, event
        labels = TENDER_LABELS if what == "招标项目" else LOT_LABELS if what == "标段" else BID_LABELS
        super().__init__(f"{what}当前状态为“{labels.get(status, status)}”，不能执行该操作")


T, L, B = TenderStatus, LotStatus, BidStatus
TENDER_TRANSITIONS: dict[tuple[str, str], TenderStatus] = {
    (T.DRAFT, "submit"): T.PENDING_REVIEW,
    (T.PENDING_REVIEW, "approve"): T.ANNOUNCED,
    (T.PENDING_REVIEW, "reject"): T.DRAFT,
    (T.DRAFT, "withdraw"): T.WITHDRAWN,
    (T.PENDING_REVIEW, "withdraw"): T.WITHDRAWN,
    (T.ANNOUNCED, "withdraw"): T.WITHDRAWN,
}
LOT_TRANSITIONS: dict[tuple[str, str], LotStatus] = {
    (L.DRAFT, "announce"): L.ANNOUNCED,
    (L.ANNOUNCED, "start"): L.BIDDING,
    (L.ANNOUNCED, "open"): L.OPENING,
    (L.BIDDING, "open"): L.OPENING,
    (L.ANNOUNCED, "fail"): L.FAILED,
    (L.BIDDING, "fail"): L.FAILED,
    (L.DRAFT, "fail"): L.FAILED,  # the tender withdrawn before approval
    (L.OPENING, "reveal"): L.OPENED,
    (L.OPENING, "fail"): L.FAILED,
    (L.OPENED, "draw"): L.EVALUATING,
    (L.EVALUATING, "evaluate"): L.EVALUATED,
    (L.EVALUATING, "fail"): L.FAILED,
    (L.EVALUATED, "publicize"): L.PUBLICITY,
    (L.PUBLICITY, "award"): L.AWARDED,
    (L.PUBLICITY, "fail"): L.FAILED,  # every candidate struck
    (L.AWARDED, "reaward"): L.AWARDED,  # the winner defaulted: the next candidate
    (L.AWARDED, "fail"): L.FAILED,
}
BID_TRANSITIONS: dict[tuple[str, str], BidStatus] = {
    (B.SUBMITTED, "replace"): B.SUBMITTED,
    (B.VOID, "replace"): B.SUBMITTED,  # withdrawn, then submitted again before the deadline
    (B.SUBMITTED, "withdraw"): B.VOID,
    (B.SUBMITTED, "decrypt"): B.DECRYPTED,
    (B.SUBMITTED, "expire"): B.VOID,
}


def tender_next(status: str, event: str) -> TenderStatus:
    try:
        return TENDER_TRANSITIONS[(status, event)]
    except KeyError:
        raise InvalidTransition("招标项目", status, event) from None


def lot_next(status: str, event: str) -> LotStatus:
    try:
        return LOT_TRANSITIONS[(status, event)]
    except KeyError:
        raise InvalidTransition("标段", status, event) from None


def bid_next(status: str, event: str) -> BidStatus:
    try:
        return BID_TRANSITIONS[(status, event)]
    except KeyError:
        raise InvalidTransition("投标文件", status, event) from None


def implied_lot_status(status: str, now: datetime, *, announce_start: datetime, bid_deadline: datetime,
                       submitted: int, decrypt_ends_at: datetime | None = None,
                       valid: int | None = None) -> LotStatus:
    """The status the server clock implies before the scheduler catches up (reads report it; the job writes it).

    announced → bidding at announce_start; at bid_deadline rules.opening_outcome(submitted) (fewer than three →
    failed, never opened; else opening); once the decryption window has ended (`decrypt_ends_at`),
    rules.after_decryption(valid) (fewer than three valid bids → failed; else opened). `valid` counts the bids
    decrypted in the window and within the budget (rules.bid_verdict); None: not known, the lot stays opening."""
    s = LotStatus(status)
    if s == L.ANNOUNCED and now >= announce_start:
        s = L.BIDDING
    if s in (L.ANNOUNCED, L.BIDDING) and now >= bid_deadline:
        s = LotStatus(rules.opening_outcome(submitted).status)
        if s == L.FAILED:
            return s
    if s == L.OPENING and decrypt_ends_at is not None and valid is not None and now >= decrypt_ends_at:
        s = LotStatus(rules.after_decryption(valid).status)
    return s
