"""Read-side queries shared by the API and the pages: what each role may list."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from guarantees.models import Claim, Deposit, Guarantee, Guarantor
from guarantees.states import ClaimStatus, DepositStatus, GuaranteeStatus
from trading.accounts.guard import reads_as_staff
from trading.accounts.models import Role, User
from trading.errors import Forbidden, Invalid
from trading.extensions import db


def _page(stmt, page: int, per_page: int):
    total = db.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return rows, total


def _guarantor_of(user: User) -> Guarantor | None:
    if user.org_id is None:
        return None
    return db.session.execute(select(Guarantor).where(Guarantor.org_id == user.org_id)).scalar_one_or_none()


def visible_guarantees(user: User):
    """Staff see all; a guarantor's users their institution's; a bidder its own."""
    stmt = select(Guarantee)
    if reads_as_staff(user):
        return stmt
    if user.role == Role.GUARANTOR:
        guarantor = _guarantor_of(user)
        return stmt.where(Guarantee.guarantor_id == (guarantor.id if guarantor else -1))
    if user.role == Role.BIDDER:
        return stmt.where(Guarantee.applicant == user.username)
    raise Forbidden("当前角色无权查看保函", code="forbidden")


def list_guarantees(user: User, *, status: str | None = None, q: str | None = None, issuer: str | None = None,
                    page: int = 1, per_page: int = 20):
    if status and status not in {s.value for s in GuaranteeStatus}:
        raise Invalid("status 取值无效", fields={"status": "取值无效"})
    stmt = visible_guarantees(user)
    if status:
        stmt = stmt.where(Guarantee.status == status)
    if issuer:
        stmt = stmt.join(Guarantor, Guarantor.id == Guarantee.guarantor_id).where(Guarantor.code == issuer)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Guarantee.guarantee_no.ilike(like), Guarantee.applicant.ilike(like),
                              Guarantee.project_code.ilike(like)))
    return _page(stmt.order_by(Guarantee.received_at.desc(), Guarantee.id.desc()), page, per_page)


def list_claims(user: User, *, status: str | None = None, page: int = 1, per_page: int = 20):
    if status and status not in {s.value for s in ClaimStatus}:
        raise Invalid("status 取值无效", fields={"status": "取值无效"})
    stmt = select(Claim).join(Guarantee, Guarantee.id == Claim.guarantee_id)
    if user.role == Role.GUARANTOR:
        guarantor = _guarantor_of(user)
        stmt = stmt.where(Guarantee.guarantor_id == (guarantor.id if guarantor else -1))
    elif not reads_as_staff(user):
        raise Forbidden("当前角色无权查看索赔", code="forbidden")
    if status:
        stmt = stmt.where(Claim.status == status)
    return _page(stmt.order_by(Claim.filed_at.desc(), Claim.id.desc()), page, per_page)


def list_deposits(*, status: str | None = None, due: bool = False, page: int = 1, per_page: int = 20):
    """The cash ledger; `due` lists received deposits the center owes back (the refund list)."""
    if status and status not in {s.value for s in DepositStatus}:
        raise Invalid("status 取值无效", fields={"status": "取值无效"})
    stmt = select(Deposit)
    if due:
        stmt = stmt.where(Deposit.status == DepositStatus.RECEIVED, Deposit.refund_due_at.is_not(None))
    elif status:
        stmt = stmt.where(Deposit.status == status)
    return _page(stmt.order_by(Deposit.refund_due_at.desc() if due else Deposit.opened_at.desc(),
                               Deposit.id.desc()), page, per_page)


def deposit_totals() -> dict:
    rows = db.session.execute(select(Deposit.status, func.count(Deposit.id), func.sum(Deposit.amount))
                              .group_by(Deposit.status)).all()
    out = {s.value: {"count": 0, "amount": None} for s in DepositStatus}
    for status, n, amount in rows:
        out[status] = {"count": n, "amount": amount}
    return out
