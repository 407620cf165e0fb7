"""The inbox (站内消息): pages, the JSON API (docs/api.md "Credit, supervision, notifications, ratings"), the
profile's channel choice, and the staff page of failed deliveries."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trading.accounts import notifications as notes
from trading.accounts.guard import page_user, require_user, roles_page
from trading.accounts.models import Role
from trading.apiutil import jsonify
from trading.errors import DomainError
from trading.extensions import db
from trading.openapi import doc

bp = Blueprint("inbox", __name__)
api = Blueprint("inbox_api", __name__, url_prefix="/api/v1")
ALL_ROLES = tuple(r.value for r in Role)


@bp.get("/me/notifications")
@roles_page(*ALL_ROLES)
def index():
    unread_only = request.args.get("unread") == "1"
    rows = notes.inbox(current_user.id, unread_only=unread_only)
    return render_template("inbox/index.html", rows=rows, unread_only=unread_only,
                           unread=notes.unread_count(current_user.id), labels=notes.KIND_LABELS)


@bp.post("/me/notifications/<int:notification_id>/read")
@roles_page(*ALL_ROLES)
def read(notification_id: int):
    try:
        notes.mark_read(current_user.id, notification_id)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
    return redirect(url_for("inbox.index"))


@bp.post("/me/notifications/read-all")
@roles_page(*ALL_ROLES)
def read_all():
    n = notes.mark_all_read(current_user.id)
    db.session.commit()
    flash(f"已将 {n} 条消息标为已读", "success")
    return redirect(url_for("inbox.index"))


@bp.route("/me/notification-settings", methods=["GET", "POST"])
def settings():
    user = page_user(*ALL_ROLES)
    errors: dict = {}
    row = notes.settings_of(user.id)
    if request.method == "POST":
        try:
            notes.save_settings(user, email=request.form.get("email"), email_on=bool(request.form.get("email_on")),
                                sms_on=bool(request.form.get("sms_on")))
        except DomainError as exc:
            db.session.rollback()
            errors = exc.fields or {"email": exc.message}
            row = notes.settings_of(user.id)
            row.email = request.form.get("email")
        else:
            db.session.commit()
            flash("通知方式已保存", "success")
            return redirect(url_for("inbox.settings"))
    return render_template("inbox/settings.html", row=row, errors=errors, user=user)


@bp.get("/staff/deliveries")
@roles_page(Role.STAFF, Role.SUPERVISOR)
def deliveries():
    return render_template("inbox/deliveries.html", rows=notes.failed_deliveries())


@api.get("/me/notifications")
@doc("我的消息（unread=1 只看未读）", tag="notifications")
def api_index():
    user = require_user()
    rows = notes.inbox(user.id, unread_only=request.args.get("unread") == "1")
    return jsonify({"items": [notes.serialize(n) for n in rows], "unread": notes.unread_count(user.id)})


@api.post("/me/notifications/<int:notification_id>/read")
@doc("标记消息为已读", tag="notifications")
def api_read(notification_id: int):
    user = require_user()
    n = notes.mark_read(user.id, notification_id)
    db.session.commit()
    return jsonify(notes.serialize(n))
