"""JSON API v1: auth, projects, audit, OpenAPI (API.md)."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from trading import accounts, audit, services
from trading.apiutil import (
    bearer_user,
    commit_json,
    jsonify,
    page_args,
    parse_body,
    require_user,
    roles_required,
)
from trading.clock import isoformat
from trading.errors import Forbidden, Invalid
from trading.extensions import db
from trading.openapi import PAGE_QUERY, build, doc, flag_query, query_param, text_query
from trading.schemas import KIND_VALUES, ProjectIn, ProjectOut, ReasonIn, TokenIn, TokenOut
from trading.security import check_login_throttle, note_login_failure
from trading.serialize import project_json
from trading.states import ProjectStatus

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


@bp.post("/projects")
@roles_required("collective", "staff")
@doc("创建交易项目（草稿）", body=ProjectIn, response=ProjectOut, status=201, tag="projects")
def create_project():
    from trading.apiutil import json_body

    user = require_user()
    project = services.create_project(user, json_body())
    return commit_json(project_json(project, user), 201)


@bp.put("/projects/<int:project_id>")
@roles_required("collective", "staff")
@doc("修改草稿", body=ProjectIn, response=ProjectOut, tag="projects")
def update_project(project_id: int):
    from trading.apiutil import json_body

    user = require_user()
    project = services.update_draft(user, services.get_project(project_id), json_body())
    return commit_json(project_json(project, user))


@bp.post("/projects/<int:project_id>/submit")
@roles_required("collective", "staff")
@doc("提交审核", response=ProjectOut, tag="projects")
def submit_project(project_id: int):
    user = require_user()
    project = services.submit(user, services.get_project(project_id))
    return commit_json(project_json(project, user))


@bp.post("/projects/<int:project_id>/approve")
@roles_required("staff")
@doc("审核通过并挂牌公告", response=ProjectOut, tag="projects")
def approve_project(project_id: int):
    user = require_user()
    project = services.approve(user, services.get_project(project_id))
    return commit_json(project_json(project, user))


@bp.post("/projects/<int:project_id>/reject")
@roles_required("staff")
@doc("审核退回", body=ReasonIn, response=ProjectOut, tag="projects")
def reject_project(project_id: int):
    user = require_user()
    project = services.get_project(project_id)
    body = parse_body(ReasonIn)
    project = services.reject(user, project, body.reason)
    return commit_json(project_json(project, user))


@bp.post("/projects/<int:project_id>/withdraw")
@roles_required("collective", "staff")
@doc("撤回项目", body=ReasonIn, response=ProjectOut, tag="projects")
def withdraw_project(project_id: int):
    user = require_user()
    project = services.get_project(project_id)
    body = parse_body(ReasonIn)
    project = services.withdraw(user, project, body.reason)
    return commit_json(project_json(project, user))


@bp.post("/projects/<int:project_id>/relist")
@roles_required("collective", "staff")
@doc("流拍项目重新挂牌（复制为新草稿）", response=ProjectOut, status=201, tag="projects")
def relist_project(project_id: int):
    user = require_user()
    copy = services.relist(user, services.get_project(project_id))
    return commit_json(project_json(copy, user), 201)


@bp.get("/projects")
@doc("项目列表（公开）", auth=False, tag="projects",
     query=[query_param("status", {"type": "string", "enum": [s.value for s in ProjectStatus]}),
            query_param("kind", {"type": "string", "enum": list(KIND_VALUES)}),
            *text_query("q", "town"), flag_query("mine", "只看自己的项目"),
            *PAGE_QUERY])
def list_projects():
    status = request.args.get("status") or None
    kind = request.args.get("kind") or None
    if status and status not in {s.value for s in ProjectStatus}:
        raise Invalid("status 取值无效", fields={"status": "取值无效"})
    if kind and kind not in KIND_VALUES:
        raise Invalid("kind 取值无效", fields={"kind": "取值无效"})
    page, per_page = page_args()
    viewer = bearer_user()
    mine = request.args.get("mine") in ("1", "true") and viewer is not None
    rows, total = services.list_projects(status=status, kind=kind, q=request.args.get("q") or None,
                                         town=request.args.get("town") or None,
                                         owner=viewer if mine else None, page=page, per_page=per_page)
    return jsonify({"items": [project_json(p, viewer) for p in rows], "total": total, "page": page,
                    "per_page": per_page})


@bp.get("/projects/<int:project_id>")
@doc("项目详情（公开；底价仅出让方与工作人员可见）", response=ProjectOut, auth=False, tag="projects")
def get_project(project_id: int):
    viewer = bearer_user()
    project = services.get_project(project_id)
    if project.approved_at is None and not (viewer and (viewer.role == "staff" or viewer.id == project.owner_id)):
        # an unpublished draft is private to its owner and the center
        raise Forbidden("该项目尚未公告，仅出让方和交易中心可查看", code="forbidden")
    return jsonify(project_json(project, viewer))


@bp.get("/audit/verify")
@roles_required("staff")
@doc("校验审计日志哈希链", tag="audit")
def audit_verify():
    return jsonify(audit.verify())


@bp.get("/openapi.json")
@doc("OpenAPI 3 描述", auth=False, tag="meta")
def openapi():
    return jsonify(build(current_app))
