"""Money and other decimals: parsed exactly, quantised ROUND_HALF_UP to the fen, never float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
RATE = Decimal("0.0001")
_PLAIN = re.compile(r"^[0-9]{1,16}(\.[0-9]{1,2})?$")


class MoneyError(ValueError):
    code = "invalid_amount"


def parse_amount(raw: object, *, allow_zero: bool = False, field: str = "金额") -> Decimal:
    """Parse a money value from a decimal string or an exactly-parsed JSON number.

    Rejects zero (unless allowed), negatives, NaN, Infinity, exponents and more than 2 decimals.
    """
    if isinstance(raw, bool) or raw is None:
        raise MoneyError(f"{field}必须是数字，例如 \"12345.60\"")
    if isinstance(raw, float):
        # JSON numbers must be parsed with parse_float=Decimal; a float here lost exactness.
        raise MoneyError(f"{field}必须按十进制精确传递")
    if isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, Decimal):
        # a JSON number written with an exponent (1e3) is refused like the string form
        text = str(raw) if raw.is_finite() else "nan"
    elif isinstance(raw, str):
        text = raw.strip()
    else:
        raise MoneyError(f"{field}必须是数字，例如 \"12345.60\"")
    if text.startswith("-"):
        raise MoneyError(f"{field}不能为负数")
    if not _PLAIN.match(text):
        if re.match(r"^[0-9]+\.[0-9]{3,}$", text):
            raise MoneyError(f"{field}最多保留两位小数")
        raise MoneyError(f"{field}格式无效，应为不超过两位小数的正数，例如 \"12345.60\"")
    value = Decimal(text)
    if value == 0 and not allow_zero:
        raise MoneyError(f"{field}必须大于零")
    return value.quantize(FEN)


def parse_area(raw: object, field: str = "面积") -> Decimal:
    try:
        return parse_amount(raw, field=field)
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc


def quantize(value: Decimal) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def rate(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """A ratio to 4 places ROUND_HALF_UP; None when the denominator is zero."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE, rounding=ROUND_HALF_UP)


def to_str(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(quantize(value), "f")


def rate_str(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(Decimal(value).quantize(RATE, rounding=ROUND_HALF_UP), "f")


def yuan(value: Decimal | None) -> str:
    """12,345.60元"""
    if value is None:
        return "—"
    return f"{quantize(value):,.2f}元"


def grouped(value: Decimal | str | None) -> str:
    """An amount with thousands separators and no unit: 905,000.00 (a decimal string as stored, or a Decimal)."""
    if value is None or value == "":
        return "—"
    try:
        return f"{quantize(Decimal(str(value))):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def big(value: Decimal | None) -> str:
    """Magnitude as the work reports write it: 2.82亿元, 581.57万元, 860.00元."""
    if value is None:
        return "—"
    v = Decimal(value)
    if abs(v) >= Decimal("100000000"):
        return f"{(v / Decimal('100000000')).quantize(FEN, rounding=ROUND_HALF_UP)}亿元"
    if abs(v) >= Decimal("10000"):
        return f"{(v / Decimal('10000')).quantize(FEN, rounding=ROUND_HALF_UP)}万元"
    return f"{quantize(v)}元"


def percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{(Decimal(value) * 100).quantize(FEN, rounding=ROUND_HALF_UP)}%"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_SECTIONS = ["", "万", "亿", "万亿"]


def _section(n: int) -> str:
    out = ""
    zero = False
    for pos in range(3, -1, -1):
        d = (n // 10**pos) % 10
        if d == 0:
            if out:
                zero = True
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + _UNITS[pos]
    return out


def capital(value: Decimal) -> str:
    """The amount in Chinese capital numerals (大写), e.g. 捌佰伍拾元整."""
    v = quantize(value)
    if v < 0:
        raise ValueError("negative")
    fen_total = int(v * 100)
    yuan_part, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    if yuan_part == 0:
        head = ""
    else:
        parts = []
        sec_idx = 0
        n = yuan_part
        need_zero = False
        while n > 0:
            sec = n % 10000
            if sec:
                text = _section(sec) + _SECTIONS[sec_idx]
                if need_zero:
                    text += "零"
                parts.append(text)
                need_zero = sec < 1000
            else:
                need_zero = bool(parts)
            n //= 10000
            sec_idx += 1
        head = "".join(reversed(parts))
        head = head.rstrip("零")
        head = head.replace("零零", "零")
        head += "元"
    if jiao == 0 and fen == 0:
        return (head or "零元") + "整"
    tail = ""
    if jiao:
        tail += _DIGITS[jiao] + "角"
    elif head:
        tail += "零"
    if fen:
        tail += _DIGITS[fen] + "分"
    else:
        tail += "整"
    return head + tail
