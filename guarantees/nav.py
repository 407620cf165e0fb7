"""Menu links per role."""

from __future__ import annotations

from trading.accounts.models import Role
from trading.navigation import by_role

items = by_role({
    Role.BIDDER: [("我的保函", "guarantees.mine", {})],
    Role.GUARANTOR: [("保函业务", "guarantees.portal", {})],
    Role.STAFF: [("保函管理", "guarantees.staff_list", {}), ("保证金退还", "guarantees.deposits", {})],
})
