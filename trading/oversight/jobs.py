"""Scheduler jobs of oversight. Idempotent with several schedulers: each project is re-read under
`FOR UPDATE SKIP LOCKED` (SQLite serialises writers) and each notice carries a dedupe key, so a notice another
scheduler already wrote is not written again."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, select

from auctions.models import Registration, RegistrationStatus
from trading.accounts.models import Notification
from trading.accounts.notifications import notify
from trading.clock import BEIJING, now
from trading.db import lock
from trading.extensions import db
from trading.projects.models import Project
from trading.projects.states import ProjectStatus

log = logging.getLogger("tradehall.scheduler")
S = ProjectStatus
STARTING_AHEAD = timedelta(minutes=30)
BATCH = 200


def _key(kind: str, project_id: int) -> str:
    return f"{kind}:{project_id}"


def _kind(bidding_start, at) -> str:
    return "auction_started" if at >= bidding_start else "auction_starting"


def _remind(project: Project, kind: str) -> int:
    key = _key(kind, project.id)
    told = set(db.session.execute(select(Notification.user_id).where(Notification.dedupe_key == key)).scalars())
    regs = [uid for uid in db.session.execute(select(Registration.bidder_id).where(
        Registration.project_id == project.id, Registration.status == RegistrationStatus.QUALIFIED)).scalars()
        if uid not in told]
    if not regs:
        return 0
    start = project.bidding_start.astimezone(BEIJING)
    if kind == "auction_starting":
        title, body = (f"竞价即将开始：{project.title}",
                       f"项目 {project.code}「{project.title}」将于 {start:%H:%M}（北京时间）开始竞价，请提前进入竞价室。")
    else:
        title, body = (f"竞价已开始：{project.title}",
                       f"项目 {project.code}「{project.title}」已于 {start:%H:%M}（北京时间）开始竞价。")
    return sum(1 for uid in regs if notify(uid, kind, title, body, ref=f"project:{project.id}",
                                           dedupe_key=key) is not None)


def _owed(rows, at) -> list[int]:
    """The projects with a qualified bidder not yet told (two grouped, indexed queries for the whole batch): a
    sweep each second costs nothing once everyone running has been reminded."""
    keys = {pid: _key(_kind(start, at), pid) for pid, start in rows}
    qualified = dict(db.session.execute(select(Registration.project_id, func.count()).where(
        Registration.project_id.in_(list(keys)), Registration.status == RegistrationStatus.QUALIFIED)
        .group_by(Registration.project_id)).all())
    told = dict(db.session.execute(select(Notification.dedupe_key, func.count()).where(
        Notification.dedupe_key.in_(list(keys.values()))).group_by(Notification.dedupe_key)).all())
    return [pid for pid, _start in rows if qualified.get(pid, 0) > told.get(keys[pid], 0)]


def auction_reminders() -> int:
    """Qualified bidders are told 30 minutes before bidding starts and when it has started (each once)."""
    t = now()
    ends = func.coalesce(Project.ends_at, Project.bidding_end)
    rows = db.session.execute(select(Project.id, Project.bidding_start).where(
        Project.status.in_([S.ANNOUNCED, S.BIDDING]), Project.bidding_start <= t + STARTING_AHEAD, ends > t)
        .order_by(Project.bidding_start).limit(BATCH)).all()
    owed = _owed(rows, t) if rows else []
    db.session.rollback()
    written = 0
    for pid in owed:
        try:
            project = lock(Project, pid, skip_locked=True)
            if project is None:
                db.session.rollback()
                continue
            n = _remind(project, _kind(project.bidding_start, now()))
            db.session.commit()
            written += n
        except Exception:
            db.session.rollback()
            log.exception("project %s: reminders failed", pid)
    return written
