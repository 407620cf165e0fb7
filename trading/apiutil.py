"""Shared API plumbing: JSON bodies parsed exactly, JSON responses, error envelopes, paging arguments.

Who is calling (bearer tokens, sessions) and the role guard live in trading/accounts/guard.py."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TypeVar

from flask import Response, current_app, request
from pydantic import BaseModel, ValidationError

from trading.errors import DomainError, Invalid
from trading.schemas import field_errors

M = TypeVar("M", bound=BaseModel)
_MISSING = object()


class MalformedJSON(DomainError):
    status = 400
    code = "malformed_json"


def _reject_constant(name: str):
    raise ValueError(name)


def json_body() -> Any:
    """The request body parsed with JSON numbers as exact Decimals; NaN/Infinity refused."""
    raw = request.get_data(cache=True)
    if not raw:
        raise MalformedJSON("请求体不能为空，须为 JSON")
    try:
        return json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise MalformedJSON("请求体不是有效的 JSON") from None


def parse_body(model: type[M]) -> M:
    body = json_body()
    if not isinstance(body, dict):
        raise Invalid("请求体必须是 JSON 对象", fields={"body": "必须是 JSON 对象"})
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        fields = field_errors(exc)
        raise Invalid("以下字段有误：" + "、".join(fields), fields=fields) from None


def jsonify(obj: Any, status: int = 200, headers: dict | None = None) -> Response:
    text = json.dumps(obj, ensure_ascii=False, default=_default)
    return Response(text, status=status, mimetype="application/json", headers=headers)


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return format(o, "f")
    raise TypeError(f"not JSON serialisable: {type(o)!r}")


def error_response(err: DomainError) -> Response:
    return jsonify(err.to_json(), err.status)


def page_args(max_per_page: int = 100) -> tuple[int, int]:
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", current_app.config.get("PER_PAGE", 20)))
    except ValueError:
        raise Invalid("page 与 per_page 必须是正整数", fields={"page": "必须是正整数"}) from None
    if page < 1 or per_page < 1 or per_page > max_per_page:
        raise Invalid(f"page 须 ≥ 1，per_page 须在 1 到 {max_per_page} 之间",
                      fields={"per_page": f"须在 1 到 {max_per_page} 之间"})
    return page, per_page
