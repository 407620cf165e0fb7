"""Oversight pages: the staff to-do desk, the supervisor's page (audit verification, red/yellow list,
time-limit statistics, collusion signals, unanswered bad ratings), ratings for staff and raters."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trading import audit
from trading.accounts.guard import page_user, roles_page
from trading.accounts.models import Role
from trading.errors import DomainError
from trading.extensions import db
from trading.oversight import deadlines, desk, ratings
from trading.oversight.models import Rating

bp = Blueprint("oversight", __name__)


@bp.get("/staff/desk")
@roles_page(Role.STAFF)
def todo():
    groups = desk.groups()
    return render_template("oversight/desk.html", groups=groups, total=sum(len(g.tasks) for g in groups),
                           reds=sum(g.reds for g in groups), yellows=sum(g.yellows for g in groups))


@bp.get("/staff/supervision")
@roles_page(Role.STAFF, Role.SUPERVISOR)
def supervision():
    verify = audit.verify() if request.args.get("verify") == "1" else None
    items = [i for i in deadlines.open_items() if i.card != "none"]
    items.sort(key=lambda i: (i.card != "red", i.due_at))
    return render_template("oversight/supervision.html", verify=verify, items=items,
                           stats=deadlines.statistics(), labels=deadlines.KIND_LABELS,
                           unanswered=ratings.low_ratings(unanswered_only=True), figures=ratings.figures(),
                           collusion=_collusion())


def _collusion(limit: int = 50) -> list[tuple]:
    """The collusion signals (串标/围标线索) of the latest projects open or recently closed."""
    from sqlalchemy import select

    from auctions import collusion
    from trading.projects.models import Project

    projects = db.session.execute(select(Project).where(Project.status.in_(
        ["announced", "bidding", "awarded", "failed", "certified"])).order_by(Project.id.desc()).limit(limit)).scalars()
    return [(p, signals) for p in projects if (signals := collusion.project_signals(p))]


@bp.get("/staff/ratings")
@roles_page(Role.STAFF)
def ratings_page():
    return render_template("oversight/ratings_staff.html", rows=ratings.low_ratings(),
                           can_write=current_user.role == Role.STAFF, figures=ratings.figures())


@bp.post("/staff/ratings/<int:rating_id>/answer")
def answer(rating_id: int):
    user = page_user(Role.STAFF)
    try:
        ratings.answer(rating_id, request.form.get("answer", ""), user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash("整改答复已发送给评价人", "success")
    return redirect(url_for("oversight.ratings_page"))


@bp.get("/me/ratings")
def my_ratings():
    user = page_user(*(r.value for r in Role))
    rows = db.session.query(Rating).filter(Rating.user_id == user.id).order_by(Rating.id.desc()).all()
    return render_template("oversight/my_ratings.html", rows=rows)


@bp.post("/me/ratings/projects/<int:project_id>")
def rate(project_id: int):
    user = page_user(Role.BIDDER, Role.COLLECTIVE)
    raw = request.form.get("stars", "")
    stars: object = int(raw) if raw.isdigit() else raw
    try:
        ratings.rate_project(user, project_id, stars, request.form.get("comment"))
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash("感谢您的评价" + ("，我们会在时限内整改并答复" if isinstance(stars, int) and stars <= 2 else ""), "success")
    return redirect(url_for("web.project_detail", project_id=project_id))


@bp.post("/me/ratings/lots/<int:lot_id>")
def rate_lot(lot_id: int):
    """The web twin of POST /api/v1/lots/{id}/rating: a party of an awarded tender lot rates once."""
    user = page_user(Role.BIDDER, Role.COLLECTIVE)
    raw = request.form.get("stars", "")
    stars: object = int(raw) if raw.isdigit() else raw
    try:
        ratings.rate_lot(user, lot_id, stars, request.form.get("comment"))
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash("感谢您的评价" + ("，我们会在时限内整改并答复" if isinstance(stars, int) and stars <= 2 else ""), "success")
    return redirect(url_for("tenders.result", lot_id=lot_id) + "#rating-title")


def rating_panel(project, user):
    """On a certified project's page: the party's rating form, or their rating and the center's answer."""
    if user is None or project.status != "certified" or user.id not in {project.owner_id, project.winner_id}:
        return None
    mine = ratings.rating_of(f"project:{project.id}", user.id)
    return render_template("oversight/_rating_panel.html", mine=mine,
                           action=url_for("oversight.rate", project_id=project.id))


def lot_rating(lot) -> dict | None:
    """For the tender result page (templates/oversight/_lot_rating.html): when the signed-in user is a party of the
    awarded lot, {"mine": their rating or None, "action": the form's URL}; else None (no panel)."""
    user = current_user._get_current_object() if current_user and current_user.is_authenticated else None
    if user is None or user.id not in ratings.lot_parties(lot):
        return None
    return {"mine": ratings.rating_of(f"lot:{lot.id}", user.id),
            "action": url_for("oversight.rate_lot", lot_id=lot.id)}
