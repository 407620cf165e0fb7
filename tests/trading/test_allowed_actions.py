"""The project pages offer exactly the steps of the state table (states.allowed_actions)."""

from __future__ import annotations

import pytest

from trading.projects.states import TRANSITIONS, ProjectStatus, allowed_actions

S = ProjectStatus


@pytest.mark.parametrize(("status", "parties", "expected"), [
    (S.DRAFT, {"owner"}, {"edit", "submit", "withdraw"}),
    (S.DRAFT, {"staff"}, {"edit", "withdraw"}),
    (S.PENDING_REVIEW, {"owner"}, {"withdraw"}),
    (S.PENDING_REVIEW, {"staff"}, {"approve", "reject", "withdraw"}),
    (S.ANNOUNCED, {"owner"}, {"withdraw"}),
    (S.ANNOUNCED, {"staff"}, {"withdraw"}),
    (S.BIDDING, {"owner", "staff"}, set()),
    (S.AWARDED, {"owner", "staff"}, set()),
    (S.FAILED, {"owner"}, {"relist"}),
    (S.FAILED, {"staff"}, {"relist"}),
    (S.CERTIFIED, {"owner", "staff"}, set()),
    (S.WITHDRAWN, {"owner", "staff"}, set()),
    (S.DRAFT, set(), set()),
])
def test_allowed_actions_by_status_and_party(status, parties, expected):
    assert allowed_actions(status, parties) == expected


def test_every_offered_move_is_a_move_of_the_table():
    for status in S:
        for action in allowed_actions(status, {"owner", "staff"}) - {"edit", "relist"}:
            assert (status, action) in TRANSITIONS
