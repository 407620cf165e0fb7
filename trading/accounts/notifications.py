"""Notifications (站内消息): any package writes a notice with `notify` inside its own transaction; the notice and
its outbox rows (e-mail, SMS — the channels the user chose) commit or roll back with the event. Delivery runs
in the scheduler (trading/accounts/delivery.py), never in the request.

Packages above accounts emit through their own signals and receivers (trading/oversight/receivers.py); a
package may also call `notify` directly: it sits below every feature package.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from trading.accounts.models import Delivery, Notification, NotificationSettings, Role, User
from trading.clock import now
from trading.errors import Invalid, NotFound
from trading.extensions import db

KIND_LABELS = {
    "registration_qualified": "报名审核通过", "registration_rejected": "报名未通过", "auction_starting": "竞价即将开始",
    "auction_started": "竞价已开始", "outbid": "出价被超越", "auction_won": "竞得通知", "auction_lost": "未竞得通知",
    "clarification": "澄清公告", "opening_started": "开标开始", "committee_assigned": "评标委员会抽取", "award_notice": "中标通知",
    "certificate_issued": "鉴证书已出具", "refund_due": "保证金待退还", "claim_filed": "保函索赔",
    "deadline_yellow": "黄牌预警", "deadline_red": "红牌预警", "credit_barred": "信用惩戒", "credit_draft": "待确认信用记录", "rating_low": "差评待整改",
    "rating_answered": "差评整改回复", "system": "系统消息",
}
OUTBID_WINDOW = timedelta(seconds=60)  # at most one outbid notice a minute per bidder and auction


def notify(user_id: int, kind: str, title: str, body: str = "", *, ref: str | None = None,
           dedupe_key: str | None = None) -> Notification | None:
    """Write one notice and its outbox rows in the caller's transaction. With `dedupe_key` a second notice with
    the same key for the same user is not written (None): callers that may run twice (schedulers) hold a row
    lock on the object they notify about, so the check and the insert are not raced; the unique constraint is
    the backstop."""
    if dedupe_key is not None and db.session.execute(select(Notification.id).where(
            Notification.user_id == user_id, Notification.dedupe_key == dedupe_key)).first() is not None:
        return None
    n = Notification(user_id=user_id, kind=kind, title=title[:200], body=body, ref=ref, dedupe_key=dedupe_key,
                     created_at=now())
    db.session.add(n)
    db.session.flush()
    _outbox(n)
    return n


def notify_throttled(user_id: int, kind: str, title: str, body: str, *, ref: str,
                     window: timedelta = OUTBID_WINDOW) -> Notification | None:
    """At most one notice of `kind` about `ref` per user within `window` (outbid)."""
    recent = db.session.execute(select(Notification.id).where(
        Notification.user_id == user_id, Notification.kind == kind, Notification.ref == ref,
        Notification.created_at > now() - window).limit(1)).first()
    if recent is not None:
        return None
    return notify(user_id, kind, title, body, ref=ref)


def notify_role(role: str, kind: str, title: str, body: str = "", *, ref: str | None = None,
                dedupe_key: str | None = None) -> int:
    """Every active user of a role (staff, supervisor); returns how many notices were written."""
    ids = db.session.execute(select(User.id).where(User.role == role, User.active.is_(True))
                             .order_by(User.id)).scalars().all()
    return sum(1 for uid in ids if notify(uid, kind, title, body, ref=ref, dedupe_key=dedupe_key) is not None)


def notify_org(org_id: int, kind: str, title: str, body: str = "", *, ref: str | None = None) -> int:
    ids = db.session.execute(select(User.id).where(User.org_id == org_id, User.active.is_(True))
                             .order_by(User.id)).scalars().all()
    return sum(1 for uid in ids if notify(uid, kind, title, body, ref=ref) is not None)


def _outbox(n: Notification) -> None:
    settings = db.session.get(NotificationSettings, n.user_id)
    if settings is None:
        return
    user = db.session.get(User, n.user_id)
    at = now()
    for channel, chosen, address in (("email", settings.email_on, settings.email),
                                     ("sms", settings.sms_on, user.phone if user else None)):
        if not chosen:
            continue
        if address:
            db.session.add(Delivery(notification_id=n.id, channel=channel, address=address, status="pending",
                                    next_attempt_at=at, created_at=at))
        else:  # the channel is chosen but the user has no address: skipped, the others still go out
            db.session.add(Delivery(notification_id=n.id, channel=channel, status="skipped", next_attempt_at=at,
                                    created_at=at, last_error="未填写电子邮箱" if channel == "email" else "未填写手机号"))
    db.session.flush()


# ---------------------------------------------------------------- the inbox

def inbox(user_id: int, *, unread_only: bool = False, limit: int = 200) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(db.session.execute(stmt.order_by(Notification.id.desc()).limit(limit)).scalars())


def unread_count(user_id: int) -> int:
    return int(db.session.execute(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))).scalar_one())


def mark_read(user_id: int, notification_id: int) -> Notification:
    """Only the owner's own notice (another user's answers 404, the same as a missing one)."""
    n = db.session.get(Notification, notification_id)
    if n is None or n.user_id != user_id:
        raise NotFound("消息不存在", code="not_found")
    if n.read_at is None:
        n.read_at = now()
        db.session.flush()
    return n


def mark_all_read(user_id: int) -> int:
    res = db.session.execute(update(Notification).where(Notification.user_id == user_id,
                                                        Notification.read_at.is_(None)).values(read_at=now()))
    return int(getattr(res, "rowcount", 0) or 0)


def serialize(n: Notification) -> dict:
    from trading.clock import isoformat

    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "created_at": isoformat(n.created_at),
            "read": n.read_at is not None}


# ---------------------------------------------------------------- the profile's channel choice

def settings_of(user_id: int) -> NotificationSettings:
    return db.session.get(NotificationSettings, user_id) or NotificationSettings(user_id=user_id, email=None,
                                                                                 email_on=False, sms_on=False)


def save_settings(user: User, *, email: str | None, email_on: bool, sms_on: bool) -> NotificationSettings:
    email = (email or "").strip() or None
    errors = {}
    if email is not None and (len(email) > 200 or "@" not in email or email.startswith("@") or email.endswith("@")
                              or any(c.isspace() for c in email)):
        errors["email"] = "电子邮箱格式不正确"
    if email_on and email is None:
        errors["email"] = "选择邮件通知须填写电子邮箱"
    if sms_on and not user.phone:
        errors["sms_on"] = "账户未登记手机号，不能选择短信通知"
    if errors:
        raise Invalid("；".join(errors.values()), fields=errors)
    row = db.session.get(NotificationSettings, user.id)
    if row is None:
        row = NotificationSettings(user_id=user.id)
        db.session.add(row)
    row.email, row.email_on, row.sms_on = email, email_on, sms_on
    db.session.flush()
    return row


def failed_deliveries(limit: int = 200) -> list[Delivery]:
    """For staff: failed, skipped and stuck (claimed but never finished) deliveries, newest first."""
    stuck = now() - timedelta(minutes=10)
    return list(db.session.execute(select(Delivery).where(
        (Delivery.status.in_(["failed", "skipped"]))
        | ((Delivery.status == "sending") & (Delivery.next_attempt_at < stuck))
        | ((Delivery.status == "pending") & (Delivery.attempts > 0)))
        .order_by(Delivery.id.desc()).limit(limit)).scalars())


STAFF_ROLES = (Role.STAFF,)
