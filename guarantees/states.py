"""Guarantee, claim and cash-deposit state machines: tables of allowed moves."""

from __future__ import annotations

from enum import StrEnum

from trading.errors import Conflict


class GuaranteeStatus(StrEnum):
    ISSUED = "issued"
    ATTACHED = "attached"
    RELEASED = "released"
    CLAIMED = "claimed"
    PAID = "paid"
    EXPIRED = "expired"
    # the issuer denied issuing it and staff confirmed the forgery: terminal, it secures nothing
    FORGED = "forged"


class ClaimStatus(StrEnum):
    FILED = "filed"
    PAID = "paid"
    REJECTED = "rejected"


class DepositStatus(StrEnum):
    AWAITING = "awaiting"
    RECEIVED = "received"
    REFUNDED = "refunded"
    FORFEITED = "forfeited"
    APPLIED = "applied"


GUARANTEE_LABELS = {
    GuaranteeStatus.ISSUED: "已出具", GuaranteeStatus.ATTACHED: "已用于报名", GuaranteeStatus.RELEASED: "已释放",
    GuaranteeStatus.CLAIMED: "索赔中", GuaranteeStatus.PAID: "已赔付", GuaranteeStatus.EXPIRED: "已过期",
    GuaranteeStatus.FORGED: "已确认伪造",
}
CLAIM_LABELS = {ClaimStatus.FILED: "待赔付", ClaimStatus.PAID: "已赔付", ClaimStatus.REJECTED: "已拒付（异议）"}
DEPOSIT_LABELS = {
    DepositStatus.AWAITING: "待缴纳", DepositStatus.RECEIVED: "已到账", DepositStatus.REFUNDED: "已退还",
    DepositStatus.FORFEITED: "已没收", DepositStatus.APPLIED: "已转为价款",
}

G, C, D = GuaranteeStatus, ClaimStatus, DepositStatus
GUARANTEE_MOVES: dict[tuple[GuaranteeStatus, str], GuaranteeStatus] = {
    (G.ISSUED, "attach"): G.ATTACHED,
    (G.ATTACHED, "release"): G.RELEASED,
    # a bidder who withdrew and registers again before registration_end takes its guarantee back
    # (rules.security_error allows this only for the registration it was released from)
    (G.RELEASED, "attach"): G.ATTACHED,
    (G.ATTACHED, "claim"): G.CLAIMED,
    (G.CLAIMED, "pay"): G.PAID,
    (G.ISSUED, "expire"): G.EXPIRED,
    (G.ATTACHED, "expire"): G.EXPIRED,
    # 伪造/否认保函: only a guarantee that still counts (unused or securing a registration) is confirmed forged;
    # nothing leaves FORGED, so a forged guarantee is never attached, released or claimed again
    (G.ISSUED, "forge"): G.FORGED,
    (G.ATTACHED, "forge"): G.FORGED,
}
CLAIM_MOVES: dict[tuple[ClaimStatus, str], ClaimStatus] = {
    (C.FILED, "pay"): C.PAID,
    (C.FILED, "reject"): C.REJECTED,
}
DEPOSIT_MOVES: dict[tuple[DepositStatus, str], DepositStatus] = {
    (D.AWAITING, "receive"): D.RECEIVED,
    (D.RECEIVED, "refund"): D.REFUNDED,
    (D.RECEIVED, "forfeit"): D.FORFEITED,
    (D.RECEIVED, "apply"): D.APPLIED,
}


def _move(table: dict, labels: dict, kind: str, status: str, event: str):
    dst = table.get((status, event))  # StrEnum keys hash like their str values
    if dst is not None:
        return dst
    label = labels.get(status, status)
    raise Conflict(f"{kind}当前状态为“{label}”，不能执行该操作", code="invalid_state")


def guarantee_next(status: str, event: str) -> GuaranteeStatus:
    return _move(GUARANTEE_MOVES, GUARANTEE_LABELS, "保函", status, event)


def claim_next(status: str, event: str) -> ClaimStatus:
    return _move(CLAIM_MOVES, CLAIM_LABELS, "索赔", status, event)


def deposit_next(status: str, event: str) -> DepositStatus:
    return _move(DEPOSIT_MOVES, DEPOSIT_LABELS, "保证金", status, event)
