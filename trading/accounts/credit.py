"""Check digits of the unified social credit code (GB 32100-2015) and the resident ID (GB 11643-1999)."""

from __future__ import annotations

import re

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    code = code.strip().upper()
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def is_valid_resident_id(code: str) -> bool:
    code = code.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", code):
        return False
    return id_check_char(code[:17]) == code[17]


def check_org_code(code: str, individual: bool) -> str | None:
    """None when valid, else a Chinese message."""
    if individual:
        return None if is_valid_resident_id(code) else "身份证号码无效（校验位不符）"
    return None if is_valid_uscc(code) else "统一社会信用代码无效（应为18位，校验位不符）"


def mask_personal_id(code: str | None) -> str | None:
    """A person's ID number as public output shows it: the first and last four kept ("4502**********9021").
    Already masked values come back unchanged."""
    if not code or "*" in code or len(code) <= 8:
        return code
    return code[:4] + "*" * (len(code) - 8) + code[-4:]


def make_uscc(seed: int) -> str:
    """A well-formed code for demo data and tests."""
    body = f"9145022{seed:010d}"[:17]
    body = "".join(c if c in _USCC_CHARS else "0" for c in body)
    return body + uscc_check_char(body)


def make_resident_id(seed: int) -> str:
    body = f"45022319850101{seed % 1000:03d}"
    return body + id_check_char(body)


def mask_if_personal(code: str | None) -> str | None:
    """An identifier shown publicly: an individual's resident ID number masked (mask_personal_id); a unified
    social credit code (an organisation's, public by law) unchanged."""
    if not code:
        return code
    code = code.strip().upper()
    if is_valid_resident_id(code) and not is_valid_uscc(code):
        return mask_personal_id(code)
    return code
