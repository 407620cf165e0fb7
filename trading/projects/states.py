"""Project state machine: a table of allowed moves, and the status the clock implies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class ProjectStatus(StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    ANNOUNCED = "announced"
    BIDDING = "bidding"
    AWARDED = "awarded"
    FAILED = "failed"
    CERTIFIED = "certified"
    WITHDRAWN = "withdrawn"


STATUS_LABELS = {
    ProjectStatus.DRAFT: "草稿",
    ProjectStatus.PENDING_REVIEW: "待审核",
    ProjectStatus.ANNOUNCED: "挂牌公告中",
    ProjectStatus.BIDDING: "竞价中",
    ProjectStatus.AWARDED: "已成交",
    ProjectStatus.FAILED: "流拍",
    ProjectStatus.CERTIFIED: "已鉴证",
    ProjectStatus.WITHDRAWN: "已撤回",
}


S = ProjectStatus

# The status groups, each defined once (tuples: they go into SQL `IN` as well as Python `in`).
UNPUBLISHED = (S.DRAFT, S.PENDING_REVIEW)  # not announced yet: owner and staff only (visibility.py)
OPEN = (S.ANNOUNCED, S.BIDDING)  # announced, bidding not over: registrations and bids may come
CLOSED = (S.AWARDED, S.FAILED, S.CERTIFIED)  # bidding over, the outcome known
DEALS = (S.AWARDED, S.CERTIFIED)  # a deal was struck; an annulled award moves the project out of both
PUBLIC = (*OPEN, *CLOSED, S.WITHDRAWN)  # what the public listings filter by


class InvalidTransition(Exception):
    code = "invalid_state"

    def __init__(self, status: str, event: str):
        self.status, self.event = status, event
        label = STATUS_LABELS.get(ProjectStatus(status), status)
        super().__init__(f"项目当前状态为“{label}”，不能执行该操作")


TRANSITIONS: dict[tuple[ProjectStatus, str], ProjectStatus] = {
    (S.DRAFT, "submit"): S.PENDING_REVIEW,
    (S.PENDING_REVIEW, "approve"): S.ANNOUNCED,
    (S.PENDING_REVIEW, "reject"): S.DRAFT,
    (S.DRAFT, "withdraw"): S.WITHDRAWN,
    (S.PENDING_REVIEW, "withdraw"): S.WITHDRAWN,
    (S.ANNOUNCED, "withdraw"): S.WITHDRAWN,
    (S.ANNOUNCED, "open"): S.BIDDING,
    (S.BIDDING, "award"): S.AWARDED,
    (S.BIDDING, "fail"): S.FAILED,
    # an upheld objection or a defaulting winner: award the next-best bidder, or fail
    (S.AWARDED, "reaward"): S.AWARDED,
    (S.AWARDED, "fail"): S.FAILED,
    (S.AWARDED, "certify"): S.CERTIFIED,
}


# The steps a page may offer: the moves of the table above that a person takes, and the two steps that keep
# the status (editing a draft; relisting a failed project, which copies it into a new draft). "owner" is the
# listing collective, "staff" the center.
TAKEN_BY: dict[str, frozenset[str]] = {
    "edit": frozenset({"owner", "staff"}),
    "submit": frozenset({"owner"}),
    "approve": frozenset({"staff"}),
    "reject": frozenset({"staff"}),
    "withdraw": frozenset({"owner", "staff"}),
    "relist": frozenset({"owner", "staff"}),
}
IN_PLACE = {(S.DRAFT, "edit"), (S.FAILED, "relist")}


def allowed_actions(status: str, parties: set[str] | frozenset[str]) -> frozenset[str]:
    """The steps `parties` ("owner", "staff") may take on a project in `status` (its effective status)."""
    s = ProjectStatus(status)
    return frozenset(action for action, who in TAKEN_BY.items()
                     if who & parties and ((s, action) in TRANSITIONS or (s, action) in IN_PLACE))


def next_status(status: str, event: str) -> ProjectStatus:
    try:
        return TRANSITIONS[(ProjectStatus(status), event)]
    except KeyError:
        raise InvalidTransition(status, event) from None


def implied_status(
    status: str,
    now: datetime,
    *,
    bidding_start: datetime,
    ends_at: datetime | None,
    method: str,
    bid_count: int,
    price_meets_reserve: bool,
) -> ProjectStatus:
    """The status the server clock implies, before the scheduler has caught up.

    An open auction ends at `ends_at`; a live auction's outcome then follows from its price.
    Sealed bids must be opened by the closing job, so a sealed project stays `bidding` until then.
    """
    s = ProjectStatus(status)
    if s == S.ANNOUNCED and now >= bidding_start:
        s = S.BIDDING
    if s == S.BIDDING and ends_at is not None and now >= ends_at and method == "auction":
        if bid_count == 0 or not price_meets_reserve:
            return S.FAILED
        return S.AWARDED
    return s
