"""The bidding engine: pure decisions on plain values (no Flask, no database).

Each refusal is a typed BidError whose `code`/`status` are the docs/api.md codes. The bid transaction in
services.py feeds these functions a snapshot of the locked project row and applies what they return.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from trading.projects.states import CLOSED, OPEN

ASC = "ascending"
DESC = "descending"
PRIORITY_LABEL = "行使优先权"


class BidError(Exception):
    code = "invalid_state"
    status = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AuctionNotOpen(BidError):
    code = "auction_not_open"


class AuctionClosed(BidError):
    code = "auction_closed"


class BidTooLow(BidError):
    code = "bid_too_low"


class BidTooHigh(BidError):
    code = "bid_too_high"


class BadIncrement(BidError):
    code = "bad_increment"


class AlreadyLeading(BidError):
    code = "already_leading"


class NotQualified(BidError):
    code = "not_qualified"
    status = 403


class InvalidAmount(BidError):
    code = "invalid_amount"
    status = 422


@dataclass(frozen=True)
class Auction:
    """A snapshot of the auction row."""

    method: str
    direction: str
    status: str
    start_price: Decimal
    increment: Decimal
    bidding_start: datetime
    ends_at: datetime
    extension_seconds: int
    max_extensions: int | None = None
    reserve_price: Decimal | None = None
    current_price: Decimal | None = None
    leader_id: int | None = None
    leader_is_priority: bool = False
    bid_count: int = 0
    extensions_used: int = 0


@dataclass(frozen=True)
class Bidder:
    user_id: int
    qualified: bool
    priority: bool = False


@dataclass(frozen=True)
class Accepted:
    amount: Decimal
    is_priority: bool
    extended: bool
    after: Auction


def check_window(a: Auction, at: datetime) -> None:
    """Bids are accepted in [bidding_start, ends_at) by the server clock, whatever the status says."""
    if a.status not in OPEN:
        if a.status in CLOSED:
            raise AuctionClosed("竞价已结束")
        raise AuctionNotOpen("该项目当前不接受报价")
    if at < a.bidding_start:
        raise AuctionNotOpen("竞价尚未开始")
    if at >= a.ends_at:
        raise AuctionClosed("竞价已结束，报价未被接受")


def _better(direction: str, x: Decimal, y: Decimal) -> bool:
    """x is strictly better than y for the listing party."""
    return x > y if direction == ASC else x < y


def _check_steps(a: Auction, amount: Decimal, base: Decimal) -> None:
    if (abs(amount - base) % a.increment) != 0:
        word = "加价" if a.direction == ASC else "减价"
        raise BadIncrement(f"报价须为{word}幅度 {a.increment} 元的整数倍")


def _too_far(a: Auction, msg: str) -> BidError:
    return BidTooLow(msg) if a.direction == ASC else BidTooHigh(msg)


def can_match(a: Auction, bidder: Bidder) -> bool:
    """优先权: a qualified priority holder may match the current price while the leader is not one."""
    return (bidder.priority and bidder.qualified and a.current_price is not None
            and not a.leader_is_priority and a.leader_id != bidder.user_id)


def validate_bid(a: Auction, bidder: Bidder, amount: Decimal, at: datetime) -> Accepted:
    """Decide one open-auction bid; returns the auction after it, or raises a BidError."""
    if a.method != "auction":
        raise AuctionNotOpen("密封报价项目请提交密封报价")
    check_window(a, at)
    if not bidder.qualified:
        raise NotQualified("您未取得该项目的竞价资格")
    if amount <= 0:
        raise InvalidAmount("报价金额必须大于零")
    if a.leader_id == bidder.user_id:
        raise AlreadyLeading("您当前已是最高应价者，无需再次报价")
    is_priority = False
    if a.current_price is None:
        if _better(a.direction, a.start_price, amount):
            side = "低于起始价" if a.direction == ASC else "高于最高限价"
            raise _too_far(a, f"首次报价不能{side} {a.start_price} 元")
        _check_steps(a, amount, a.start_price)
    elif amount == a.current_price and can_match(a, bidder):
        is_priority = True
    else:
        if not _better(a.direction, amount, a.current_price):
            side = "高于" if a.direction == ASC else "低于"
            raise _too_far(a, f"报价须{side}当前价 {a.current_price} 元")
        _check_steps(a, amount, a.current_price)
    ends_at, used, extended = a.ends_at, a.extensions_used, False
    window = timedelta(seconds=a.extension_seconds)
    if a.extension_seconds > 0 and a.ends_at - at < window and (
            a.max_extensions is None or a.extensions_used < a.max_extensions):
        ends_at, used, extended = at + window, a.extensions_used + 1, True
    after = replace(a, current_price=amount, leader_id=bidder.user_id, leader_is_priority=is_priority,
                    bid_count=a.bid_count + 1, ends_at=ends_at, extensions_used=used)
    return Accepted(amount=amount, is_priority=is_priority, extended=extended, after=after)


def validate_sealed(a: Auction, bidder: Bidder, amount: Decimal, at: datetime) -> None:
    """A sealed bid: at or beyond the start price, inside the window; replaceable until the end."""
    if a.method != "sealed":
        raise AuctionNotOpen("该项目为网络竞价，不接受密封报价")
    check_window(a, at)
    if not bidder.qualified:
        raise NotQualified("您未取得该项目的报价资格")
    if amount <= 0:
        raise InvalidAmount("报价金额必须大于零")
    if _better(a.direction, a.start_price, amount):
        side = "低于起始价" if a.direction == ASC else "高于最高限价"
        raise _too_far(a, f"报价不能{side} {a.start_price} 元")


@dataclass(frozen=True)
class SealedEntry:
    bidder_id: int
    amount: Decimal
    submitted_at: datetime
    seq: int


def rank_sealed(direction: str, entries: list[SealedEntry]) -> list[SealedEntry]:
    """Best amount first; ties go to the earliest submission (then the lower seq)."""
    sign = -1 if direction == ASC else 1
    return sorted(entries, key=lambda e: (sign * e.amount, e.submitted_at, e.seq))


def rank_auction(bids: list[tuple[int, int, Decimal]]) -> list[tuple[int, Decimal]]:
    """Bidders in order of standing from accepted bids (seq, bidder_id, amount).

    Every accepted bid beat (or, by priority, matched) the one before it, so the later the bid, the better:
    the ranking is each bidder's latest bid, latest first.
    """
    seen: set[int] = set()
    out: list[tuple[int, Decimal]] = []
    for _seq, bidder_id, amount in sorted(bids, key=lambda b: -b[0]):
        if bidder_id not in seen:
            seen.add(bidder_id)
            out.append((bidder_id, amount))
    return out


def meets_reserve(direction: str, reserve: Decimal | None, price: Decimal | None) -> bool:
    if price is None:
        return False
    if reserve is None:
        return True
    return price >= reserve if direction == ASC else price <= reserve


@dataclass(frozen=True)
class Outcome:
    outcome: str  # awarded | failed
    reason: str
    price: Decimal | None
    winner_id: int | None


def may_declare_default(status: str, closed: bool, winner_id: int | None) -> bool:
    """Staff may declare the winner in default (违约) while a closed auction stands awarded to a winner (before the
    certificate completes the deal); the page offers the form exactly then, the service checks it again."""
    return status == "awarded" and closed and winner_id is not None


def decide_outcome(direction: str, reserve: Decimal | None, best: tuple[int, Decimal] | None) -> Outcome:
    """At the close: no valid bid or a missed reserve fails (流拍); otherwise the best bid wins."""
    if best is None:
        return Outcome("failed", "无有效报价，流拍", None, None)
    winner, price = best
    if not meets_reserve(direction, reserve, price):
        side = "低于保留价" if direction == ASC else "高于保留价"
        return Outcome("failed", f"最优报价{side}，流拍", price, None)
    return Outcome("awarded", "按最优报价成交", price, winner)
