"""Who is asking, and the role guard: one rule for pages and the API.

`roles_page` guards pages (anonymous visitors go to the login page, other roles get 403); `roles_required`
guards API views (401/403 in the API's error envelope). Both ask `has_role`, the one place a role is judged.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import NamedTuple

from flask import abort, flash, has_request_context, redirect, request, url_for
from flask_login import current_user

from trading.accounts.models import Role, User
from trading.accounts.services import principal_for_token, user_for_token
from trading.errors import Forbidden, Unauthorized
from trading.extensions import db, login_manager

_MISSING = object()


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
    user = None
    token = _bearer_token()
    principal = request.environ.get("tradehall.api_principal")
    if principal is not None:  # the token was checked by bearer_principal in this request
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


READ_METHODS = ("GET", "HEAD")


def _reading() -> bool:
    return has_request_context() and request.method in READ_METHODS


def reads_as_staff(user) -> bool:
    """Who reads what staff read: staff, and the supervisor (行政监督) — for reads only."""
    return user is not None and (user.role == Role.STAFF or (user.role == Role.SUPERVISOR and _reading()))


def has_role(user, *roles: str) -> bool:
    """The one role rule: a signed-in (or token-bearing) user whose role is one of `roles`. The supervisor
    (行政监督) passes every staff check on a read (GET/HEAD) and none on a write: read-only across the platform."""
    if user is None or not getattr(user, "is_authenticated", True):
        return False
    if user.role in roles:
        return True
    return user.role == Role.SUPERVISOR and Role.STAFF in roles and _reading()


def roles_required(*roles: str, principal: bool = False) -> Callable:
    """API decorator: a bearer token of one of these roles, else 401/403. With `principal=True` the check reads
    only the token's Principal (the view then calls require_principal, not require_user)."""

    def deco(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args, **kwargs):
            user = require_principal() if principal else require_user()
            if not has_role(user, *roles):
                raise Forbidden("当前角色无权执行此操作", code="forbidden")
            return fn(*args, **kwargs)

        wrapper._roles = roles  # type: ignore[attr-defined]
        return wrapper

    return deco


def page_user(*roles: str) -> User:
    """Inside a page (or a blueprint's before_request): the signed-in user when it holds one of `roles`.
    Anonymous visitors go to the login page, other roles get 403."""
    if not current_user.is_authenticated:
        if request.method != "GET":  # after login, "next" must not point at a POST-only URL
            flash(login_manager.login_message, "warning")
            abort(redirect(url_for("auth.login")))
        abort(login_manager.unauthorized())
    if not has_role(current_user, *roles):
        abort(403)
    return current_user._get_current_object()


def roles_page(*roles: str) -> Callable:
    """Page decorator: `page_user(*roles)` before the view."""

    def deco(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args, **kwargs):
            page_user(*roles)
            return fn(*args, **kwargs)

        wrapper._page_roles = roles  # type: ignore[attr-defined]
        return wrapper

    return deco
