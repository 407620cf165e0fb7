"""Menu links per role."""

from __future__ import annotations

from trading.accounts.models import Role


def items(user) -> list[tuple[str, str, dict]]:
    if user is None:
        return []
    if user.role == Role.BIDDER:
        return [("我的保函", "guarantees.mine", {})]
    if user.role == Role.GUARANTOR:
        return [("保函业务", "guarantees.portal", {})]
    if user.role == Role.STAFF:
        return [("保函管理", "guarantees.staff_list", {}), ("保证金退还", "guarantees.deposits", {})]
    return []
