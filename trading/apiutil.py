"""Shared API plumbing: JSON bodies parsed exactly, bearer auth, role checks, error envelopes."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any, NamedTuple, TypeVar

from flask import Response, current_app, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from trading.errors import DomainError, Forbidden, Invalid, Unauthorized
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
    except RecursionError:  # [[[[…]]]] nested deeper than the parser's stack
        raise MalformedJSON("请求体 JSON 嵌套过深") from None


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


def commit_json(obj: Any, status: int = 200, headers: dict | None = None) -> Response:
    """The answer of a write, built (and serialised) before the transaction commits: a value that cannot be shown
    (say, a date the display cannot convert) is an error that rolls everything back, never a 500 after a commit."""
    from trading.extensions import db

    response = jsonify(obj, status, headers)
    db.session.commit()
    return response


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return format(o, "f")
    raise TypeError(f"not JSON serialisable: {type(o)!r}")


def error_response(err: DomainError) -> Response:
    return jsonify(err.to_json(), err.status)


class Principal(NamedTuple):
    """Who a bearer token speaks for, without loading the user: enough for a role check and an audit actor."""

    id: int
    role: str
    username: str


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def bearer_user():
    """The user of a valid bearer token, else None. Cached per request."""
    # cached on the request, not on g: g lives as long as the app context, which a CLI that drives the
    # test client (the demo loader) shares across many requests
    cached = request.environ.get("tradehall.api_user", _MISSING)
    if cached is not _MISSING:
        return cached
    from trading.accounts import user_for_token

    user = None
    token = _bearer_token()
    principal = request.environ.get("tradehall.api_principal")
    if principal is not None:  # the token was checked by bearer_principal in this request
        from trading.extensions import db
        from trading.models import User

        user = db.session.get(User, principal.id)
    elif token is not None:
        user = user_for_token(token)
        if user is None:
            request.environ["tradehall.api_user"] = None
            raise Unauthorized("令牌无效或已过期，请重新获取", code="not_authenticated")
    elif request.method in ("GET", "HEAD") and current_user and current_user.is_authenticated:
        # the site's own pages read the API with their session (read-only; writes need a token or CSRF)
        user = current_user._get_current_object()
    request.environ["tradehall.api_user"] = user
    return user


def bearer_principal():
    """Like bearer_user, but a token is resolved to a Principal in one light query (no ORM user): for the
    busiest endpoints, whose use cases need only the user's id, role and name."""
    token = _bearer_token()
    if token is None or "tradehall.api_user" in request.environ:
        return bearer_user()
    cached = request.environ.get("tradehall.api_principal")
    if cached is not None:
        return cached
    from trading.accounts import principal_for_token

    principal = principal_for_token(token)
    if principal is None:
        request.environ["tradehall.api_user"] = None
        raise Unauthorized("令牌无效或已过期，请重新获取", code="not_authenticated")
    request.environ["tradehall.api_principal"] = Principal(*principal)
    return request.environ["tradehall.api_principal"]


def require_user():
    user = bearer_user()
    if user is None:
        raise Unauthorized("请先登录：在 Authorization 头中提供 Bearer 令牌", code="not_authenticated")
    return user


def require_principal():
    """The request's Principal (a token) or user (a session): has `id`, `role` and `username`."""
    who = bearer_principal()
    if who is None:
        raise Unauthorized("请先登录：在 Authorization 头中提供 Bearer 令牌", code="not_authenticated")
    return who


def roles_required(*roles: str, principal: bool = False) -> Callable:
    """Decorator: a bearer token of one of these roles, else 401/403. With `principal=True` the check reads
    only the token's Principal (the view then calls require_principal, not require_user)."""

    def deco(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args, **kwargs):
            user = require_principal() if principal else require_user()
            if user.role not in roles:
                raise Forbidden("当前角色无权执行此操作", code="forbidden")
            return fn(*args, **kwargs)

        wrapper._roles = roles  # type: ignore[attr-defined]
        return wrapper

    return deco


# Every integer a query string carries is bounded here: beyond these it is a 422, never an overflow in SQL
# (SQLite and PostgreSQL integers end at 2^63 - 1, an OFFSET of page × per_page sooner).
MAX_PAGE = 100_000
MAX_SEQ = 2**31 - 1


def int_arg(name: str, default: int | None, minimum: int, maximum: int) -> int | None:
    """The query parameter `name` as an integer in [minimum, maximum]; absent or empty → `default`;
    anything else → 422 validation_error naming the parameter, in Chinese."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    problem = f"须为 {minimum} 到 {maximum} 之间的整数"
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 20:
        raise Invalid(f"{name} {problem}", fields={name: problem})
    value = int(text)
    if not minimum <= value <= maximum:
        raise Invalid(f"{name} {problem}", fields={name: problem})
    return value


def page_args(max_per_page: int = 100) -> tuple[int, int]:
    page = int_arg("page", 1, 1, MAX_PAGE)
    per_page = int_arg("per_page", int(current_app.config.get("PER_PAGE", 20)), 1, max_per_page)
    return page or 1, per_page or 1  # never None: both have a default


def page_number() -> int:
    """The `page` of an HTML list: lenient (a bad or huge value shows the nearest page), never an error."""
    raw = (request.args.get("page") or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        return MAX_PAGE if raw.isascii() and raw.isdigit() else 1
    return min(max(1, int(raw)), MAX_PAGE)
