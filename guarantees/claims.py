"""Claims on guarantees: staff file them when a holder defaults; the issuer's users pay or dispute them."""

from __future__ import annotations

from guarantees import signals
from guarantees.models import Claim, Guarantee
from guarantees.states import claim_next, guarantee_next
from trading import audit
from trading.accounts.models import Role, User
from trading.clock import now
from trading.db import lock
from trading.errors import Conflict, Forbidden, Invalid, NotFound
from trading.extensions import db


def file_claim(g: Guarantee, reason: str, actor: str) -> Claim:
    """Staff claim on a defaulting holder's attached guarantee: attached → claimed, claim filed."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写索赔理由", fields={"reason": "必填"})
    g = lock(Guarantee, g.id)
    if g.valid_until <= now():
        raise Conflict("保函已过有效期，担保机构不再承担责任，不能索赔", code="invalid_state")
    g.status = guarantee_next(g.status, "claim")
    claim = Claim(guarantee_id=g.id, amount=g.amount, reason=reason, filed_by=actor, filed_at=now())
    db.session.add(claim)
    db.session.flush()
    audit.record("claim.file", f"claim:{claim.id}",
                 {"guarantee": g.guarantee_no, "amount": claim.amount, "reason": reason}, actor)
    signals.claim_filed.send(None, claim=claim, guarantee=g, actor=actor)
    return claim


def _guarantor_user_of(claim: Claim, user: User) -> None:
    if user.role != Role.GUARANTOR or user.org_id is None or user.org_id != claim.guarantee.guarantor.org_id:
        raise Forbidden("只有出具该保函的担保机构用户可以处理此索赔", code="forbidden")


def get_claim(claim_id: int) -> Claim:
    claim = db.session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("索赔不存在", code="not_found")
    return claim


def pay_claim(claim_id: int, user: User) -> Claim:
    """The issuer's user pays a filed claim: claim → paid, guarantee → paid."""
    claim = get_claim(claim_id)
    _guarantor_user_of(claim, user)
    claim = lock(Claim, claim.id)
    g = lock(Guarantee, claim.guarantee_id)
    claim.status = claim_next(claim.status, "pay")
    g.status = guarantee_next(g.status, "pay")
    claim.decided_by, claim.decided_at = user.username, now()
    g.closed_at = claim.decided_at
    db.session.flush()
    audit.record("claim.pay", f"claim:{claim.id}",
                 {"guarantee": g.guarantee_no, "amount": claim.amount, "guarantee_status": g.status},
                 user.username)
    return claim


def reject_claim(claim_id: int, user: User, reason: str) -> Claim:
    """The issuer disputes a filed claim (拒付/异议) with a reason; the guarantee stays claimed."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写拒付理由", fields={"reason": "必填"})
    claim = get_claim(claim_id)
    _guarantor_user_of(claim, user)
    claim = lock(Claim, claim.id)
    claim.status = claim_next(claim.status, "reject")
    claim.decided_by, claim.decided_at, claim.decision_note = user.username, now(), reason
    db.session.flush()
    audit.record("claim.reject", f"claim:{claim.id}", {"guarantee": claim.guarantee.guarantee_no, "reason": reason},
                 user.username)
    return claim
