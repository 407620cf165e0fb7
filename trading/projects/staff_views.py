"""Trading-center staff pages: review queue, listing on behalf of a collective, accounts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from trading import navigation, review_queue
from trading.accounts import services as accounts
from trading.accounts.forms import AccountForm
from trading.accounts.guard import roles_page
from trading.accounts.models import Organisation, Role, User
from trading.accounts.views import _place
from trading.errors import DomainError
from trading.extensions import db
from trading.projects import services
from trading.projects.forms import ProjectForm, ReasonForm
from trading.projects.models import Project
from trading.projects.states import ProjectStatus
from trading.projects.views import _page, reasoned_step, save_project
from trading.templating import Pagination

bp = Blueprint("staff", __name__, url_prefix="/staff")
PER_PAGE = 20


_nav = navigation.by_role({Role.STAFF: [("审核队列", "staff.review", {}), ("项目管理", "staff.projects", {}),
                                          ("代为挂牌", "staff.new_project", {}), ("用户管理", "staff.users", {})]})


bp.record_once(lambda state: navigation.register(_nav))


def _me() -> User:
    return current_user._get_current_object()


def _project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    return project


@bp.get("/review")
@roles_page(Role.STAFF)
def review():
    rows = db.session.execute(select(Project).where(Project.status == ProjectStatus.PENDING_REVIEW)
                              .order_by(Project.submitted_at, Project.id)).scalars().all()
    return render_template("staff/review.html", rows=rows, reason_form=ReasonForm(),
                           others=review_queue.pending_items())


@bp.post("/projects/<int:project_id>/approve")
@roles_page(Role.STAFF)
def approve(project_id: int):
    project = services.approve(_me(), _project(project_id))  # refusals flash via the error handler
    db.session.commit()
    flash(f"{project.code} 已审核通过并挂牌公告", "success")
    return redirect(url_for("staff.review"))


@bp.post("/projects/<int:project_id>/reject")
@roles_page(Role.STAFF)
def reject(project_id: int):
    project = _project(project_id)
    return reasoned_step(services.reject, project, "退回项目须填写原因", f"{project.code} 已退回出让方修改",
                         url_for("staff.review"))


@bp.post("/projects/<int:project_id>/withdraw")
@roles_page(Role.STAFF)
def withdraw(project_id: int):
    project = _project(project_id)
    return reasoned_step(services.withdraw, project, "撤回项目须填写原因", f"{project.code} 已撤回",
                         url_for("web.project_detail", project_id=project.id))


@bp.get("/projects")
@roles_page(Role.STAFF)
def projects():
    status = request.args.get("status") or None
    if status not in {s.value for s in ProjectStatus}:
        status = None
    q = (request.args.get("q") or "").strip() or None
    page = _page()
    rows, total = services.list_projects(status=status, q=q, public=False, page=page, per_page=PER_PAGE)
    return render_template("staff/projects.html", rows=rows, status=status, q=q or "",
                           pager=Pagination(page, PER_PAGE, total), status_of=services.effective_status)


def _owners() -> list[tuple[str, str]]:
    users = db.session.execute(select(User).where(User.role == Role.COLLECTIVE, User.active.is_(True))
                               .order_by(User.username)).scalars().all()
    return [(u.username, f"{u.name}（{u.username}）") for u in users]


@bp.route("/projects/new", methods=["GET", "POST"])
@roles_page(Role.STAFF)
def new_project():
    form = ProjectForm(owners=_owners())
    if request.method == "GET":
        form.price_unit.data = "per_mu_year"
    if form.validate_on_submit() and (saved := save_project(form, _me())):
        flash(f"已代 {saved.owner.name} 保存草稿（编号 {saved.code}），由出让方确认后提交审核", "success")
        return redirect(url_for("web.project_detail", project_id=saved.id))
    return render_template("trading/project_form.html", form=form, project=None,
                           action=url_for("staff.new_project"), title="代为挂牌")


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@roles_page(Role.STAFF)
def edit_project(project_id: int):
    project = _project(project_id)
    if project.status != ProjectStatus.DRAFT:
        flash("只有草稿状态的项目可以修改", "warning")
        return redirect(url_for("web.project_detail", project_id=project.id))
    form = ProjectForm()  # the owner of an existing draft does not change
    if request.method == "GET":
        form.fill(project)
    if form.validate_on_submit() and save_project(form, _me(), project):
        flash("草稿已更新", "success")
        return redirect(url_for("web.project_detail", project_id=project.id))
    return render_template("trading/project_form.html", form=form, project=project,
                           action=url_for("staff.edit_project", project_id=project.id), title="修改项目草稿")


@bp.route("/accounts/new", methods=["GET", "POST"])
@roles_page(Role.STAFF)
def new_account():
    """Collective (village collective / tenderee) and staff accounts, each with its organisation."""
    form = AccountForm()
    if request.method == "GET" and request.args.get("role") == "staff":
        form.role.data, form.org_kind.data = "staff", "center"
    if form.validate_on_submit():
        try:
            user = _create_account(form)
        except DomainError as exc:
            db.session.rollback()
            _place(form, exc)
        else:
            db.session.commit()
            flash(f"已创建账户 {user.username}（{user.role}）", "success")
            return redirect(url_for("staff.users"))
    return render_template("staff/account_form.html", form=form)


def _create_account(form: AccountForm) -> User:
    actor = current_user.username
    name = form.org_name.data.strip()
    org = None
    if form.org_kind.data == "center":
        org = db.session.execute(select(Organisation).where(Organisation.name == name,
                                                            Organisation.kind == "center")).scalar_one_or_none()
    if org is None:
        org = accounts.create_org(name, form.org_kind.data, form.credit_code.data or None,
                                  town=(form.town.data or "").strip() or None, phone=form.phone.data or None,
                                  actor=actor)
    return accounts.create_user(form.username.data, form.password.data, form.role.data,
                                display_name=form.display_name.data.strip(), phone=form.phone.data or None,
                                org=org, actor=actor)


@bp.get("/users")
@roles_page(Role.STAFF)
def users():
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    stmt = select(User).outerjoin(Organisation, User.org_id == Organisation.id)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(User.username.like(like), User.display_name.like(like), Organisation.name.like(like),
                              User.phone.like(like)))
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == role)
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page = _page()
    rows = db.session.execute(stmt.order_by(User.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
                              ).scalars().all()
    return render_template("staff/users.html", rows=rows, q=q, role=role, pager=Pagination(page, PER_PAGE, total))
