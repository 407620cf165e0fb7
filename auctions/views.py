"""Pages: the registration panel and form, 我的报名, the live auction room, the result (成交公示)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from auctions import bidstore, rules, serialize
from auctions import registrations as regs
from auctions.api import bid_response
from trading.accounts.guard import page_user
from trading.accounts.models import Role
from trading.apiutil import json_body, jsonify, page_number
from trading.errors import DomainError
from trading.extensions import db
from trading.money import MoneyError, parse_amount, to_str
from trading.money import capital as money_capital
from trading.navigation import by_role
from trading.projects.models import Project
from trading.projects.services import effective_status, get_project
from trading.projects.visibility import can_see, is_published
from trading.templating import Pagination

bp = Blueprint("auctions", __name__, url_prefix="/auctions")


def project_url(project_id: int) -> str:
    """The portal's project page when it exists, else our own room."""
    try:
        return url_for("web.project_detail", project_id=project_id)
    except Exception:  # noqa: BLE001 (the portal blueprint is optional here)
        return url_for("auctions.room", project_id=project_id)


def _user():
    return current_user if current_user and current_user.is_authenticated else None


def panel_context(project: Project, user) -> dict:
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None  # the portal passes Flask-Login's anonymous user
    status = effective_status(project)
    reg = regs.registration_of(project.id, user.id) if user is not None and user.role == Role.BIDDER else None
    pending = 0
    if user is not None and user.role == Role.STAFF:
        pending = len(regs.list_for_project(project, "pending"))
    return {"project": project, "status": status, "reg": reg, "user": user, "pending": pending,
            "can_register": regs.registration_open(project), "closed": status in serialize.CLOSED}


def project_panel(project: Project, user) -> Markup | None:
    """The block on the project page: register / my registration / room / result / staff queue."""
    if not is_published(project):
        return None
    return Markup(render_template("auctions/_panel.html", **panel_context(project, user)))  # noqa: S704


nav = by_role({
    Role.BIDDER: [("我的报名", "auctions.my_registrations", {})],
    Role.STAFF: [("资格审核", "auctions_staff.queue", {}), ("竞价监控", "auctions_staff.monitor", {})],
})


@bp.route("/projects/<int:project_id>/register", methods=["GET", "POST"])
@login_required
def register(project_id: int):
    user = page_user(Role.BIDDER)
    project = get_project(project_id)
    if not can_see(project, user):
        abort(404)
    if request.method == "POST":
        kind = request.form.get("security_type", "")
        security = {"type": kind}
        if kind == "guarantee":
            security["guarantee_no"] = request.form.get("guarantee_no", "")
        try:
            reg = regs.register(user, project_id, security, ip=request.remote_addr,
                                user_agent=request.headers.get("User-Agent"))
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
            return redirect(url_for("auctions.register", project_id=project_id))
        db.session.commit()
        msg = "报名成功，您的竞买号为 " + reg.bidder_no + "。"
        msg += "请按公告缴纳保证金，待工作人员确认到账并审核。" if kind == "deposit" else "保函已核验，等待资格审核。"
        flash(msg, "success")
        return redirect(url_for("auctions.my_registrations"))
    return render_template("auctions/register.html", project_url=project_url(project_id),
                           **panel_context(project, user))


@bp.get("/my")
@login_required
def my_registrations():
    user = page_user(Role.BIDDER)
    rows = regs.list_for_bidder(user)
    items = [(r, effective_status(r.project)) for r in rows]
    return render_template("auctions/my.html", items=items, project_url=project_url, can_withdraw=regs.can_withdraw)


@bp.post("/registrations/<int:registration_id>/withdraw")
@login_required
def withdraw(registration_id: int):
    user = page_user(Role.BIDDER)
    regs.withdraw(user, regs.get_registration(registration_id))
    db.session.commit()
    flash("已撤回报名，保证金/保函将按规定退还或释放。", "success")
    return redirect(url_for("auctions.my_registrations"))


@bp.get("/projects/<int:project_id>/room")
def room(project_id: int):
    user = _user()
    project = get_project(project_id)
    if not can_see(project, user):
        abort(404)
    data = serialize.auction_json(project, user)
    reg = regs.registration_of(project.id, user.id) if user is not None and user.role == Role.BIDDER else None
    priority = reg is not None and bidstore.is_priority_holder(project.id, user.id)
    return render_template("auctions/room.html", project=project, a=data, reg=reg, priority=priority,
                           status=effective_status(project), project_url=project_url(project_id))


@bp.post("/projects/<int:project_id>/bid")
@login_required
def bid(project_id: int):
    """The live room's bid (CSRF-protected session form); same rules and answers as the API."""
    user = current_user._get_current_object()
    if user.role != Role.BIDDER:
        return jsonify({"error": {"code": "forbidden", "message": "只有竞买人可以出价"}}, 403)
    try:
        # JSON parsed as the API parses it (exact decimals; too deep or malformed → 400), else the form field
        body = json_body() if request.is_json else {"amount": request.form.get("amount")}
        status, out = bid_response(project_id, user, body, request.headers.get("Idempotency-Key"))
    except DomainError as err:
        db.session.rollback()
        return jsonify(err.to_json(), err.status)
    return jsonify(out, status)


@bp.get("/capital")
def capital():
    """The confirmation dialog's 大写 (trading.money.capital), so the page and the server agree exactly."""
    try:
        amount = parse_amount(request.args.get("amount", ""), field="报价")
    except MoneyError as exc:
        return jsonify({"error": {"code": "invalid_amount", "message": str(exc)}}, 422)
    return jsonify({"amount": to_str(amount), "capital": money_capital(amount)})


@bp.get("/projects/<int:project_id>/result")
def result(project_id: int):
    project = get_project(project_id)
    try:
        res = serialize.result_json(project)
    except DomainError as err:
        flash(err.message, "warning")
        return redirect(url_for("auctions.room", project_id=project_id))
    page = page_number()
    history = serialize.bids_page(project, page, 50)
    user = _user()
    is_staff = user is not None and user.role == Role.STAFF
    status = effective_status(project)
    winner_reg = None
    if is_staff and rules.may_declare_default(status, project.closed_at is not None, project.winner_id):
        reg = regs.registration_of(project.id, project.winner_id)  # the default form names the registration
        winner_reg = reg.id if reg is not None else None
    return render_template("auctions/result.html", project=project, r=res, history=history,
                           pager=Pagination(page, 50, history["total"]), project_url=project_url(project_id),
                           is_staff=is_staff, winner_registration_id=winner_reg, status=status)


def init_app(app: Flask) -> None:
    from auctions import staff_views
    from trading import navigation, panels

    app.register_blueprint(bp)
    app.register_blueprint(staff_views.bp)
    panels.register(project_panel, order=30)
    navigation.register(nav)
