"""Staff pages: the qualification queue, the running-auction monitor, winner default and relisting."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from auctions import collusion, serialize, services
from auctions import registrations as regs
from auctions.models import Registration, RegistrationStatus
from trading.accounts.guard import page_user
from trading.accounts.models import Role
from trading.clock import now
from trading.errors import Invalid
from trading.extensions import db
from trading.projects import services as project_services
from trading.projects.models import Project
from trading.projects.services import effective_status, get_project
from trading.projects.states import ProjectStatus

bp = Blueprint("auctions_staff", __name__, url_prefix="/staff/auctions")
S = ProjectStatus


@bp.before_request
def _staff_only():
    page_user(Role.STAFF)


@bp.get("/queue")
def queue():
    """Projects with registrations waiting for qualification, oldest bidding first."""
    rows = db.session.execute(
        select(Project, func.count(Registration.id)).join(Registration, Registration.project_id == Project.id)
        .where(Registration.status == RegistrationStatus.PENDING).group_by(Project.id)
        .order_by(Project.bidding_start)).all()
    return render_template("auctions/staff_queue.html", rows=rows)


@bp.get("/projects/<int:project_id>/registrations")
def registrations(project_id: int):
    project = get_project(project_id)
    items = regs.list_for_project(project)
    ready = {r.id: serialize.registration_json(r)["security_ready"] for r in items}
    return render_template("auctions/staff_registrations.html", project=project, items=items, ready=ready,
                           status=effective_status(project), collusion=collusion.project_signals(project))


def _back(reg):
    return redirect(url_for("auctions_staff.registrations", project_id=reg.project_id))


def _done(reg, message: str):
    """After a registration step the service accepted: commit, say so (`{no}`: the bidder number), go back."""
    db.session.commit()
    flash(message.format(no=reg.bidder_no), "success")
    return _back(reg)


@bp.post("/registrations/<int:registration_id>/approve")
def approve(registration_id: int):
    return _done(regs.approve(current_user, regs.get_registration(registration_id)), "竞买号 {no} 已通过资格审核")


@bp.post("/registrations/<int:registration_id>/reject")
def reject(registration_id: int):
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        raise Invalid("请填写不予通过的理由", fields={"reason": "必填项"})
    return _done(regs.reject(current_user, regs.get_registration(registration_id), reason), "竞买号 {no} 未通过资格审核")


@bp.post("/registrations/<int:registration_id>/confirm-deposit")
def confirm_deposit(registration_id: int):
    return _done(regs.confirm_deposit(current_user, regs.get_registration(registration_id)),
                 "竞买号 {no} 的保证金已确认到账")


@bp.get("/monitor")
def monitor():
    """Every auction the clock says is running (and those that just ended, until the job closes them)."""
    t = now()
    rows = db.session.execute(select(Project).where(
        or_(Project.status == S.BIDDING, (Project.status == S.ANNOUNCED) & (Project.bidding_start <= t)))
        .order_by(func.coalesce(Project.ends_at, Project.bidding_end))).scalars().all()
    counts = dict(db.session.execute(
        select(Registration.project_id, func.count()).where(Registration.status == RegistrationStatus.QUALIFIED,
                                                            Registration.project_id.in_([p.id for p in rows]))
        .group_by(Registration.project_id)).all()) if rows else {}
    items = [(p, effective_status(p, t), counts.get(p.id, 0)) for p in rows]
    return render_template("auctions/staff_monitor.html", items=items)


@bp.post("/projects/<int:project_id>/default")
def winner_default(project_id: int):
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        raise Invalid("请填写违约理由", fields={"reason": "必填项"})
    raw = (request.form.get("registration_id") or "").strip()
    if not (raw.isascii() and raw.isdigit() and 0 < len(raw) < 10):
        raise Invalid("缺少违约成交人的报名记录，请刷新页面后重试", fields={"registration_id": "必填项"})
    registration_id = int(raw)
    project = services.winner_default(get_project(project_id), reason=reason, actor=current_user.username,
                                      award_next=request.form.get("award_next") == "1",
                                      registration_id=registration_id)
    db.session.commit()
    flash("已认定成交人违约；" + (project.outcome_reason or ""), "success")
    return redirect(url_for("auctions.result", project_id=project_id))


@bp.post("/projects/<int:project_id>/relist")
def relist(project_id: int):
    copy = project_services.relist(current_user, get_project(project_id))
    db.session.commit()
    flash(f"已重新挂牌为新草稿 {copy.code}，请修改时间后提交审核", "success")
    return redirect(url_for("staff.edit_project", project_id=copy.id))
