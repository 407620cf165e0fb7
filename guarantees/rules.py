"""Pure guarantee rules: the document's fields, and whether a guarantee can secure a registration."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trading.clock import parse_rfc3339
from trading.money import MoneyError, parse_amount

FIELDS = ("guarantee_no", "issuer", "type", "applicant", "beneficiary", "project_code", "amount", "currency",
          "valid_from", "valid_until", "issued_at")
NO_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# a document may be stamped a little ahead of our clock; further ahead it is refused
CLOCK_SKEW = timedelta(minutes=10)


class DocumentError(ValueError):
    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("保函文件内容有误：" + "；".join(f"{k}：{v}" for k, v in fields.items()))


@dataclass(frozen=True)
class Document:
    guarantee_no: str
    issuer: str
    type: str
    applicant: str
    beneficiary: str
    project_code: str
    amount: Decimal
    currency: str
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime


def _text(doc: dict, name: str, max_len: int, errors: dict[str, str]) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value.strip():
        errors[name] = "必填，且须为非空字符串"
        return ""
    if value != value.strip():
        errors[name] = "首尾不能有空白"
    elif len(value) > max_len:
        errors[name] = f"不能超过{max_len}个字符"
    return value


def _instant(doc: dict, name: str, errors: dict[str, str]) -> datetime | None:
    value = doc.get(name)
    if not isinstance(value, str):
        errors[name] = "必填，须为带时区偏移的 RFC 3339 字符串"
        return None
    try:
        return parse_rfc3339(value)
    except ValueError as exc:
        errors[name] = str(exc)
        return None


def parse_document(doc: object, now: datetime) -> Document:
    """Every field present and typed, times with offsets and in order, CNY, a valid bid-bond amount."""
    if not isinstance(doc, dict):
        raise DocumentError({"document": "必须是 JSON 对象"})
    errors: dict[str, str] = {}
    extra = sorted(set(doc) - set(FIELDS))
    if extra:
        errors["document"] = "含有未定义的字段：" + "、".join(extra)
    no = _text(doc, "guarantee_no", 64, errors)
    if no and "guarantee_no" not in errors and not NO_PATTERN.match(no):
        errors["guarantee_no"] = "只能包含字母、数字、点、下划线和连字符"
    issuer = _text(doc, "issuer", 32, errors)
    applicant = _text(doc, "applicant", 64, errors)
    beneficiary = _text(doc, "beneficiary", 200, errors)
    project_code = _text(doc, "project_code", 32, errors)
    if doc.get("type") != "bid_bond":
        errors["type"] = "须为 bid_bond（投标/竞买保证金保函）"
    if doc.get("currency") != "CNY":
        errors["currency"] = "币种须为 CNY"
    amount = Decimal(0)
    try:
        amount = parse_amount(doc.get("amount"), field="保函金额")
    except MoneyError as exc:
        errors["amount"] = str(exc)
    valid_from = _instant(doc, "valid_from", errors)
    valid_until = _instant(doc, "valid_until", errors)
    issued_at = _instant(doc, "issued_at", errors)
    if valid_from and valid_until and valid_from >= valid_until:
        errors["valid_until"] = "有效期截止时间须晚于起始时间"
    # validity is often stated by the day (valid_from 00:00) and issued later that morning: coverage then runs
    # from issued_at (covered_from); only an issue at or after the end, or in the future, is wrong
    if issued_at and valid_until and issued_at >= valid_until:
        errors["issued_at"] = "签发时间须早于有效期截止时间"
    elif issued_at and issued_at > now + CLOCK_SKEW:
        errors["issued_at"] = "签发时间不能晚于当前时间"
    if errors:
        raise DocumentError(errors)
    assert valid_from is not None
    assert valid_until is not None
    assert issued_at is not None
    return Document(no, issuer, "bid_bond", applicant, beneficiary, project_code, amount, "CNY",
                    valid_from, valid_until, issued_at)


def effective_status(status: str, valid_until: datetime, now: datetime) -> str:
    """The status the clock implies: an unused guarantee past valid_until is expired before the job runs."""
    if status in ("issued", "attached") and valid_until <= now:
        return "expired"
    return status


def covered_from(valid_from: datetime, issued_at: datetime) -> datetime:
    """A guarantee covers from the later of its stated start and its issue."""
    return max(valid_from, issued_at)


def key_valid_at(valid_from: datetime, valid_until: datetime | None, *, issued_at: datetime,
                 received_at: datetime) -> bool:
    """A key signs documents the platform RECEIVES in [valid_from, valid_until), by the server clock: the
    signer chooses `issued_at`, so a retired (perhaps stolen) key back-dating a document into its old period
    is still refused. A document dated before the key's start is refused too. Guarantees received before a
    retirement are stored and stay valid; nothing judges their key again."""
    return valid_from <= issued_at and valid_from <= received_at and (valid_until is None or received_at < valid_until)


@dataclass(frozen=True)
class SecurityCheck:
    """The facts verification compares, whatever their source."""

    applicant: str
    project_code: str
    amount: Decimal
    valid_from: datetime
    valid_until: datetime
    status: str
    registration_id: int | None


MESSAGES = {
    "applicant_mismatch": "该保函的申请人不是当前竞买人",
    "project_mismatch": "该保函不是为本项目出具的（项目编号不符）",
    "amount_insufficient": "保函金额低于本项目的保证金",
    "validity_gap": "保函有效期须从竞价开始前起至竞价结束后止",
    "guarantee_in_use": "该保函已被使用或已失效，不能再用于报名",
}


def security_error(g: SecurityCheck, *, bidder: str, project_code: str, deposit: Decimal,
                   bidding_start: datetime, bidding_end: datetime, registration_id: int | None
                   ) -> tuple[str, str] | None:
    """The first failing check as (API code, Chinese message) in docs/api.md's order; None when it secures the bid."""
    code = None
    if g.applicant != bidder:
        code = "applicant_mismatch"
    elif g.project_code != project_code:
        code = "project_mismatch"
    elif g.amount < deposit:
        code = "amount_insufficient"
    elif g.valid_from > bidding_start or g.valid_until < bidding_end:
        code = "validity_gap"
    elif g.status == "expired":
        return "validity_gap", "该保函已过期"
    elif g.status == "forged":
        return "guarantee_in_use", "该保函已被出具机构否认并经交易中心确认为伪造，不能用于报名"
    elif g.status in ("attached", "released") and registration_id is not None \
            and g.registration_id == registration_id:
        return None  # this very registration holds it, or held it before a withdrawal
    elif g.status != "issued":
        code = "guarantee_in_use"
    return (code, MESSAGES[code]) if code else None
