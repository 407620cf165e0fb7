"""Registration (报名) and qualification (资格审核) use cases: flush, audit, raise; callers commit."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from auctions import signals
from auctions.models import Registration, RegistrationStatus, SecurityType
from trading import audit
from trading.accounts.credit_list import ensure_not_barred
from trading.accounts.guard import reads_as_staff
from trading.accounts.models import Role, User
from trading.clock import now
from trading.db import lock
from trading.errors import Conflict, Forbidden, Invalid, NotFound
from trading.extensions import db
from trading.projects.models import Project
from trading.projects.services import effective_status
from trading.projects.states import CLOSED, ProjectStatus

RS = RegistrationStatus


def get_registration(registration_id: int) -> Registration:
    reg = db.session.get(Registration, registration_id)
    if reg is None:
        raise NotFound("报名记录不存在", code="not_found")
    return reg


def registration_of(project_id: int, user_id: int) -> Registration | None:
    return db.session.execute(select(Registration).where(
        Registration.project_id == project_id, Registration.bidder_id == user_id)).scalar_one_or_none()


def registration_open(project: Project) -> bool:
    t = now()
    return (effective_status(project, t) == ProjectStatus.ANNOUNCED
            and project.announce_start <= t < project.registration_end)


def _new_bidder_no(project_id: int) -> str:
    """A random 6-digit number unique in the project: it reveals nothing of the order of registration."""
    taken = set(db.session.execute(select(Registration.bidder_no).where(
        Registration.project_id == project_id)).scalars())
    while True:
        no = f"{secrets.randbelow(900000) + 100000}"
        if no not in taken:
            return no


def _parse_security(security: object) -> tuple[str, str | None]:
    if not isinstance(security, dict) or security.get("type") not in (SecurityType.GUARANTEE, SecurityType.DEPOSIT):
        msg = "security.type 必须是 guarantee（电子保函）或 deposit（现金保证金）"
        raise Invalid(msg, fields={"security": msg})
    if security["type"] == SecurityType.DEPOSIT:
        return SecurityType.DEPOSIT, None
    no = security.get("guarantee_no")
    if not isinstance(no, str) or not no.strip() or len(no) > 64:
        msg = "使用电子保函时必须填写保函编号 guarantee_no"
        raise Invalid(msg, fields={"security.guarantee_no": msg})
    return SecurityType.GUARANTEE, no.strip()


def register(actor: User, project_id: int, security: object, *, ip: str | None = None,
             user_agent: str | None = None) -> Registration:
    """报名 while announced and before registration_end; window, then duplicate, then the security."""
    if actor.role != Role.BIDDER:
        raise Forbidden("只有竞买人可以报名", code="forbidden")
    ensure_not_barred(actor)  # the credit list (失信惩戒): 409 credit_barred, nothing written
    project = lock(Project, project_id)
    if project is None:
        raise NotFound("项目不存在", code="not_found")
    if not registration_open(project):
        raise Conflict("不在报名期内，无法报名", code="registration_closed")
    reg = registration_of(project.id, actor.id)
    if reg is not None and reg.status != RS.WITHDRAWN:
        raise Conflict("您已报名该项目，不能重复报名", code="already_registered")
    kind, guarantee_no = _parse_security(security)
    if reg is None:
        reg = Registration(project_id=project.id, bidder_id=actor.id, bidder_no=_new_bidder_no(project.id))
        db.session.add(reg)
    reg.status, reg.security_type, reg.reason, reg.decided_at = RS.PENDING, kind, None, None
    reg.created_at = now()
    reg.ip, reg.user_agent = (ip or None), (user_agent or "")[:300] or None
    db.session.flush()
    signals.registration_created.send(None, registration=reg, guarantee_no=guarantee_no, actor=actor.username)
    audit.record("registration.create", f"registration:{reg.id}",
                 {"project": project.code, "bidder_no": reg.bidder_no, "security": kind,
                  "guarantee_no": guarantee_no}, actor.username)
    db.session.flush()
    return reg


def _project_open_for_review(reg: Registration) -> None:
    if reg.project is None:
        raise Conflict("招标标段的报名实行资格后审，由评标委员会审查，无需在此审核或撤回", code="invalid_state")
    if effective_status(reg.project) in CLOSED or reg.project.status == ProjectStatus.WITHDRAWN:
        raise Conflict("项目竞价已结束或已撤回，不能再审核报名", code="invalid_state")


def _require_status(reg: Registration, *allowed: str) -> None:
    if reg.status not in allowed:
        raise Conflict("报名当前状态不允许该操作", code="invalid_state")


def approve(actor: User, reg: Registration) -> Registration:
    """pending → qualified, only once a guarantee is attached or the deposit is received."""
    _require_status(reg, RS.PENDING)
    _project_open_for_review(reg)
    if not signals.security_ready(reg):
        if reg.security_type == SecurityType.DEPOSIT:
            raise Conflict("保证金尚未确认到账，不能通过资格审核", code="deposit_not_received")
        raise Conflict("保函尚未生效，不能通过资格审核", code="security_not_ready")
    reg.status, reg.decided_at, reg.reason = RS.QUALIFIED, now(), None
    audit.record("registration.approve", f"registration:{reg.id}", {"bidder_no": reg.bidder_no}, actor.username)
    signals.registration_qualified.send(None, registration=reg, actor=actor.username)
    db.session.flush()
    return reg


def reject(actor: User, reg: Registration, reason: str) -> Registration:
    """pending → rejected with a reason; the security is released."""
    _require_status(reg, RS.PENDING)
    _project_open_for_review(reg)
    reg.status, reg.decided_at, reg.reason = RS.REJECTED, now(), reason
    signals.registration_rejected.send(None, registration=reg, actor=actor.username, reason=reason)
    audit.record("registration.reject", f"registration:{reg.id}", {"reason": reason}, actor.username)
    db.session.flush()
    return reg


def disqualify(reg: Registration, reason: str, actor: str) -> bool:
    """Its security turned out void (a guarantee confirmed forged): a pending or qualified registration is
    rejected with the reason while the project's bidding has not closed, so it can no longer be qualified or
    bid. False when nothing changes (already rejected or withdrawn, or the bidding is over: the result is
    history then, and staff act on the award through the existing annul/default paths)."""
    if reg.status not in (RS.PENDING, RS.QUALIFIED):
        return False
    if effective_status(reg.project) in CLOSED or reg.project.status == ProjectStatus.WITHDRAWN:
        return False
    was = reg.status
    reg.status, reg.decided_at, reg.reason = RS.REJECTED, now(), reason
    signals.registration_rejected.send(None, registration=reg, actor=actor, reason=reason)
    audit.record("registration.disqualify", f"registration:{reg.id}", {"was": str(was), "reason": reason}, actor)
    db.session.flush()
    return True


def confirm_deposit(actor: User, reg: Registration) -> Registration:
    """Staff record that the cash deposit arrived (the guarantees package keeps the deposit)."""
    if reg.security_type != SecurityType.DEPOSIT:
        raise Conflict("该报名使用电子保函，无需确认保证金", code="invalid_state")
    _require_status(reg, RS.PENDING, RS.QUALIFIED)
    signals.deposit_confirmed.send(None, registration=reg, actor=actor.username)
    audit.record("registration.confirm_deposit", f"registration:{reg.id}", {}, actor.username)
    db.session.flush()
    return reg


def withdrawal_open(reg: Registration) -> bool:
    """The withdrawal window: before registration_end, while the project is announced — never once bidding has
    begun (even when registration_end lies later: a leader could walk away) nor after the listing is withdrawn."""
    if reg.project is None:  # a tender lot's registration
        return False
    return now() < reg.project.registration_end and effective_status(reg.project) == ProjectStatus.ANNOUNCED


def can_withdraw(reg: Registration) -> bool:
    """What 我的报名 offers: exactly what `withdraw` accepts from the registration's bidder."""
    return reg.status in (RS.PENDING, RS.QUALIFIED) and withdrawal_open(reg)


def withdraw(actor: User, reg: Registration) -> Registration:
    """The bidder withdraws before registration_end; the security is released."""
    if reg.bidder_id != actor.id:
        raise Forbidden("只能撤回本人的报名", code="forbidden")
    _require_status(reg, RS.PENDING, RS.QUALIFIED)
    if reg.project is None:  # a tender lot's registration (资格后审): tenders decides
        raise Conflict("招标标段的报名实行资格后审，由评标委员会审查，无需在此审核或撤回", code="invalid_state")
    if not withdrawal_open(reg):
        raise Conflict("报名已截止或竞价已开始，不能撤回报名", code="registration_closed")
    reg.status, reg.decided_at = RS.WITHDRAWN, now()
    signals.registration_withdrawn.send(None, registration=reg, actor=actor.username, reason="竞买人撤回报名")
    audit.record("registration.withdraw", f"registration:{reg.id}", {}, actor.username)
    db.session.flush()
    return reg


def can_list(actor: User, project: Project) -> bool:
    """Staff always; the listing party only after the close."""
    if reads_as_staff(actor):
        return True
    return actor.id == project.owner_id and effective_status(project) in CLOSED


def list_for_project(project: Project, status: str | None = None) -> list[Registration]:
    stmt = select(Registration).where(Registration.project_id == project.id)
    if status:
        stmt = stmt.where(Registration.status == status)
    return list(db.session.execute(stmt.order_by(Registration.created_at, Registration.id)).scalars())


def list_for_bidder(user: User) -> list[Registration]:
    return list(db.session.execute(select(Registration).where(Registration.bidder_id == user.id,
                                                              Registration.project_id.is_not(None))
                                   .order_by(Registration.created_at.desc())).scalars())
