"""Staff page: every outbox message with its state (/staff/push), and redelivery of a dead or waiting one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from trading import outbox
from trading.accounts.guard import page_user
from trading.accounts.models import Role
from trading.extensions import db
from trading.navigation import by_role
from trading.stats.push import EVENT_LABELS

bp = Blueprint("push", __name__)

nav = by_role({Role.STAFF: [("数据推送", "push.index", {})]})


@bp.record_once
def _setup(state) -> None:
    from trading import navigation

    navigation.register(nav)


@bp.get("/staff/push")
def index():
    page_user(Role.STAFF)
    status = request.args.get("status") or None
    if status not in (None, *outbox.STATE_LABELS):
        status = None
    m = outbox.OutboxMessage
    stmt = select(m).order_by(m.id.desc()).limit(200)
    if status:
        stmt = stmt.where(m.status == status)
    rows = list(db.session.execute(stmt).scalars())
    counts = dict(db.session.execute(select(m.status, func.count(m.id)).group_by(m.status)).all())
    return render_template("staff/push.html", rows=rows, counts=counts, status=status,
                           labels=outbox.STATE_LABELS, events=EVENT_LABELS,
                           configured=bool(_url()))


def _url() -> str:
    from flask import current_app

    return current_app.config.get("TRADING_PUSH_URL") or ""


@bp.post("/staff/push/<int(max=2147483647):msg_id>/redeliver")
def redeliver(msg_id: int):
    user = page_user(Role.STAFF)
    msg = outbox.redeliver(msg_id)
    if msg is None:
        flash("该消息不存在或已送达，无需重新推送", "warning")
        return redirect(url_for("push.index"))
    from trading import audit

    audit.record("push.redeliver", f"outbox:{msg.id}", {"stream": msg.stream, "event": msg.event},
                 user.username)
    db.session.commit()
    flash("已重新排队推送", "success")
    return redirect(url_for("push.index"))
