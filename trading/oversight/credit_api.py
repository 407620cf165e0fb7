"""The credit list's API and pages (docs/api.md "Credit, supervision, notifications, ratings"); the entries and
the bar live with the organisations (trading/accounts/credit_list.py)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import Field
from sqlalchemy import select

from tenders.models import Tender
from trading.accounts import credit_list
from trading.accounts.guard import bearer_user, has_role, page_user, roles_page, roles_required
from trading.accounts.models import Role
from trading.apiutil import commit_json, jsonify, parse_body
from trading.errors import DomainError, Invalid
from trading.extensions import db
from trading.openapi import doc
from trading.projects.models import Project
from trading.schemas import Body, ReasonIn

api = Blueprint("credit_api", __name__, url_prefix="/api/v1")
bp = Blueprint("credit", __name__)
READERS = (Role.STAFF, Role.SUPERVISOR)


class CreditIn(Body):
    org_code: str = Field(min_length=1, max_length=18)
    cause: str
    evidence: str = Field(min_length=1, max_length=5000)
    decided_on: date
    bar_from: date
    bar_until: date
    project_code: str | None = Field(default=None, max_length=32)


class ConfirmIn(Body):
    bar_from: date | None = None
    bar_until: date | None = None


def _check_project(code: str | None) -> str | None:
    """The linked deal: a project's code or a tender's (ZB-…); anything else is refused like an unknown
    organisation. Returns the code as stored."""
    code = (code or "").strip().upper() or None
    if code is None:
        return None
    if db.session.execute(select(Project.id).where(Project.code == code)).first() is not None:
        return code
    if db.session.execute(select(Tender.id).where(Tender.code == code)).first() is not None:
        return code
    raise Invalid("未找到该项目编号或招标项目编号", fields={"project_code": "项目或招标项目不存在"})


def record_from(data: dict, actor: str):
    """Shared by the API and the staff page: unknown project codes are refused like unknown organisations."""
    data = {**data, "project_code": _check_project(data.get("project_code"))}
    return credit_list.record(actor=actor, **data)


@api.get("/credit")
@doc("信用惩戒名单（公开：仅惩戒中的记录；工作人员与监督人员 all=1 看全部）", auth=False, tag="credit")
def list_credit():
    user = bearer_user()
    if request.args.get("all") == "1" and has_role(user, *READERS):
        return jsonify({"items": [credit_list.serialize(e, public=False) for e in credit_list.all_entries()]})
    return jsonify({"items": [credit_list.serialize(e) for e in credit_list.public_list()]})


@api.post("/credit")
@roles_required(Role.STAFF)
@doc("记录失信行为（立即生效）", body=CreditIn, status=201, tag="credit")
def create_credit():
    body = parse_body(CreditIn)
    e = record_from(body.model_dump(), bearer_user().username)
    return commit_json(credit_list.serialize(e, public=False), 201)


@api.post("/credit/<int:entry_id>/confirm")
@roles_required(Role.STAFF)
@doc("确认由违约等自动生成的待确认信用记录", body=ConfirmIn, tag="credit")
def confirm_credit(entry_id: int):
    body = parse_body(ConfirmIn) if request.get_data() else ConfirmIn()
    e = credit_list.confirm(entry_id, bearer_user().username, bar_from=body.bar_from, bar_until=body.bar_until)
    return commit_json(credit_list.serialize(e, public=False))


@api.post("/credit/<int:entry_id>/repair")
@roles_required(Role.STAFF)
@doc("信用修复（今日起解除惩戒）", body=ReasonIn, tag="credit")
def repair_credit(entry_id: int):
    body = parse_body(ReasonIn)
    e = credit_list.repair(entry_id, body.reason, bearer_user().username)
    return commit_json(credit_list.serialize(e, public=False))


# ---------------------------------------------------------------- pages

@bp.get("/credit")
def public_page():
    return render_template("oversight/credit_public.html", rows=credit_list.public_list(),
                           causes=credit_list.CAUSES, serialize=credit_list.serialize)


@bp.get("/staff/credit")
@roles_page(*READERS)
def staff_page(errors: dict | None = None, form: dict | None = None):
    return render_template("oversight/credit_staff.html", rows=credit_list.all_entries(), causes=credit_list.CAUSES,
                           statuses=credit_list.STATUS_LABELS, errors=errors or {}, form=form or {},
                           can_write=current_user.role == Role.STAFF, today=credit_list.today(),
                           serialize=credit_list.serialize)


def _date(raw: str | None, name: str, errors: dict) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        errors[name] = "日期格式应为 YYYY-MM-DD"
        return None


@bp.post("/staff/credit")
def staff_record():
    user = page_user(Role.STAFF)
    f = request.form
    errors: dict = {}
    dates = {k: _date(f.get(k), k, errors) for k in ("decided_on", "bar_from", "bar_until")}
    if not errors:
        try:
            record_from({"org_code": f.get("org_code", ""), "cause": f.get("cause", ""),
                         "evidence": f.get("evidence", ""), "project_code": (f.get("project_code") or "").strip() or None,
                         **dates}, user.username)
        except DomainError as exc:
            db.session.rollback()
            errors = exc.fields or {"form": exc.message}
        else:
            db.session.commit()
            flash("信用记录已生效", "success")
            return redirect(url_for("credit.staff_page"))
    return staff_page(errors=errors, form=f.to_dict()), 422


@bp.post("/staff/credit/<int:entry_id>/confirm")
def staff_confirm(entry_id: int):
    user = page_user(Role.STAFF)
    return _act(lambda: credit_list.confirm(entry_id, user.username), "已确认，惩戒生效")


@bp.post("/staff/credit/<int:entry_id>/repair")
def staff_repair(entry_id: int):
    user = page_user(Role.STAFF)
    return _act(lambda: credit_list.repair(entry_id, request.form.get("reason", ""), user.username), "已信用修复")


def _act(fn, ok: str):
    try:
        fn()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(ok, "success")
    return redirect(url_for("credit.staff_page"))
