"""Project use cases: create, edit, submit, review, withdraw, relist. They flush and audit; callers commit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import current_app
from pydantic import ValidationError
from sqlalchemy import func, or_, select

from trading import audit
from trading.accounts.models import Role, User
from trading.clock import now, to_beijing
from trading.errors import Conflict, Forbidden, Invalid, NotFound
from trading.extensions import db
from trading.projects import signals
from trading.projects.models import CodeCounter, Project
from trading.projects.rules import (
    FieldErrors,
    WindowError,
    Windows,
    check_project,
    check_windows,
    code_prefix,
    town_of,
)
from trading.projects.schemas import ProjectIn
from trading.projects.states import InvalidTransition, ProjectStatus, implied_status, next_status
from trading.projects.visibility import can_see, published
from trading.schemas import field_errors

EDITABLE = ("kind", "title", "location", "description", "method", "direction", "price_unit", "area_mu",
            "term_years", "start_price", "reserve_price", "budget", "increment", "deposit", "extension_seconds",
            "max_extensions", "announce_start", "registration_end", "bidding_start", "bidding_end")


def _min_announcement() -> int:
    return current_app.config["TRADING_MIN_ANNOUNCEMENT_SECONDS"]


def parse_project(body: object) -> ProjectIn:
    """Every field checked at once; then the cross-field and window rules."""
    if not isinstance(body, dict):
        raise Invalid("请求体必须是 JSON 对象", fields={"body": "必须是 JSON 对象"})
    try:
        data = ProjectIn.model_validate(body)
    except ValidationError as exc:
        fields = field_errors(exc)
        if (problem := _window_problem(body, fields)) is not None:
            fields["windows"] = problem  # every problem at once, not the window rules only after the rest
        raise Invalid("以下字段有误：" + "、".join(fields), fields=fields) from None
    try:
        check_project(data.model_dump(), now(), _min_announcement())
    except FieldErrors as exc:
        raise Invalid("以下字段有误：" + "、".join(exc.fields), fields=exc.fields) from None
    except WindowError as exc:
        raise Invalid(str(exc), code="invalid_window") from None
    return data


_WINDOW_FIELDS = ("announce_start", "registration_end", "bidding_start", "bidding_end")


def _window_problem(body: dict, field_problems: dict[str, str]) -> str | None:
    """The window rules' verdict on a body whose other fields failed, when its four windows are themselves valid."""
    if any(name in field_problems for name in _WINDOW_FIELDS):
        return None
    try:
        parsed = [datetime.fromisoformat(body[name]) for name in _WINDOW_FIELDS]
    except (KeyError, TypeError, ValueError):
        return None
    if any(t.tzinfo is None for t in parsed):
        return None
    try:
        check_windows(Windows(*parsed), now(), _min_announcement())
    except WindowError as exc:
        return str(exc)
    return None


def next_code(prefix: str, year: int) -> str:
    """The next gapless code of (prefix, year): the counter row stays locked until the transaction ends, and a
    rollback gives the number back."""
    if db.engine.dialect.name == "postgresql":
        # one round trip: create-or-increment, row-locked by the upsert like SELECT … FOR UPDATE + UPDATE did
        from sqlalchemy.dialects.postgresql import insert

        upsert = insert(CodeCounter).values(prefix=prefix, year=year, value=1)
        upsert = upsert.on_conflict_do_update(index_elements=[CodeCounter.prefix, CodeCounter.year],
                                              set_={"value": CodeCounter.value + 1})
        value = db.session.execute(upsert.returning(CodeCounter.value)).scalar_one()
        return f"{prefix}-{year}-{value:04d}"
    stmt = select(CodeCounter).where(CodeCounter.prefix == prefix, CodeCounter.year == year)
    counter = db.session.execute(stmt).scalar_one_or_none()
    if counter is None:
        counter = CodeCounter(prefix=prefix, year=year, value=0)
        db.session.add(counter)
    counter.value += 1
    db.session.flush()
    return f"{prefix}-{year}-{counter.value:04d}"


def _resolve_holders(usernames: list[str]) -> list[User]:
    if not usernames:
        return []
    users = db.session.execute(select(User).where(User.username.in_(usernames))).scalars().all()
    found = {u.username: u for u in users}
    missing = [u for u in usernames if u not in found]
    bad = [u for u in usernames if u in found and found[u].role != Role.BIDDER]
    if missing or bad:
        msg = "优先权人须为已注册的竞买人：" + "、".join(missing + bad)
        raise Invalid(msg, fields={"priority_holders": msg})
    return [found[u] for u in usernames]


def _resolve_owner(actor: User, owner: str | None) -> User:
    if actor.role == Role.COLLECTIVE:
        return actor
    if actor.role != Role.STAFF:
        raise Forbidden("只有出让方或交易中心工作人员可以发布项目", code="forbidden")
    if not owner:
        raise Invalid("工作人员代为挂牌时须指定出让方用户名 owner", fields={"owner": "必填项"})
    user = db.session.execute(select(User).where(User.username == owner)).scalar_one_or_none()
    if user is None or user.role != Role.COLLECTIVE:
        raise Invalid("owner 必须是已注册的出让方用户", fields={"owner": "不是出让方用户"})
    return user


def _apply(project: Project, data: ProjectIn) -> None:
    values = data.model_dump()
    for name in EDITABLE:
        setattr(project, name, values[name])
    if project.extension_seconds is None:
        project.extension_seconds = current_app.config["TRADING_DEFAULT_EXTENSION_SECONDS"]
    project.town = data.town or town_of(project.location)
    project.priority_holders = _resolve_holders(data.priority_holders)


def create_project(actor: User, body: object) -> Project:
    """A new draft with a readable unique code (NC-/GG-YYYY-NNNN)."""
    data = parse_project(body)
    owner = _resolve_owner(actor, data.owner)
    project = Project(owner=owner, created_by_id=actor.id, status=ProjectStatus.DRAFT)
    _apply(project, data)
    project.code = next_code(code_prefix(data.kind), _year())
    db.session.add(project)
    db.session.flush()
    audit.record("project.create", f"project:{project.id}", {"code": project.code, "owner": owner.username},
                 actor.username)
    return project


def _year() -> int:
    return to_beijing(now()).year


def get_project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound("项目不存在", code="not_found")
    return project


def visible_project(project_id: int, viewer: User | None) -> Project:
    """The project when `viewer` may see it (visibility.can_see): 404 when there is none, 403 when it is not
    announced yet and `viewer` is neither its owner nor staff."""
    project = get_project(project_id)
    if not can_see(project, viewer):
        raise Forbidden("该项目尚未公告，仅出让方和交易中心可查看", code="forbidden")
    return project


def _owned(actor: User, project: Project, *, staff_ok: bool = False) -> None:
    if project.owner_id == actor.id:
        return
    if staff_ok and actor.role == Role.STAFF:
        return
    raise Forbidden("无权操作他人的项目", code="forbidden")


def update_draft(actor: User, project: Project, body: object) -> Project:
    """Only a draft can be edited, by its owner (or staff)."""
    _owned(actor, project, staff_ok=True)
    if project.status != ProjectStatus.DRAFT:
        raise Conflict("只有草稿状态的项目可以修改", code="invalid_state")
    data = parse_project(body)
    _apply(project, data)
    db.session.flush()
    audit.record("project.update", f"project:{project.id}", {}, actor.username)
    return project


def _recheck_windows(project: Project) -> None:
    try:
        check_windows(Windows(project.announce_start, project.registration_end, project.bidding_start,
                              project.bidding_end), now(), _min_announcement())
    except WindowError as exc:
        raise Invalid(str(exc), code="invalid_window") from None


def _move(project: Project, event: str) -> ProjectStatus:
    try:
        return next_status(effective_status(project), event)
    except InvalidTransition as exc:
        raise Conflict(str(exc), code="invalid_state") from None


def submit(actor: User, project: Project) -> Project:
    """draft → pending_review, by the owner; bidding must still start in the future."""
    _owned(actor, project)
    project.status = _move(project, "submit")
    _recheck_windows(project)
    project.submitted_at = now()
    project.reject_reason = None
    audit.record("project.submit", f"project:{project.id}", {}, actor.username)
    return project


def approve(actor: User, project: Project) -> Project:
    """pending_review → announced, by staff; the announcement runs at least the minimum period."""
    project.status = _move(project, "approve")
    _recheck_windows(project)
    project.approved_at = now()
    project.ends_at = project.bidding_end
    audit.record("project.approve", f"project:{project.id}", {}, actor.username)
    signals.project_announced.send(None, project=project, actor=actor.username)
    return project


def reject(actor: User, project: Project, reason: str) -> Project:
    project.status = _move(project, "reject")
    project.reject_reason = reason
    audit.record("project.reject", f"project:{project.id}", {"reason": reason}, actor.username)
    return project


def withdraw(actor: User, project: Project, reason: str) -> Project:
    """Owner or staff, before bidding starts."""
    _owned(actor, project, staff_ok=True)
    project.status = _move(project, "withdraw")
    project.withdraw_reason = reason
    audit.record("project.withdraw", f"project:{project.id}", {"reason": reason}, actor.username)
    signals.project_withdrawn.send(None, project=project, actor=actor.username, reason=reason)
    return project


def relist(actor: User, project: Project) -> Project:
    """A failed project is copied into a new draft linked to the original; the owner sets new windows."""
    _owned(actor, project, staff_ok=True)
    if effective_status(project) != ProjectStatus.FAILED:
        raise Conflict("只有流拍的项目可以重新挂牌", code="invalid_state")
    copy = Project(owner_id=project.owner_id, created_by_id=actor.id, status=ProjectStatus.DRAFT,
                   relisted_from_id=project.id)
    for name in EDITABLE:
        setattr(copy, name, getattr(project, name))
    copy.town = project.town
    copy.priority_holders = list(project.priority_holders)
    copy.code = next_code(code_prefix(project.kind), _year())
    db.session.add(copy)
    db.session.flush()
    audit.record("project.relist", f"project:{copy.id}", {"from": project.code}, actor.username)
    return copy


def price_meets_reserve(project: Project, price: Decimal | None) -> bool:
    if price is None:
        return False
    if project.reserve_price is None:
        return True
    if project.direction == "ascending":
        return price >= project.reserve_price
    return price <= project.reserve_price


def effective_status(project: Project, at: datetime | None = None) -> ProjectStatus:
    """The status the server clock implies (docs/api.md: every read reports it)."""
    return implied_status(project.status, at or now(), bidding_start=project.bidding_start,
                          ends_at=project.ends_at or project.bidding_end, method=project.method,
                          bid_count=project.bid_count,
                          price_meets_reserve=price_meets_reserve(project, project.current_price))


def list_projects(*, status: str | None = None, kind: str | None = None, q: str | None = None,
                  town: str | None = None, owner: User | None = None, public: bool = True,
                  page: int = 1, per_page: int = 20) -> tuple[list[Project], int]:
    """Search and filter. Public listings never show drafts, reviews or withdrawn-before-approval."""
    stmt = select(Project)
    if owner is not None:
        stmt = stmt.where(Project.owner_id == owner.id)
    elif public:
        stmt = stmt.where(published())
    if kind:
        stmt = stmt.where(Project.kind == kind)
    if town:
        stmt = stmt.where(Project.town == town)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Project.title.like(like), Project.location.like(like), Project.code.like(like)))
    if status:
        stmt = _status_filter(stmt, status)
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.session.execute(stmt.order_by(Project.bidding_start.desc(), Project.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return list(rows), total


def _status_filter(stmt, status: str):
    """Filter by the clock-implied status: announced past bidding_start counts as bidding."""
    t = now()
    S = ProjectStatus
    if status == S.ANNOUNCED:
        return stmt.where(Project.status == S.ANNOUNCED, Project.bidding_start > t)
    if status == S.BIDDING:
        return stmt.where(or_(Project.status == S.BIDDING,
                              (Project.status == S.ANNOUNCED) & (Project.bidding_start <= t)))
    return stmt.where(Project.status == status)
