"""The expert pool (评标专家库): experts are users of role `expert` with a speciality; suspended ones are never
drawn. Services flush and audit; callers commit."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from tenders.models import ExpertProfile
from trading import audit
from trading.accounts.models import Organisation, OrgKind, Role, User
from trading.accounts.services import create_org, create_user
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


def create_expert(actor: str, *, username: str, password: str, display_name: str, organisation: str,
                  speciality: str, phone: str | None = None) -> ExpertProfile:
    """A staff user adds an expert to the pool: the account (role expert), its work unit (used for avoidance at
    the draw; an unknown name becomes a new organisation) and the speciality. Flushes and audits; callers commit."""
    errors = {}
    org_name = (organisation or "").strip()
    if not org_name or len(org_name) > 200:
        errors["organisation"] = "请填写专家的工作单位（回避时据此判断，不超过200字）"
    spec = (speciality or "").strip()
    if not spec or len(spec) > 32:
        errors["speciality"] = "请填写专业代码（不超过32字符）"
    if not (display_name or "").strip() or len(display_name.strip()) > 100:
        errors["display_name"] = "请填写专家姓名（不超过100字）"
    if errors:
        raise Invalid("；".join(errors.values()), fields=errors)
    org = db.session.execute(select(Organisation).where(Organisation.name == org_name)).scalars().first()
    if org is None:
        org = create_org(org_name, OrgKind.COMPANY, None, actor=actor)
    user = create_user(username, password, Role.EXPERT, display_name=display_name.strip(),
                       phone=(phone or "").strip() or None, org=org, actor=actor)
    return add_profile(user, spec, actor)


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


def search(*, q: str | None = None, speciality: str | None = None, state: str | None = None, page: int = 1,
           per_page: int = 20) -> tuple[list[ExpertProfile], int]:
    """The pool page: by name, username or work unit, speciality, and available/suspended; a page of rows."""
    stmt = (select(ExpertProfile).join(User, User.id == ExpertProfile.user_id)
            .outerjoin(Organisation, Organisation.id == User.org_id))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(User.username.ilike(like), User.display_name.ilike(like), Organisation.name.ilike(like)))
    if speciality:
        stmt = stmt.where(ExpertProfile.speciality == speciality)
    if state == "available":
        stmt = stmt.where(ExpertProfile.suspended_at.is_(None), User.active.is_(True))
    elif state == "suspended":
        stmt = stmt.where(ExpertProfile.suspended_at.is_not(None))
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.session.execute(stmt.order_by(ExpertProfile.speciality, User.username)
                              .limit(per_page).offset((page - 1) * per_page)).scalars()
    return list(rows), total


def speciality_counts() -> list[tuple[str, int, int]]:
    """(speciality, available, suspended) for every speciality in the pool: what a draw can find."""
    rows = db.session.execute(select(ExpertProfile.speciality, ExpertProfile.suspended_at, User.active)
                              .join(User, User.id == ExpertProfile.user_id)).all()
    counts: dict[str, list[int]] = {}
    for spec, suspended_at, active in rows:
        counts.setdefault(spec, [0, 0])[0 if suspended_at is None and active else 1] += 1
    return [(spec, a, s) for spec, (a, s) in sorted(counts.items())]


def expert_json(p: ExpertProfile) -> dict:
    return {"username": p.user.username, "name": p.user.display_name or p.user.username,
            "organisation": p.user.org.name if p.user.org else None, "speciality": p.speciality,
            "suspended": p.suspended_at is not None, "suspended_at": isoformat(p.suspended_at),
            "suspend_reason": p.suspend_reason, "active": p.user.active}
