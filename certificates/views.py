"""Pages: public result publicity with objections, public certificate verification, staff certificate desk."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from certificates import queries, services
from certificates.models import OBJECTION_LABELS
from certificates.rules import MAX_UPLOAD
from trading.accounts.guard import roles_page
from trading.accounts.models import Role
from trading.apiutil import page_number
from trading.errors import DomainError
from trading.extensions import db
from trading.navigation import by_role
from trading.projects.services import get_project
from trading.projects.states import DEALS
from trading.redirects import back
from trading.templating import Pagination

bp = Blueprint("certificates", __name__)


@bp.context_processor
def _helpers() -> dict:
    from certificates.rules import pdf_rows

    return {"cert_rows": pdf_rows}


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


nav_items = by_role({None: [("证书核验", "certificates.verify_page", {})],
                     Role.STAFF: [("鉴证书管理", "certificates.desk", {})]})


def project_panel(project, user):
    """Publicity, objections and certificate status on the project page."""
    if project.awarded_at is None and project.status not in DEALS:
        return None
    cert = services.certificate_of(project)
    return Markup(render_template("certificates/_panel.html", p=project, cert=cert,  # noqa: S704
                                  end=services.publicity_end(project),
                                  open_count=len(services.open_objections(project)), user=user))


# ------------------------------------------------------------------ public

@bp.get("/projects/<int:project_id>/publicity")
def publicity(project_id: int):
    project = get_project(project_id)
    if project.awarded_at is None and not services.objections_of(project):
        abort(404)
    end = services.publicity_end(project)
    return render_template("certificates/publicity.html", p=project, end=end,
                           cert=services.certificate_of(project),
                           objections=services.objections_of(project), labels=OBJECTION_LABELS,
                           open_count=len(services.open_objections(project)), user=_user(),
                           form=request.form)


@bp.post("/projects/<int:project_id>/objections")
def lodge(project_id: int):
    project = get_project(project_id)
    try:
        services.lodge_objection(project, user=_user(), name=request.form.get("name"),
                                 phone=request.form.get("phone"), grounds=request.form.get("grounds"))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        end = services.publicity_end(project)
        return render_template("certificates/publicity.html", p=project, end=end,
                               cert=services.certificate_of(project), objections=services.objections_of(project),
                               labels=OBJECTION_LABELS, open_count=len(services.open_objections(project)),
                               user=_user(), form=request.form, errors=exc.fields or {}), exc.status
    db.session.commit()
    flash("异议已提交，交易中心将依法处理并答复", "success")
    return redirect(url_for("certificates.publicity", project_id=project_id))


@bp.route("/certificates/verify", methods=["GET", "POST"])
def verify_page():
    result = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("请选择要核验的 PDF 文件", "danger")
        else:
            data = upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                flash("文件超过 10 MB，不予核验", "danger")
            else:
                result = queries.verify_pdf(data)
    number = (request.args.get("number") or "").strip()
    if number and result is None:
        return redirect(url_for("certificates.public_view", number=number))
    cert = None
    if result and result.get("number") and result.get("kind"):  # a paper of another package (an award notice)
        from certificates.signals import page_of_paper

        page = page_of_paper(result["number"])
        result = {**result, "page_url": page["url"], "kind_title": page["title"]} if page else result
    elif result and result.get("number"):
        cert = services.get_certificate(result["number"])
    return render_template("certificates/verify.html", result=result, cert=cert,
                           facts=queries.facts_of(cert) if cert else None)


@bp.get("/certificates/<number>")
def public_view(number: str):
    user = _user()
    try:
        cert = services.get_certificate(number, staff=user is not None and user.role == Role.STAFF)
    except DomainError:
        flash(f"未找到编号为“{number}”的鉴证书，请核对编号", "warning")
        return render_template("certificates/verify.html", result=None, cert=None, facts=None), 404
    return render_template("certificates/verify.html", result=None, cert=cert, facts=queries.facts_of(cert),
                           signature_ok=queries.check_signature(cert))


# ------------------------------------------------------------------ staff

@bp.get("/staff/certificates")
@roles_page(Role.STAFF)
def desk():
    tab = request.args.get("tab", "awaiting")
    page = page_number()
    per_page = 20
    ctx: dict = {"tab": tab}
    if tab == "register":
        q = request.args.get("q", "")
        items, total = queries.register_search(q, page, per_page)
        ctx.update(certs=items, q=q, pager=Pagination(page, per_page, total))
    elif tab == "publicity":
        ctx.update(projects=queries.in_publicity_projects())
    elif tab == "objections":
        from certificates.signals import describe_objection

        objections = queries.pending_objections()
        ctx.update(objections=objections, subjects={o.id: describe_objection(o) for o in objections
                                                    if o.project_id is None})
    else:
        ctx["tab"] = "awaiting"
        items, total = queries.awaiting_certificate(page, per_page)
        ctx.update(projects=items, pager=Pagination(page, per_page, total))
    ctx.update(labels=OBJECTION_LABELS, end_of=services.publicity_end)
    return render_template("certificates/desk.html", **ctx)


@bp.post("/staff/projects/<int:project_id>/certificate")
@roles_page(Role.STAFF)
def issue(project_id: int):
    cert = services.issue_certificate(current_user._get_current_object(), project_id)
    db.session.commit()
    flash(f"已出具 {cert.number_text}", "success")
    return redirect(url_for("certificates.public_view", number=cert.number))


@bp.post("/staff/objections/<int:objection_id>/resolve")
@roles_page(Role.STAFF)
def resolve(objection_id: int):
    obj = services.get_objection(objection_id)
    action, reason = request.form.get("action"), request.form.get("reason", "")
    user = current_user._get_current_object()
    if action == "dismiss":
        services.dismiss_objection(user, obj, reason)
    elif action in ("uphold_next", "uphold_fail"):
        services.uphold_objection(user, obj, reason, award_next=action == "uphold_next")
    else:
        abort(400)
    db.session.commit()
    flash("异议已处理", "success")
    return redirect(back(url_for("certificates.desk", tab="objections")))


@bp.post("/staff/certificates/<number>/revoke")
@roles_page(Role.STAFF)
def revoke(number: str):
    cert = services.revoke(current_user._get_current_object(), services.get_certificate(number, staff=True),
                           request.form.get("reason", ""))
    db.session.commit()
    flash(f"已撤销 {cert.number_text}", "success")
    return redirect(url_for("certificates.public_view", number=number))
