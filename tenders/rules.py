"""Pure tendering rules: no Flask, no database. Windows, security cap, points, committees, price score, ranking,
the committee draw."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from trading.money import FEN, MoneyError, parse_amount
from trading.projects.rules import duration_label

MIN_BIDS = 3  # 招标投标法 §28: fewer than three bidders → re-tender
MIN_COMMITTEE = 5
SECURITY_RATE = Decimal("0.02")  # 七部委30号令 §37: at most 2 % of the estimated price
TOTAL_POINTS = Decimal("100")
KINDS = ("construction", "procurement")
METHODS = ("open", "invited")
EVALUATIONS = ("scoring", "lowest_price")


class WindowError(ValueError):
    code = "invalid_window"


class FieldErrors(ValueError):
    code = "validation_error"

    def __init__(self, fields: dict[str, str]):
        super().__init__("；".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class NotEnoughExperts(ValueError):
    code = "not_enough_experts"


# ------------------------------------------------------------------ opening (开标): the 3-bid rule

FEWER_THAN_THREE = "fewer_than_three"
NOT_DECRYPTED = "not_decrypted"  # the bid becomes void
OVER_BUDGET = "over_budget"  # the bid is rejected


@dataclass(frozen=True)
class Outcome:
    """Where a lot goes at a step of the opening: `status` ("opening", "opened" or "failed") and, when it fails,
    its `failure_reason`."""

    status: str
    failure_reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def opening_outcome(submitted: int) -> Outcome:
    """At bid_deadline: fewer than MIN_BIDS bids submitted → failed (fewer_than_three) without opening (不得开标,
    招标投标法 §28); otherwise the lot opens for decryption."""
    if submitted < MIN_BIDS:
        return Outcome("failed", FEWER_THAN_THREE)
    return Outcome("opening")


def bid_verdict(decrypted: bool, price: Decimal | None, budget: Decimal) -> str | None:
    """One bid at the end of the decryption window: None when valid; `not_decrypted` (void) when its bidder did not
    decrypt it; `over_budget` (rejected) when its price is above the lot's budget (最高投标限价)."""
    if not decrypted or price is None:
        return NOT_DECRYPTED
    if Decimal(price) > Decimal(budget):
        return OVER_BUDGET
    return None


def valid_count(bids: Iterable[tuple[bool, Decimal | None]], budget: Decimal) -> int:
    """How many of (decrypted, price) are valid bids (bid_verdict None)."""
    return sum(1 for decrypted, price in bids if bid_verdict(decrypted, price, budget) is None)


def after_decryption(valid: int) -> Outcome:
    """At the end of the decryption window (or once every bid is decrypted): fewer than MIN_BIDS valid bids →
    failed (fewer_than_three: re-tendered); otherwise opened."""
    if valid < MIN_BIDS:
        return Outcome("failed", FEWER_THAN_THREE)
    return Outcome("opened")


def q2(value: Decimal) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------ windows

def check_windows(announce_start: datetime, bid_deadline: datetime, now: datetime, min_tender_seconds: int) -> None:
    """announce_start ≤ bid_deadline, the deadline in the future, at least the minimum period from the (effective)
    announcement to the deadline (招标投标法 §24: 20 days)."""
    if bid_deadline <= announce_start:
        raise WindowError("时间窗口顺序错误：投标截止时间须晚于公告开始时间")
    if bid_deadline <= now:
        raise WindowError("投标截止时间必须晚于当前时间")
    start = max(announce_start, now)
    if bid_deadline - start < timedelta(seconds=min_tender_seconds):
        raise WindowError(f"招标公告期不足：从公告开始到投标截止至少需要{duration_label(min_tender_seconds)}")


def clarification_deadline(now: datetime, bid_deadline: datetime, new_deadline: datetime | None,
                           min_clarification_seconds: int) -> datetime:
    """The deadline after a clarification: it must lie at least the minimum period after publication (15 days),
    else the clarification needs a new deadline that far away. Raises WindowError('clarification_too_late')."""
    deadline = new_deadline or bid_deadline
    if new_deadline is not None and new_deadline < bid_deadline:
        raise WindowError("澄清或修改不能提前投标截止时间")
    if deadline - now < timedelta(seconds=min_clarification_seconds):
        raise WindowError(f"澄清或修改须在投标截止前至少{duration_label(min_clarification_seconds)}发出；"
                          f"请同时将投标截止时间顺延至{duration_label(min_clarification_seconds)}之后")
    return deadline


# ------------------------------------------------------------------ lots

def security_cap(budget: Decimal, kind: str, max_construction: Decimal) -> Decimal:
    """The largest bid security: 2 % of the budget, and for construction at most the configured ceiling."""
    cap = Decimal(budget) * SECURITY_RATE
    if kind == "construction":
        cap = min(cap, max_construction)
    return cap


def _points(raw: object, name: str) -> Decimal:
    try:
        return parse_amount(raw, allow_zero=True, field=name)
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


def check_lot(lot: dict, index: int, *, kind: str, evaluation: str, max_construction: Decimal) -> dict[str, str]:
    """Every bad field of one lot, keyed lots[i].field."""
    errors: dict[str, str] = {}
    key = f"lots[{index}]"
    name = lot.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errors[f"{key}.name"] = "标段名称必填（不超过200字）"
    budget = security = None
    try:
        budget = parse_amount(lot.get("budget"), field="预算金额")
    except MoneyError as exc:
        errors[f"{key}.budget"] = str(exc)
    try:
        security = parse_amount(lot.get("security_amount"), field="投标保证金")
    except MoneyError as exc:
        errors[f"{key}.security_amount"] = str(exc)
    if budget is not None and security is not None and security > security_cap(budget, kind, max_construction):
        msg = "投标保证金不得超过预算金额的2%"
        if kind == "construction" and budget * SECURITY_RATE > max_construction:
            msg = f"工程建设项目的投标保证金不得超过{format(max_construction, 'f')}元"
        errors[f"{key}.security_amount"] = msg
    spec = lot.get("speciality")
    if not isinstance(spec, str) or not spec.strip() or len(spec) > 32:
        errors[f"{key}.speciality"] = "评标专家专业代码必填（不超过32字符）"
    size = lot.get("committee_size")
    if isinstance(size, bool) or not isinstance(size, int) or size < MIN_COMMITTEE or size % 2 == 0:
        errors[f"{key}.committee_size"] = "评标委员会人数须为不少于5人的单数"
    price_points = Decimal(0)
    if evaluation == "scoring":
        try:
            price_points = _points(lot.get("price_points"), "价格分")
            if price_points > TOTAL_POINTS:
                errors[f"{key}.price_points"] = "价格分不能超过100分"
        except ValueError as exc:
            errors[f"{key}.price_points"] = str(exc)
    criteria = lot.get("criteria", [])
    total = price_points
    if not isinstance(criteria, list):
        errors[f"{key}.criteria"] = "评分因素须为列表"
        criteria = []
    codes: set[str] = set()
    for j, c in enumerate(criteria):
        ck = f"{key}.criteria[{j}]"
        if not isinstance(c, dict):
            errors[ck] = "须为对象 {code, name, max_points}"
            continue
        code = c.get("code")
        if not isinstance(code, str) or not code.strip() or len(code) > 32:
            errors[f"{ck}.code"] = "评分因素代码必填（不超过32字符）"
        elif code in codes:
            errors[f"{ck}.code"] = "评分因素代码重复"
        else:
            codes.add(code)
        if not isinstance(c.get("name"), str) or not c["name"].strip():
            errors[f"{ck}.name"] = "评分因素名称必填"
        try:
            mp = _points(c.get("max_points"), "分值")
            if mp <= 0:
                errors[f"{ck}.max_points"] = "分值必须大于零"
            total += mp
        except ValueError as exc:
            errors[f"{ck}.max_points"] = str(exc)
    if evaluation == "scoring" and not any(k.startswith(f"{key}.criteria") or k == f"{key}.price_points"
                                           for k in errors) and total != TOTAL_POINTS:
        errors[f"{key}.criteria"] = f"价格分与各评分因素分值之和须为100分（现为{format(total, 'f')}分）"
    return errors


# ------------------------------------------------------------------ scoring and ranking

def price_score(price_points: Decimal, lowest: Decimal, price: Decimal) -> Decimal:
    """price_points × lowest valid price / price, to 2 decimals ROUND_HALF_UP."""
    return q2(Decimal(price_points) * Decimal(lowest) / Decimal(price))


def mean_points(sheets: Sequence[dict[str, Decimal]]) -> Decimal:
    """The mean over members of each member's Σ criteria, to 2 decimals ROUND_HALF_UP."""
    if not sheets:
        return q2(Decimal(0))
    return q2(sum((sum(s.values(), Decimal(0)) for s in sheets), Decimal(0)) / len(sheets))


def rejected_by_majority(votes: Iterable[bool], committee_size: int) -> bool:
    return sum(1 for v in votes if v) * 2 > committee_size


@dataclass(frozen=True)
class Scored:
    key: int  # the bid id: a stable last tie-break, so the ranking is a total order
    price: Decimal
    points: Decimal = Decimal(0)


@dataclass(frozen=True)
class Ranked:
    rank: int
    key: int
    price: Decimal
    price_score: Decimal | None
    points: Decimal | None
    total: Decimal | None


def rank(bids: Sequence[Scored], evaluation: str, price_points: Decimal) -> list[Ranked]:
    """scoring: total = price_score + points, ranked by total, then lower price; lowest_price: by price.
    The bid id breaks any remaining tie."""
    if not bids:
        return []
    if evaluation == "lowest_price":
        ordered = sorted(bids, key=lambda b: (b.price, b.key))
        return [Ranked(i + 1, b.key, b.price, None, None, None) for i, b in enumerate(ordered)]
    lowest = min(b.price for b in bids)
    rows = [(b, price_score(price_points, lowest, b.price)) for b in bids]
    rows.sort(key=lambda r: (-(r[1] + r[0].points), r[0].price, r[0].key))
    return [Ranked(i + 1, b.key, b.price, ps, b.points, ps + b.points) for i, (b, ps) in enumerate(rows)]


def check_points(points: object, criteria: Sequence[dict]) -> dict[str, Decimal]:
    """Each criterion's points within 0…max (2 decimals); unknown codes refused. Raises FieldErrors."""
    if not isinstance(points, dict):
        raise FieldErrors({"points": "须为对象 {criterion_code: points}"})
    maxima = {c["code"]: Decimal(str(c["max_points"])) for c in criteria}
    errors: dict[str, str] = {}
    out: dict[str, Decimal] = {}
    for code in points:
        if code not in maxima:
            errors[f"points.{code}"] = "没有这个评分因素"
    for code, mx in maxima.items():
        if code not in points:
            continue
        try:
            value = _points(points[code], "得分")
        except ValueError as exc:
            errors[f"points.{code}"] = str(exc)
            continue
        if value > mx:
            errors[f"points.{code}"] = f"得分须在0到{format(mx, 'f')}分之间"
        out[code] = value
    if errors:
        raise FieldErrors(errors)
    return out


# ------------------------------------------------------------------ the committee draw

@dataclass(frozen=True)
class Expert:
    username: str
    org_id: int | None


def draw_committee(pool: Sequence[Expert], excluded_orgs: set[int], size: int, seed: str) -> list[Expert]:
    """`size` experts drawn at random from the eligible pool (avoiding `excluded_orgs`), reproducibly: the pool
    sorted by username, then random.Random(seed).sample. Raises NotEnoughExperts."""
    eligible = sorted((e for e in pool if e.org_id is None or e.org_id not in excluded_orgs),
                      key=lambda e: e.username)
    if len(eligible) < size:
        raise NotEnoughExperts(f"符合条件（专业相符、回避招标人和投标人单位）的评标专家只有{len(eligible)}名，"
                               f"不足{size}名，无法组建评标委员会")
    return random.Random(seed).sample(eligible, size)
