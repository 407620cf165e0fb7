"""The public portal (home, project list, project detail) and the collective's "my projects"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from trading import navigation, services
from trading.apiutil import page_number
from trading.auth_views import roles_page
from trading.clock import now
from trading.errors import DomainError
from trading.extensions import db
from trading.forms import ProjectForm, ReasonForm
from trading.models import Project
from trading.rules import KIND_LABELS, total_amount
from trading.serialize import can_see_private
from trading.states import ProjectStatus
from trading.templating import Pagination

bp = Blueprint("web", __name__)
S = ProjectStatus
DEALS = (S.AWARDED, S.CERTIFIED)
PUBLIC_STATUSES = (S.ANNOUNCED, S.BIDDING, S.AWARDED, S.FAILED, S.CERTIFIED, S.WITHDRAWN)


def _nav(user) -> list[tuple[str, str, dict]]:
    if user is not None and user.role == "collective":
        return [("我的项目", "web.my_projects", {}), ("发布项目", "web.new_project", {})]
    return []


bp.record_once(lambda state: navigation.register(_nav))


def _viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


# ------------------------------------------------------------------ portal

def _published():
    return select(Project).where(Project.approved_at.is_not(None))


def headline() -> dict:
    """Figures of the hero: listed projects, deals and their total amount (awarded/certified rows)."""
    listed = db.session.execute(select(func.count()).select_from(_published().subquery())).scalar_one()
    deals = db.session.execute(select(Project).where(Project.status.in_(DEALS),
                                                     Project.final_price.is_not(None))).scalars().all()
    total = sum((total_amount(p.final_price, p.price_unit, p.area_mu, p.term_years) for p in deals), Decimal(0))
    return {"listed": listed, "deals": len(deals), "total": total}


@bp.get("/")
def home():
    t = now()
    registering = db.session.execute(
        _published().where(Project.status == S.ANNOUNCED, Project.registration_end > t, Project.bidding_start > t)
        .order_by(Project.registration_end).limit(6)).scalars().all()
    # running now, then those whose registration has closed or whose bidding starts within 3 days
    shown = {p.id for p in registering}
    live = db.session.execute(
        _published().where(or_(Project.status == S.BIDDING,
                               (Project.status == S.ANNOUNCED) & (Project.bidding_start <= t + timedelta(days=3))))
        .order_by(Project.bidding_start).limit(12)).scalars().all()
    live = [p for p in live if p.id not in shown and services.effective_status(p, t) in (S.BIDDING, S.ANNOUNCED)][:6]
    results = db.session.execute(
        _published().where(Project.status.in_((*DEALS, S.FAILED)))
        .order_by(Project.closed_at.desc().nulls_last(), Project.id.desc()).limit(6)).scalars().all()
    return render_template("trading/home.html", stats=headline(), registering=registering, live=live,
                           results=results, status_of=services.effective_status, deal_amount=deal_amount)


def deal_amount(p: Project) -> Decimal | None:
    if p.final_price is None:
        return None
    return total_amount(p.final_price, p.price_unit, p.area_mu, p.term_years)


def _towns() -> list[str]:
    rows = db.session.execute(select(Project.town).where(Project.approved_at.is_not(None), Project.town.is_not(None))
                              .distinct().order_by(Project.town)).scalars().all()
    return [r for r in rows if r]


def _page() -> int:
    return page_number()


@bp.get("/projects")
def projects():
    args = {k: (request.args.get(k) or "").strip() for k in ("q", "kind", "status", "town")}
    kind = args["kind"] if args["kind"] in KIND_LABELS else None
    status = args["status"] if args["status"] in PUBLIC_STATUSES else None
    per_page = current_app.config.get("PER_PAGE", 20)
    page = _page()
    rows, total = services.list_projects(status=status, kind=kind, q=args["q"] or None, town=args["town"] or None,
                                         page=page, per_page=per_page)
    return render_template("trading/projects.html", rows=rows, args=args, towns=_towns(),
                           statuses=PUBLIC_STATUSES, pager=Pagination(page, per_page, total),
                           status_of=services.effective_status)


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # done | now | todo | skip


def life_steps(p: Project, status: ProjectStatus, t: datetime) -> list[Step]:
    """挂牌 → 报名 → 竞价 → 成交/流拍 → 公示 → 鉴证, marked from the clock-implied status."""
    labels = ["挂牌", "报名", "竞价", "流拍" if status == S.FAILED else "成交", "公示", "鉴证"]
    if status in (S.DRAFT, S.PENDING_REVIEW):
        current = 0
    elif status == S.ANNOUNCED:
        current = 1 if t < p.registration_end else 2
    elif status == S.BIDDING:
        current = 2
    elif status == S.FAILED:
        return [Step(lb, "done" if i < 3 else ("now" if i == 3 else "skip")) for i, lb in enumerate(labels)]
    elif status == S.AWARDED:
        current = 4 if p.publicity_ends_at is None or t < p.publicity_ends_at else 5
    elif status == S.CERTIFIED:
        return [Step(lb, "done") for lb in labels]
    else:  # withdrawn
        return [Step(lb, "skip") for lb in labels]
    return [Step(lb, "done" if i < current else "now" if i == current else "todo") for i, lb in enumerate(labels)]


def next_milestone(p: Project, status: ProjectStatus, t: datetime) -> tuple[str, datetime] | None:
    if status == S.ANNOUNCED and t < p.registration_end:
        return "距报名截止", p.registration_end
    if status == S.ANNOUNCED:
        return "距竞价开始", p.bidding_start
    if status == S.BIDDING:
        return "距竞价结束", p.ends_at or p.bidding_end
    if status == S.AWARDED and p.publicity_ends_at and t < p.publicity_ends_at:
        return "距公示期结束", p.publicity_ends_at
    return None


@bp.get("/projects/<int:project_id>")
def project_detail(project_id: int):
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    viewer = _viewer()
    private = can_see_private(project, viewer)
    if project.approved_at is None and not private:
        abort(403)
    t = now()
    status = services.effective_status(project, t)
    start_total = None
    if project.price_unit == "per_mu_year" and project.area_mu and project.term_years:
        start_total = total_amount(project.start_price, project.price_unit, project.area_mu, project.term_years)
    return render_template("trading/detail.html", p=project, project=project, status=status, private=private,
                           steps=life_steps(project, status, t), milestone=next_milestone(project, status, t),
                           start_total=start_total, is_owner=viewer is not None and viewer.id == project.owner_id,
                           deal_total=deal_amount(project), reason_form=ReasonForm())


# ------------------------------------------------------------------ my projects (collective)

@bp.get("/my/projects")
@roles_page("collective")
def my_projects():
    status = request.args.get("status") or None
    if status not in {s.value for s in S}:
        status = None
    page = _page()
    rows, total = services.list_projects(owner=current_user, status=status, page=page, per_page=20)
    counts = dict(db.session.execute(select(Project.status, func.count()).where(Project.owner_id == current_user.id)
                                     .group_by(Project.status)).all())
    return render_template("trading/my_projects.html", rows=rows, pager=Pagination(page, 20, total), status=status,
                           counts=counts, status_of=services.effective_status, reason_form=ReasonForm())


def save_project(form: ProjectForm, actor, project: Project | None = None) -> Project | None:
    """Form → API body → the same service as the API. None (with messages on the form) when refused."""
    try:
        body = form.to_body()
        saved = services.create_project(actor, body) if project is None else \
            services.update_draft(actor, project, body)
    except DomainError as exc:
        db.session.rollback()
        form.show_error(exc)
        return None
    db.session.commit()
    return saved


@bp.route("/my/projects/new", methods=["GET", "POST"])
@roles_page("collective")
def new_project():
    form = ProjectForm()
    if request.method == "GET":
        form.price_unit.data = "per_mu_year"
    if form.validate_on_submit() and (saved := save_project(form, current_user._get_current_object())):
        flash(f"项目草稿已保存（编号 {saved.code}）。确认无误后请提交审核。", "success")
        return redirect(url_for("web.project_detail", project_id=saved.id))
    return render_template("trading/project_form.html", form=form, project=None,
                           action=url_for("web.new_project"), title="发布交易项目")


def _own_project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    if project.owner_id != current_user.id:
        abort(403)
    return project


@bp.route("/my/projects/<int:project_id>/edit", methods=["GET", "POST"])
@roles_page("collective")
def edit_project(project_id: int):
    project = _own_project(project_id)
    if project.status != S.DRAFT:
        flash("只有草稿状态的项目可以修改", "warning")
        return redirect(url_for("web.project_detail", project_id=project.id))
    form = ProjectForm()
    if request.method == "GET":
        form.fill(project)
    if form.validate_on_submit() and save_project(form, current_user._get_current_object(), project):
        flash("草稿已更新", "success")
        return redirect(url_for("web.project_detail", project_id=project.id))
    return render_template("trading/project_form.html", form=form, project=project,
                           action=url_for("web.edit_project", project_id=project.id), title="修改项目草稿")


@bp.post("/my/projects/<int:project_id>/submit")
@roles_page("collective")
def submit_project(project_id: int):
    project = _own_project(project_id)
    services.submit(current_user._get_current_object(), project)  # a refusal flashes via the error handler
    db.session.commit()
    flash("已提交交易中心审核，审核结果将在“我的项目”中显示", "success")
    return redirect(url_for("web.project_detail", project_id=project.id))


@bp.post("/my/projects/<int:project_id>/withdraw")
@roles_page("collective")
def withdraw_project(project_id: int):
    project = _own_project(project_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("撤回项目须填写原因", "danger")
        return redirect(url_for("web.project_detail", project_id=project.id))
    services.withdraw(current_user._get_current_object(), project, form.reason.data.strip())
    db.session.commit()
    flash("项目已撤回", "success")
    return redirect(url_for("web.project_detail", project_id=project.id))
