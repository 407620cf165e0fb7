"""Pure certificate rules: numbering, canonical facts, the rows printed on the PDF. No Flask, no database."""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
ASCII_NUMBER = re.compile(r"^(NC|GG)-(\d{4})-C(\d{4,})(?:-([0-9A-Z]{10}))?$")
MAX_UPLOAD = 10 * 1024 * 1024

TITLES = {True: "成交确认书", False: "农村产权交易鉴证书"}
SEAL_TEXTS = {True: "交易专用章", False: "鉴证专用章"}
PARTY_ROLES = {True: ("招标人（采购人）", "中标人（成交人）"), False: ("出让方（转出方）", "受让方（转入方）")}


def canonical(facts: dict[str, Any]) -> bytes:
    """The exact bytes the Ed25519 signature covers."""
    return json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def valid_mobile(phone: str) -> bool:
    """A mainland China mobile number: 11 digits starting 13–19."""
    return bool(MOBILE.match(phone or ""))


TOKEN_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread
TOKEN_LENGTH = 10  # 50 random bits: numbers cannot be walked (NC-2026-C0001, C0002 …)


def new_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def numbers(public: bool, year: int, seq: int, rural_prefix: str, public_prefix: str,
            token: str = "") -> tuple[str, str]:
    """(ASCII number for URLs, readable number): ('NC-2026-C0001-7QK3M9XA2D', '鹿农交鉴〔2026〕0001号').

    The readable number is the official sequence; the ASCII number, the only one the public can look a
    certificate up by, ends in a random token (`new_token()`), so knowing one number does not give the next."""
    ascii_prefix = "GG" if public else "NC"
    text_prefix = public_prefix if public else rural_prefix
    number = f"{ascii_prefix}-{year}-C{seq:04d}" + (f"-{token}" if token else "")
    return number, f"{text_prefix}〔{year}〕{seq:04d}号"


def publicity_over(now: datetime, publicity_ends_at: datetime | None) -> bool:
    return publicity_ends_at is not None and now >= publicity_ends_at


def in_publicity(now: datetime, awarded_at: datetime | None, publicity_ends_at: datetime | None) -> bool:
    if awarded_at is None or publicity_ends_at is None:
        return False
    return awarded_at <= now < publicity_ends_at


def _dt(value: str | None) -> str:
    if not value:
        return "—"
    return datetime.fromisoformat(value).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _date_cn(value: str) -> str:
    d = datetime.fromisoformat(value).astimezone(BEIJING)
    return f"{d.year}年{d.month}月{d.day}日"


def _num(value: str) -> str:
    """'1086000.00' → '1,086,000.00' (from the exact decimal string, no float)."""
    whole, _, frac = value.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}.{frac or '00'}"


def _money(value: str | None) -> str:
    if value is None:
        return "—"
    return f"{_num(value)}元"


def _pct(rate: str | None) -> str:
    if rate is None:
        return "—"
    from decimal import ROUND_HALF_UP, Decimal

    return f"{(Decimal(rate) * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def pdf_rows(f: dict[str, Any]) -> list[tuple[str, str]]:
    """The facts table of the PDF, in print order, derived only from the frozen facts."""
    public = f["public_resource"]
    ror, ree = f["transferor"], f["transferee"]
    rows = [
        ("项目编号", f["project_code"]),
        ("项目名称", f["project_title"]),
        ("交易品种", f["kind_label"]),
        ("坐落位置", f["location"]),
    ]
    if f.get("area_mu") is not None:
        rows.append(("面积", f"{f['area_mu']} 亩"))
    if f.get("term_years") is not None:
        rows.append(("流转期限", f"{f['term_years']} 年"))
    rows += [
        (ror["role"], f"{ror['name']}（统一社会信用代码/证件号：{ror['org_code'] or '—'}）"),
        (ree["role"], f"{ree['name']}（统一社会信用代码/证件号：{ree['org_code'] or '—'}）"),
        ("成交价格", f"{_num(f['price'])} {f['unit_label']}"),
        ("成交总额（小写）", _money(f["total_amount"])),
        ("成交总额（大写）", f["total_amount_capital"]),
    ]
    if public:
        rows.append(("预算 / 节资率", f"{_money(f['budget'])}；节约 {_money(f['savings'])}；节资率 {_pct(f['rate'])}"))
    else:
        rows.append(("起始价 / 溢价率", f"{_num(f['start_price'])} {f['unit_label']}；溢价率 {_pct(f['rate'])}"))
    rows += [
        ("交易方式", f"{f['method_label']}（{f['direction_label']}）"),
        ("有效报价次数", f"{f['bid_count']} 次"),
        ("竞价时间", f"{_dt(f['bidding_start'])} 至 {_dt(f['bidding_end'])}"),
        ("成交时间", _dt(f["awarded_at"])),
        ("结果公示期", f"{_dt(f['publicity_start'])} 至 {_dt(f['publicity_end'])}"),
        ("出具时间", _dt(f["issued_at"])),
    ]
    return rows


def statement(public: bool) -> str:
    if public:
        return ("经核查，上述项目已在本中心依法依规完成交易，成交结果经公示期满无异议（或异议已处理完毕），"
                "特此确认。")
    return ("经审查，上述农村产权流转交易项目的交易主体、交易程序符合有关规定，成交结果经公示期满无异议"
            "（或异议已处理完毕），特此鉴证。")


def render_context(f: dict[str, Any]) -> dict[str, Any]:
    """Everything build_pdf draws, from the facts."""
    public = f["public_resource"]
    return {**f, "rows": pdf_rows(f), "statement": statement(public), "seal_text": SEAL_TEXTS[public],
            "issue_date": _date_cn(f["issued_at"])}
