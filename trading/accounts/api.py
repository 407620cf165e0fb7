"""JSON API v1: tokens, and the API's own endpoints (audit-chain check for staff, the OpenAPI document)."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from trading import audit
from trading.accounts import services as accounts
from trading.accounts.guard import require_user, roles_required
from trading.accounts.models import Role
from trading.accounts.schemas import TokenIn, TokenOut
from trading.apiutil import commit_json, jsonify, parse_body
from trading.clock import isoformat
from trading.extensions import db
from trading.openapi import build, doc
from trading.security import check_login_throttle, note_login_failure

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.post("/auth/token")
@doc("获取 API 令牌", body=TokenIn, response=TokenOut, auth=False, tag="auth")
def token():
    check_login_throttle()
    body = parse_body(TokenIn)
    try:
        user = accounts.authenticate(body.username, body.password)
    except Exception:
        db.session.commit()  # keep the failed-login count that drives the lock-out
        note_login_failure()
        raise
    raw, row = accounts.issue_token(user)
    return commit_json({"token": raw, "role": user.role, "expires_at": isoformat(row.expires_at)})


@bp.post("/auth/revoke")
@doc("吊销当前令牌", tag="auth")
def revoke():
    require_user()
    accounts.revoke_token(request.headers["Authorization"][7:].strip())
    return commit_json({"revoked": True})


@bp.get("/audit/verify")
@roles_required(Role.STAFF)
@doc("校验审计日志哈希链", tag="audit")
def audit_verify():
    return jsonify(audit.verify())


@bp.get("/openapi.json")
@doc("OpenAPI 3 描述", auth=False, tag="meta")
def openapi():
    return jsonify(build(current_app))
