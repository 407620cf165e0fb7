"""Guarantee and deposit use cases that registration, the close and the deal call.

They flush and audit inside the caller's transaction and raise typed errors; callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from auctions.models import Registration, RegistrationStatus, SecurityType
from auctions.registrations import disqualify
from guarantees import signals
from guarantees.claims import file_claim
from guarantees.models import Deposit, Guarantee
from guarantees.rules import SecurityCheck, covered_from, effective_status, security_error
from guarantees.states import GUARANTEE_LABELS, DepositStatus, GuaranteeStatus, deposit_next, guarantee_next
from trading import audit
from trading.accounts.guard import reads_as_staff
from trading.accounts.models import Role, User
from trading.clock import now
from trading.db import lock
from trading.errors import Conflict, Forbidden, Invalid, NotFound
from trading.extensions import db
from trading.money import RATE, rate
from trading.projects.models import Project

GS, DS = GuaranteeStatus, DepositStatus


def find_guarantee(guarantee_no: str) -> Guarantee | None:
    no = (guarantee_no or "").strip()
    return db.session.execute(select(Guarantee).where(Guarantee.guarantee_no == no)).scalar_one_or_none()


def get_guarantee(guarantee_no: str) -> Guarantee:
    g = find_guarantee(guarantee_no)
    if g is None:
        raise NotFound(f"保函 {guarantee_no} 不存在", code="not_found")
    return g


def status_of(g: Guarantee) -> str:
    """The guarantee's status as the server clock implies it (reads never wait for the expiry job)."""
    return effective_status(g.status, g.valid_until, now())


def can_view(g: Guarantee, user: User | None) -> bool:
    """Its applicant, its issuer's guarantor users, and the center's staff."""
    if user is None:
        return False
    if reads_as_staff(user):
        return True
    if user.role == Role.GUARANTOR:
        return user.org_id is not None and user.org_id == g.guarantor.org_id
    return user.role == Role.BIDDER and user.username == g.applicant


@dataclass(frozen=True)
class SecurityTerms:
    """What a registration's security must satisfy when its subject is not a project (a tender lot): the code the
    guarantee names, the least amount, and the window it must cover (valid from ≤ cover_from, until ≥ cover_until)."""

    code: str
    amount: Decimal
    cover_from: datetime
    cover_until: datetime


def _project_and_bidder(registration: Registration) -> tuple[Project, User]:
    project = registration.project or db.session.get(Project, registration.project_id)
    bidder = registration.bidder or db.session.get(User, registration.bidder_id)
    if project is None or bidder is None:
        raise NotFound("报名记录缺少项目或竞买人", code="not_found")
    return project, bidder


def check_guarantee(guarantee_no: str, *, bidder: str, project: Project | None, registration_id: int | None = None,
                    for_update: bool = False, terms: SecurityTerms | None = None) -> Guarantee:
    """The registration checks of docs/api.md, in order; raises Invalid with the guarantee error code."""
    g = find_guarantee(guarantee_no)
    if g is None:
        raise Invalid(f"未找到编号为“{(guarantee_no or '').strip()}”的电子保函，请确认担保机构已出具并推送至本平台",
                      code="guarantee_not_found")
    if for_update:
        g = lock(Guarantee, g.id)
    facts = SecurityCheck(g.applicant, g.project_code, g.amount, covered_from(g.valid_from, g.issued_at), g.valid_until,
                          status_of(g), g.registration_id)
    if terms is None:
        assert project is not None
        terms = SecurityTerms(project.code, project.deposit, project.bidding_start, project.bidding_end)
    err = security_error(facts, bidder=bidder, project_code=terms.code, deposit=terms.amount,
                         bidding_start=terms.cover_from, bidding_end=terms.cover_until,
                         registration_id=registration_id)
    if err:
        raise Invalid(err[1], code=err[0])
    if g.repudiated_at is not None:
        raise Invalid("出具机构已否认出具该保函，不能用于报名", code="guarantee_in_use")
    return g


def verify_and_attach(*, guarantee_no: str, registration: Registration, actor: str,
                      terms: SecurityTerms | None = None) -> Guarantee:
    """Check the guarantee against the registration (docs/api.md order) and attach it under a row lock.
    `terms` replace the project's for a registration without one (a tender lot)."""
    if registration.id is None:
        db.session.add(registration)
        db.session.flush()
    project: Project | None = None
    if terms is None:
        project, bidder = _project_and_bidder(registration)
        code = project.code
    else:
        found = registration.bidder or db.session.get(User, registration.bidder_id)
        if found is None:
            raise NotFound("报名记录缺少竞买人", code="not_found")
        bidder, code = found, terms.code
    g = check_guarantee(guarantee_no, bidder=bidder.username, project=project,
                        registration_id=registration.id, for_update=True, terms=terms)
    if g.status == GS.ATTACHED:  # already attached to this registration
        return g
    again = g.status == GS.RELEASED
    g.status = guarantee_next(g.status, "attach")
    g.registration_id = registration.id
    g.attached_at = now()
    g.closed_at = g.close_reason = None
    db.session.flush()
    audit.record("guarantee.attach", f"guarantee:{g.guarantee_no}",
                 {"registration": registration.id, "project": code, "amount": g.amount, "again": again},
                 actor)
    return g


def guarantee_of(registration: Registration) -> Guarantee | None:
    """The guarantee attached to (or last held by) this registration."""
    return db.session.execute(select(Guarantee).where(Guarantee.registration_id == registration.id)
                              .order_by(Guarantee.attached_at.desc(), Guarantee.id.desc())).scalars().first()


def deposit_of(registration: Registration) -> Deposit | None:
    """The registration's latest cash deposit."""
    return db.session.execute(select(Deposit).where(Deposit.registration_id == registration.id)
                              .order_by(Deposit.id.desc())).scalars().first()


def _locked_deposit(registration: Registration) -> Deposit | None:
    dep = deposit_of(registration)
    return lock(Deposit, dep.id) if dep is not None else None


def _locked_guarantee(registration: Registration) -> Guarantee | None:
    g = guarantee_of(registration)
    return lock(Guarantee, g.id) if g is not None else None


def open_deposit(registration: Registration, actor: str, terms: SecurityTerms | None = None) -> Deposit:
    """A cash deposit of the project's `deposit`, awaiting receipt (idempotent per registration).

    A bidder who withdrew and registers again keeps a deposit the center still holds: its refund is called off.
    """
    if registration.id is None:
        db.session.add(registration)
        db.session.flush()
    existing = _locked_deposit(registration)
    if existing is not None and existing.status in (DS.AWAITING, DS.RECEIVED):
        if existing.refund_due_at is not None:
            existing.refund_due_at = existing.refund_reason = None
            db.session.flush()
            audit.record("deposit.refund_cancelled", f"deposit:{existing.id}",
                         {"registration": registration.id, "reason": "竞买人重新报名"}, actor)
        return existing
    if terms is None:
        project, _ = _project_and_bidder(registration)
        terms = SecurityTerms(project.code, project.deposit, project.bidding_start, project.bidding_end)
    dep = Deposit(registration_id=registration.id, amount=terms.amount, status=DS.AWAITING, opened_at=now())
    db.session.add(dep)
    db.session.flush()
    audit.record("deposit.open", f"deposit:{dep.id}",
                 {"registration": registration.id, "project": terms.code, "amount": dep.amount}, actor)
    return dep


def confirm_deposit(registration: Registration, actor: str) -> Deposit:
    """Staff confirm the cash arrived: awaiting → received."""
    dep = _locked_deposit(registration)
    if dep is None or dep.status != DS.AWAITING:
        raise Conflict("该报名没有待确认到账的保证金", code="deposit_not_awaiting")
    dep.status = deposit_next(dep.status, "receive")
    dep.received_at, dep.received_by = now(), actor
    if registration.status in (RegistrationStatus.WITHDRAWN, RegistrationStatus.REJECTED):
        # the bidder already left: the money is owed back at once
        dep.refund_due_at, dep.refund_reason = now(), "报名已撤回或未通过审核"
    db.session.flush()
    audit.record("deposit.receive", f"deposit:{dep.id}", {"registration": registration.id, "amount": dep.amount},
                 actor)
    if dep.refund_due_at is not None:
        signals.refund_due.send(None, deposit=dep, reason=dep.refund_reason, actor=actor)
    return dep


def security_ready(registration: Registration) -> bool:
    """True when an attached guarantee or a received (not refundable) deposit secures the registration."""
    if registration.security_type == SecurityType.GUARANTEE:
        g = guarantee_of(registration)
        return g is not None and status_of(g) == GS.ATTACHED and g.repudiated_at is None
    dep = deposit_of(registration)
    return dep is not None and dep.status == DS.RECEIVED and dep.refund_due_at is None


def _release(g: Guarantee, reason: str, actor: str) -> None:
    if g.repudiated_at is not None:
        # its issuer denies it: it stays attached to the registration it was used for until staff confirm the
        # forgery, so withdrawing (or losing) does not take it out of reach of confirm_forged
        return
    g.status = guarantee_next(g.status, "release")
    g.closed_at, g.close_reason = now(), reason
    db.session.flush()
    audit.record("guarantee.release", f"guarantee:{g.guarantee_no}",
                 {"registration": g.registration_id, "reason": reason}, actor)


def _refund_due(dep: Deposit, reason: str, actor: str) -> None:
    dep.refund_due_at, dep.refund_reason = now(), reason
    db.session.flush()
    audit.record("deposit.refund_due", f"deposit:{dep.id}",
                 {"registration": dep.registration_id, "amount": dep.amount, "reason": reason}, actor)
    signals.refund_due.send(None, deposit=dep, reason=reason, actor=actor)


def release_security(registration: Registration, actor: str, reason: str) -> None:
    """A withdrawn or rejected registration: its guarantee is released, a received deposit falls due."""
    g = _locked_guarantee(registration)
    if g is not None and g.status == GS.ATTACHED:
        _release(g, reason, actor)
    dep = _locked_deposit(registration)
    if dep is not None and dep.status == DS.RECEIVED and dep.refund_due_at is None:
        _refund_due(dep, reason, actor)


def on_project_closed(project: Project, winner: Registration | None, actor: str) -> None:
    """At the close every attached guarantee but the winner's is released; losers' deposits fall due.

    Idempotent: a second call finds nothing left to move.
    """
    winner_id = winner.id if winner is not None else None
    reg_ids = select(Registration.id).where(Registration.project_id == project.id)
    if winner_id is not None:
        reg_ids = reg_ids.where(Registration.id != winner_id)
    gids = db.session.execute(select(Guarantee.id).where(Guarantee.registration_id.in_(reg_ids),
                                                         Guarantee.status == GS.ATTACHED)
                              .order_by(Guarantee.id)).scalars().all()
    reason = f"项目 {project.code} 竞价结束，未成交的报名释放保函"
    for gid in gids:
        g = lock(Guarantee, gid)
        if g is not None and g.status == GS.ATTACHED:
            _release(g, reason, actor)
    dids = db.session.execute(select(Deposit.id).where(Deposit.registration_id.in_(reg_ids),
                                                       Deposit.status == DS.RECEIVED,
                                                       Deposit.refund_due_at.is_(None))
                              .order_by(Deposit.id)).scalars().all()
    for did in dids:
        dep = lock(Deposit, did)
        if dep is not None and dep.status == DS.RECEIVED and dep.refund_due_at is None:
            _refund_due(dep, f"项目 {project.code} 竞价结束，未成交竞买人的保证金退还", actor)


def hold_for_award(registration: Registration, actor: str) -> bool:
    """递补: the bidder promoted to winner has its security held again until signing.

    A guarantee released at the close is re-attached while still valid; a deposit that fell due but has
    not been paid back stays. False when nothing can be held (refunded, expired): the promoted bidder must
    then post security again before signing, which staff see in the outcome.
    """
    held = False
    g = _locked_guarantee(registration)
    if g is not None and g.status == GS.ATTACHED:
        held = True
    elif g is not None and g.status == GS.RELEASED and g.valid_until > now():
        g.status = guarantee_next(g.status, "attach")
        g.closed_at = g.close_reason = None
        db.session.flush()
        audit.record("guarantee.hold", f"guarantee:{g.guarantee_no}",
                     {"registration": registration.id, "reason": "递补成交，保函继续有效至签约"}, actor)
        held = True
    dep = _locked_deposit(registration)
    if dep is not None and dep.status == DS.RECEIVED:
        if dep.refund_due_at is not None:
            dep.refund_due_at = dep.refund_reason = None
            db.session.flush()
            audit.record("deposit.hold", f"deposit:{dep.id}",
                         {"registration": registration.id, "reason": "递补成交，保证金暂不退还"}, actor)
        held = True
    return held


def on_winner_default(registration: Registration, reason: str, actor: str) -> None:
    """The winner refused to sign: claim on its guarantee, or forfeit its cash deposit."""
    g = _locked_guarantee(registration)
    if g is not None and g.status == GS.ATTACHED:
        file_claim(g, reason, actor)
    dep = _locked_deposit(registration)
    if dep is not None and dep.status == DS.RECEIVED:
        dep.status = deposit_next(dep.status, "forfeit")
        dep.settled_at, dep.settled_by = now(), actor
        db.session.flush()
        audit.record("deposit.forfeit", f"deposit:{dep.id}",
                     {"registration": registration.id, "amount": dep.amount, "reason": reason}, actor)


def on_deal_completed(registration: Registration, actor: str) -> None:
    """The winner signed: its guarantee is released, its cash deposit is applied to the price."""
    g = _locked_guarantee(registration)
    if g is not None and g.status == GS.ATTACHED:
        _release(g, "成交签约完成，保函责任解除", actor)
    dep = _locked_deposit(registration)
    if dep is not None and dep.status == DS.RECEIVED:
        dep.status = deposit_next(dep.status, "apply")
        dep.settled_at, dep.settled_by = now(), actor
        db.session.flush()
        audit.record("deposit.apply", f"deposit:{dep.id}", {"registration": registration.id, "amount": dep.amount},
                     actor)


def mark_refunded(deposit_id: int, actor: str) -> Deposit:
    """Finance paid a due deposit back: received (due) → refunded."""
    dep = lock(Deposit, deposit_id)
    if dep is None:
        raise NotFound("保证金记录不存在", code="not_found")
    if dep.status != DS.RECEIVED or dep.refund_due_at is None:
        raise Conflict("该保证金不在待退还状态", code="invalid_state")
    dep.status = deposit_next(dep.status, "refund")
    dep.settled_at, dep.settled_by = now(), actor
    db.session.flush()
    audit.record("deposit.refund", f"deposit:{dep.id}", {"registration": dep.registration_id, "amount": dep.amount},
                 actor)
    return dep


def expire(g: Guarantee, actor: str = "scheduler") -> bool:
    """issued | attached → expired once valid_until has passed; False when nothing is due."""
    if g.status not in (GS.ISSUED, GS.ATTACHED) or g.valid_until > now():
        return False
    g.status = guarantee_next(g.status, "expire")
    g.closed_at, g.close_reason = now(), "有效期届满"
    db.session.flush()
    audit.record("guarantee.expire", f"guarantee:{g.guarantee_no}", {"valid_until": g.valid_until.isoformat()},
                 actor)
    return True


def _reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(message, fields={"reason": "必填"})
    if len(reason) > 2000:
        raise Invalid("理由不能超过2000个字符", fields={"reason": "不能超过2000个字符"})
    return reason


FORGEABLE = (GS.ISSUED, GS.ATTACHED)


def repudiate(guarantee_no: str, reason: str, user: User) -> Guarantee:
    """否认保函: a guarantor user of the issuing institution states it never issued this guarantee.

    Only an issued or attached guarantee, once. From then on it secures nothing (it cannot be attached, and a
    registration it secures cannot be qualified) until staff confirm the forgery (`confirm_forged`)."""
    reason = _reason(reason, "请填写否认理由（例如：本机构从未出具该编号的保函）")
    g = get_guarantee(guarantee_no)
    if user.role != Role.GUARANTOR or user.org_id is None or user.org_id != g.guarantor.org_id:
        raise Forbidden("只有出具该保函的担保机构用户可以否认该保函", code="forbidden")
    g = lock(Guarantee, g.id)
    assert g is not None
    status = status_of(g)
    if status not in FORGEABLE:
        label = GUARANTEE_LABELS.get(status, status)  # type: ignore[call-overload]
        raise Conflict(f"保函当前状态为“{label}”，不能否认", code="invalid_state")
    if g.repudiated_at is not None:
        raise Conflict("该保函已被否认，等待交易中心确认", code="invalid_state")
    g.repudiated_at, g.repudiated_by, g.repudiation_reason = now(), user.username, reason
    db.session.flush()
    audit.record("guarantee.repudiate", f"guarantee:{g.guarantee_no}",
                 {"status": status, "registration": g.registration_id, "reason": reason}, user.username)
    return g


def confirm_forged(guarantee_no: str, reason: str, actor: str) -> Guarantee:
    """伪造保函: after the issuer's repudiation, staff confirm the forgery.

    issued | attached → forged (terminal). The registration it secured loses its security: a pending or
    qualified one is rejected with the reason while bidding is open (auctions.registrations.disqualify).
    Audited; `guarantee_forged` lets oversight open a draft credit entry against the applicant's organisation.
    """
    reason = _reason(reason, "请填写确认伪造的理由")
    g = lock(Guarantee, get_guarantee(guarantee_no).id)
    assert g is not None
    was = status_of(g)
    forged = guarantee_next(was, "forge")
    if g.repudiated_at is None:
        raise Conflict("出具机构尚未否认该保函，不能确认伪造", code="invalid_state")
    g.status = forged
    g.closed_at, g.close_reason = now(), f"经出具机构否认（{g.repudiation_reason}）、交易中心确认系伪造保函：{reason}"
    db.session.flush()
    registration = db.session.get(Registration, g.registration_id) if g.registration_id is not None else None
    audit.record("guarantee.forged", f"guarantee:{g.guarantee_no}",
                 {"was": was, "registration": g.registration_id, "applicant": g.applicant,
                  "project": g.project_code, "reason": reason}, actor)
    if registration is not None and was == GS.ATTACHED:
        disqualify(registration, f"所提交的电子保函 {g.guarantee_no} 经出具机构否认、交易中心确认系伪造：{reason}",
                   actor)
    signals.guarantee_forged.send(None, guarantee=g, registration=registration, reason=reason, actor=actor)
    return g


def bidding_over():
    """The condition on Project: its bidding has closed (or it was withdrawn), so counts of its registrations may
    be published (nothing about registrants is public before the close)."""
    return (Project.closed_at.is_not(None)) | (Project.status == "withdrawn")


def guarantee_figures(start: datetime, end: datetime, *, published_only: bool = False) -> dict:
    """Guarantees attached in [start, end): count, amount (= capital freed), and their share of registrations.
    published_only (the public statistics): only registrations of projects whose bidding is over."""
    g_stmt = (select(func.count(Guarantee.id), func.coalesce(func.sum(Guarantee.amount), 0))
              .where(Guarantee.attached_at >= start, Guarantee.attached_at < end))
    r_stmt = (select(func.count(Registration.id),
                     func.count(Registration.id).filter(Registration.security_type == SecurityType.GUARANTEE))
              .where(Registration.created_at >= start, Registration.created_at < end))
    if published_only:
        g_stmt = (g_stmt.join(Registration, Registration.id == Guarantee.registration_id)
                  .join(Project, Project.id == Registration.project_id).where(bidding_over()))
        r_stmt = r_stmt.join(Project, Project.id == Registration.project_id).where(bidding_over())
    count, amount = db.session.execute(g_stmt).one()
    amount = Decimal(amount or 0)
    regs, secured = db.session.execute(r_stmt).one()
    return {
        "count": int(count),
        "amount": amount.quantize(Decimal("0.01")),
        "registrations": int(regs),
        "guaranteed_registrations": int(secured),
        "guarantee_share": rate(Decimal(secured), Decimal(regs)) or Decimal(0).quantize(RATE),
        "capital_freed": amount.quantize(Decimal("0.01")),
    }
