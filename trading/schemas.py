"""Pydantic models for API bodies; openapi.json is generated from these same models."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema

from trading.clock import parse_rfc3339
from trading.money import parse_amount, parse_area

MONEY_SCHEMA = {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "example": "12345.60"}


def _money(raw: object) -> Decimal:
    return parse_amount(raw)


def _money_or_zero(raw: object) -> Decimal:
    return parse_amount(raw, allow_zero=True)


Money = Annotated[Decimal, BeforeValidator(_money), WithJsonSchema(MONEY_SCHEMA)]
MoneyOrZero = Annotated[Decimal, BeforeValidator(_money_or_zero), WithJsonSchema(MONEY_SCHEMA)]
Area = Annotated[Decimal, BeforeValidator(parse_area), WithJsonSchema(MONEY_SCHEMA)]
# clock.parse_rfc3339 bounds every instant to [2000-01-01, 2100-01-01) UTC (clock.EARLIEST…LATEST): the pattern
# tells generators (schemathesis) the years, the description the exact rule
INSTANT_SCHEMA = {"type": "string", "format": "date-time", "example": "2026-05-01T09:00:00+08:00",
                  "pattern": r"^20[0-9]{2}-(0[1-9]|1[0-2])-[0-3][0-9][Tt][0-2][0-9]:[0-5][0-9]:[0-6][0-9]",
                  "description": "RFC 3339，带时区偏移；须在 2000-01-01T00:00:00Z 至 2100-01-01T00:00:00Z 之间"}
Instant = Annotated[datetime, BeforeValidator(parse_rfc3339), WithJsonSchema(INSTANT_SCHEMA)]


def _not_bool(raw: object) -> object:
    """JSON true/false are not the integers 1/0 (pydantic's lax mode would take them)."""
    if isinstance(raw, bool):
        raise ValueError("必须是整数，不能是布尔值")
    return raw


# every integer an API body takes: a number (or a numeric string, as the forms send), never a boolean
Int = Annotated[int, BeforeValidator(_not_bool)]
# a row id named in a body: a positive integer that fits the column (a huge one is a 422, not a 500)
Id = Annotated[int, BeforeValidator(_not_bool), Field(gt=0, lt=2**31)]

class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ReasonIn(Body):
    reason: str = Field(min_length=1, max_length=2000)


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    page: int


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


_TYPE_MESSAGES = {
    "missing": "必填项",
    "string_type": "必须是字符串",
    "int_type": "必须是整数",
    "int_parsing": "必须是整数",
    "int_from_float": "必须是整数",
    "bool_type": "必须是布尔值",
    "list_type": "必须是列表",
    "literal_error": "取值无效",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "dict_type": "必须是对象",
    "model_type": "必须是对象",
}


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Chinese, per-field messages for every error pydantic found (all at once)."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = err.get("loc") or ("body",)
        name = str(loc[0]) if loc else "body"
        if err["type"] == "value_error":
            msg = str(err.get("ctx", {}).get("error") or err["msg"])
        elif err["type"] == "literal_error":
            msg = "取值无效，可选：" + str(err.get("ctx", {}).get("expected", ""))
        else:
            msg = _TYPE_MESSAGES.get(err["type"], "取值无效")
        out.setdefault(name, msg)
    return out
