"""The expert pool (评标专家库): experts are users of role `expert` with a speciality; suspended ones are never
drawn. Services flush and audit; callers commit."""

from __future__ import annotations

from sqlalchemy import select

from tenders.models import ExpertProfile
from trading import audit
from trading.accounts.models import Role, User
from trading.clock import isoformat, now
from trading.errors import Conflict, Invalid, NotFound
from trading.extensions import db


def add_profile(user: User, speciality: str | None, actor: str) -> ExpertProfile:
    """Record an expert's speciality (users create --role expert --speciality CODE)."""
    spec = (speciality or "").strip()
    if not spec or len(spec) > 32:
        raise Invalid("评标专家须有专业代码（不超过32字符）", fields={"speciality": "必填"})
    if user.role != Role.EXPERT:
        raise Invalid("只有 expert 用户可以登记专业", fields={"role": "须为 expert"})
    profile = db.session.get(ExpertProfile, user.id)
    if profile is None:
        profile = ExpertProfile(user_id=user.id, speciality=spec)
        db.session.add(profile)
    profile.speciality = spec
    db.session.flush()
    audit.record("expert.add", f"user:{user.id}", {"username": user.username, "speciality": spec}, actor)
    return profile


def on_user_created(user: User, speciality: str | None = None, actor: str = "system", **_kw) -> None:
    """trading.signals.user_created: an expert's profile is part of creating the user."""
    if user.role == Role.EXPERT:
        add_profile(user, speciality, actor)


def _profile(username: str) -> ExpertProfile:
    profile = db.session.execute(select(ExpertProfile).join(User, User.id == ExpertProfile.user_id)
                                 .where(User.username == username)).scalar_one_or_none()
    if profile is None:
        raise NotFound(f"专家 {username} 不存在", code="not_found")
    return profile


def suspend(actor: str, username: str, reason: str) -> ExpertProfile:
    profile = _profile(username)
    if profile.suspended_at is not None:
        raise Conflict("该专家已被暂停", code="invalid_state")
    profile.suspended_at, profile.suspend_reason = now(), reason
    db.session.flush()
    audit.record("expert.suspend", f"user:{profile.user_id}", {"username": username, "reason": reason}, actor)
    return profile


def resume(actor: str, username: str) -> ExpertProfile:
    profile = _profile(username)
    if profile.suspended_at is None:
        raise Conflict("该专家未被暂停", code="invalid_state")
    profile.suspended_at = profile.suspend_reason = None
    db.session.flush()
    audit.record("expert.resume", f"user:{profile.user_id}", {"username": username}, actor)
    return profile


def list_experts(speciality: str | None = None) -> list[ExpertProfile]:
    stmt = select(ExpertProfile).join(User, User.id == ExpertProfile.user_id)
    if speciality:
        stmt = stmt.where(ExpertProfile.speciality == speciality)
    return list(db.session.execute(stmt.order_by(ExpertProfile.speciality, User.username)).scalars())


def expert_json(p: ExpertProfile) -> dict:
    return {"username": p.user.username, "name": p.user.display_name or p.user.username,
            "organisation": p.user.org.name if p.user.org else None, "speciality": p.speciality,
            "suspended": p.suspended_at is not None, "suspended_at": isoformat(p.suspended_at),
            "suspend_reason": p.suspend_reason, "active": p.user.active}
