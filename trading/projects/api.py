"""JSON API v1: projects (docs/api.md)."""

from __future__ import annotations

from flask import Blueprint, request

from trading.accounts.guard import bearer_user, require_user, roles_required
from trading.accounts.models import Role
from trading.apiutil import commit_json, json_body, jsonify, page_args, parse_body
from trading.errors import Invalid
from trading.openapi import PAGE_QUERY, doc, flag_query, query_param, text_query
from trading.projects import services
from trading.projects.schemas import KIND_VALUES, ProjectIn, ProjectOut
from trading.projects.serialize import project_json
from trading.projects.states import ProjectStatus
from trading.schemas import ReasonIn

bp = Blueprint("projects_api", __name__, url_prefix="/api/v1")


def _step(step, project_id: int, body=None, status: int = 200):
    """One step on a project: the service decides (and refuses with a typed error), the view answers with the
    project as the caller may see it and commits (commit_json). `body` reads the request body after the project is found."""
    user = require_user()
    project = services.get_project(project_id)
    result = step(user, project, *((body(),) if body is not None else ()))
    return commit_json(project_json(result, user), status)


def _reason() -> str:
    return parse_body(ReasonIn).reason


@bp.post("/projects")
@roles_required(Role.COLLECTIVE, Role.STAFF)
@doc("创建交易项目（草稿）", body=ProjectIn, response=ProjectOut, status=201, tag="projects")
def create_project():
    user = require_user()
    project = services.create_project(user, json_body())
    return commit_json(project_json(project, user), 201)


@bp.put("/projects/<int:project_id>")
@roles_required(Role.COLLECTIVE, Role.STAFF)
@doc("修改草稿", body=ProjectIn, response=ProjectOut, tag="projects")
def update_project(project_id: int):
    return _step(services.update_draft, project_id, json_body)


@bp.post("/projects/<int:project_id>/submit")
@roles_required(Role.COLLECTIVE, Role.STAFF)
@doc("提交审核", response=ProjectOut, tag="projects")
def submit_project(project_id: int):
    return _step(services.submit, project_id)


@bp.post("/projects/<int:project_id>/approve")
@roles_required(Role.STAFF)
@doc("审核通过并挂牌公告", response=ProjectOut, tag="projects")
def approve_project(project_id: int):
    return _step(services.approve, project_id)


@bp.post("/projects/<int:project_id>/reject")
@roles_required(Role.STAFF)
@doc("审核退回", body=ReasonIn, response=ProjectOut, tag="projects")
def reject_project(project_id: int):
    return _step(services.reject, project_id, _reason)


@bp.post("/projects/<int:project_id>/withdraw")
@roles_required(Role.COLLECTIVE, Role.STAFF)
@doc("撤回项目", body=ReasonIn, response=ProjectOut, tag="projects")
def withdraw_project(project_id: int):
    return _step(services.withdraw, project_id, _reason)


@bp.post("/projects/<int:project_id>/relist")
@roles_required(Role.COLLECTIVE, Role.STAFF)
@doc("流拍项目重新挂牌（复制为新草稿）", response=ProjectOut, status=201, tag="projects")
def relist_project(project_id: int):
    return _step(services.relist, project_id, status=201)


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
    project = services.visible_project(project_id, viewer)
    return jsonify(project_json(project, viewer))
