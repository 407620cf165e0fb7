"""Menu links per role."""

from __future__ import annotations


def items(user) -> list[tuple[str, str, dict]]:
    if user is None:
        return []
    if user.role == "bidder":
        return [("我的保函", "guarantees.mine", {})]
    if user.role == "guarantor":
        return [("保函业务", "guarantees.portal", {})]
    if user.role == "staff":
        return [("保函管理", "guarantees.staff_list", {}), ("保证金退还", "guarantees.deposits", {})]
    return []
