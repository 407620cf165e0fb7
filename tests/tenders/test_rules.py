"""Pure rules: windows, security cap, points, committees, the price score and the ranking (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenders import rules, sealing
from tenders.client import encrypt_bid
from tenders.states import InvalidTransition, bid_next, lot_next

NOW = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
MAXC = Decimal("800000.00")
prices = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("99999999.99"), places=2)
points = st.decimals(min_value=Decimal("0"), max_value=Decimal("70"), places=2)


def lot(**over) -> dict:
    base = {"name": "一标段", "budget": "1000000.00", "security_amount": "20000.00", "speciality": "road",
            "committee_size": 5, "price_points": "30",
            "criteria": [{"code": "tech", "name": "技术", "max_points": "50"},
                         {"code": "biz", "name": "商务", "max_points": "20"}]}
    base.update(over)
    return base


def test_a_good_lot_has_no_errors():
    assert rules.check_lot(lot(), 0, kind="construction", evaluation="scoring", max_construction=MAXC) == {}


@pytest.mark.parametrize(("over", "field"), [
    ({"security_amount": "20000.01"}, "security_amount"),  # above 2 %
    ({"committee_size": 4}, "committee_size"), ({"committee_size": 3}, "committee_size"),
    ({"committee_size": 6}, "committee_size"),
    ({"price_points": "31"}, "criteria"),  # 31 + 70 ≠ 100
    ({"budget": "-5"}, "budget"), ({"budget": "1.234"}, "budget"),
])
def test_bad_lot_fields_are_reported(over, field):
    errors = rules.check_lot(lot(**over), 0, kind="procurement", evaluation="scoring", max_construction=MAXC)
    assert f"lots[0].{field}" in errors


def test_construction_security_is_capped_at_the_ceiling():
    big = lot(budget="100000000.00", security_amount="800000.01")
    errors = rules.check_lot(big, 0, kind="construction", evaluation="scoring", max_construction=MAXC)
    assert "800000.00" in errors["lots[0].security_amount"]
    ok = lot(budget="100000000.00", security_amount="800000.00")
    assert rules.check_lot(ok, 0, kind="construction", evaluation="scoring", max_construction=MAXC) == {}
    # procurement has no such ceiling: 2 % of 100 million
    assert rules.check_lot(lot(budget="100000000.00", security_amount="2000000.00"), 0, kind="procurement",
                           evaluation="scoring", max_construction=MAXC) == {}


def test_windows_need_twenty_days_and_a_future_deadline():
    rules.check_windows(NOW, NOW + timedelta(days=20), NOW, 20 * 86400)
    with pytest.raises(rules.WindowError):
        rules.check_windows(NOW, NOW + timedelta(days=20) - timedelta(seconds=1), NOW, 20 * 86400)
    with pytest.raises(rules.WindowError):
        rules.check_windows(NOW - timedelta(days=30), NOW - timedelta(seconds=1), NOW, 0)


def test_a_late_clarification_needs_a_moved_deadline():
    deadline = NOW + timedelta(days=10)
    with pytest.raises(rules.WindowError):
        rules.clarification_deadline(NOW, deadline, None, 15 * 86400)
    moved = NOW + timedelta(days=15)
    assert rules.clarification_deadline(NOW, deadline, moved, 15 * 86400) == moved
    assert rules.clarification_deadline(NOW, NOW + timedelta(days=16), None, 15 * 86400) == NOW + timedelta(days=16)


def test_price_score_and_mean_round_half_up():
    assert rules.price_score(Decimal("30"), Decimal("900000.00"), Decimal("950000.00")) == Decimal("28.42")
    assert rules.mean_points([{"a": Decimal("40.005")}, {"a": Decimal("40")}]) == Decimal("40.00")
    assert rules.mean_points([{"a": Decimal("1"), "b": Decimal("0.01")}, {"a": Decimal("1")}]) == Decimal("1.01")


def test_ranking_by_total_then_lower_price():
    bids = [rules.Scored(1, Decimal("100"), Decimal("60")), rules.Scored(2, Decimal("90"), Decimal("55")),
            rules.Scored(3, Decimal("95"), Decimal("62"))]
    ranked = rules.rank(bids, "scoring", Decimal("30"))
    # totals: 1: 27.00+60 = 87.00; 2: 30+55 = 85.00; 3: 28.42+62 = 90.42
    assert [r.key for r in ranked] == [3, 1, 2]
    assert ranked[0].total == Decimal("90.42")
    assert [r.key for r in rules.rank(bids, "lowest_price", Decimal("0"))] == [2, 3, 1]


@given(st.lists(st.tuples(prices, points), min_size=1, max_size=12))
def test_ranking_is_a_total_order(rows):
    bids = [rules.Scored(i, p, pts) for i, (p, pts) in enumerate(rows)]
    ranked = rules.rank(bids, "scoring", Decimal("30"))
    assert sorted(r.key for r in ranked) == list(range(len(rows)))  # each bid exactly once
    assert [r.rank for r in ranked] == list(range(1, len(rows) + 1))
    for a, b in zip(ranked, ranked[1:], strict=False):
        assert (a.total, -a.price, -a.key) > (b.total, -b.price, -b.key)
    shuffled = rules.rank(list(reversed(bids)), "scoring", Decimal("30"))
    assert [r.key for r in shuffled] == [r.key for r in ranked]  # independent of input order


@given(prices, prices, st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2))
def test_raising_a_price_never_raises_its_price_score(lowest, price, raise_by):
    price = max(price, lowest)
    higher = price + raise_by
    assert rules.price_score(Decimal("30"), lowest, higher) <= rules.price_score(Decimal("30"), lowest, price)
    assert rules.price_score(Decimal("30"), lowest, lowest) == Decimal("30.00")


@given(st.lists(st.tuples(st.text(min_size=1, max_size=6), st.integers(1, 8)), min_size=0, max_size=30,
                unique_by=lambda e: e[0]),
       st.sets(st.integers(1, 8), max_size=5), st.integers(5, 9).filter(lambda n: n % 2 == 1), st.text(max_size=8))
def test_no_member_shares_an_avoided_organisation(pool, avoid, size, seed):
    experts = [rules.Expert(u, o) for u, o in pool]
    try:
        chosen = rules.draw_committee(experts, avoid, size, seed)
    except rules.NotEnoughExperts:
        assert sum(1 for e in experts if e.org_id not in avoid) < size
        return
    assert len(chosen) == size == len({e.username for e in chosen})
    assert all(e.org_id not in avoid for e in chosen)
    assert rules.draw_committee(list(reversed(experts)), avoid, size, seed) == chosen  # re-runnable


@given(st.integers(0, 400))
def test_fewer_than_three_bids_submitted_are_never_opened(n):
    """At the deadline (rules.opening_outcome, which bidding.advance and the reads both use)."""
    from tenders.states import implied_lot_status

    outcome = rules.opening_outcome(n)
    assert outcome == (rules.Outcome("failed", "fewer_than_three") if n < 3 else rules.Outcome("opening"))
    assert implied_lot_status("bidding", NOW, announce_start=NOW - timedelta(days=30), bid_deadline=NOW,
                              submitted=n) == outcome.status


budgets = st.decimals(min_value=Decimal("1000.00"), max_value=Decimal("2000000.00"), places=2)
# a bid at the end of the decryption window: (decrypted by its bidder?, the price it decrypted to)
sealed = st.lists(st.tuples(st.booleans(), st.decimals(min_value=Decimal("1.00"), max_value=Decimal("3000000.00"),
                                                       places=2)), max_size=12)


@given(sealed, budgets)
def test_a_lot_with_fewer_than_three_valid_bids_after_decryption_fails(bids, budget):
    """Undecrypted → void, over the budget → rejected; fewer than three valid bids left → failed
    (fewer_than_three), three or more → opened. On rules.bid_verdict / valid_count / after_decryption, the functions
    bidding._reveal decides with, and on the status the reads imply at the end of the window."""
    from tenders.states import implied_lot_status

    bids = [(decrypted, price if decrypted else None) for decrypted, price in bids]
    for decrypted, price in bids:
        verdict = rules.bid_verdict(decrypted, price, budget)
        if not decrypted:
            assert verdict == "not_decrypted"
        elif price > budget:
            assert verdict == "over_budget"
        else:
            assert verdict is None
    valid = rules.valid_count(bids, budget)
    assert valid == sum(1 for decrypted, price in bids if decrypted and price <= budget)
    outcome = rules.after_decryption(valid)
    if valid < 3:
        assert outcome.failed and outcome == rules.Outcome("failed", "fewer_than_three")
    else:
        assert not outcome.failed and outcome == rules.Outcome("opened")
    # a price exactly at the budget is valid; one fen above it is not
    assert rules.bid_verdict(True, budget, budget) is None
    assert rules.bid_verdict(True, budget + Decimal("0.01"), budget) == "over_budget"
    # what GET /lots/{id} reports before the scheduler runs: still opening inside the window, the outcome after it
    window_end = NOW + timedelta(seconds=1800)
    kw = {"announce_start": NOW - timedelta(days=30), "bid_deadline": NOW, "submitted": len(bids),
          "decrypt_ends_at": window_end, "valid": valid}
    assert implied_lot_status("opening", window_end - timedelta(seconds=1), **kw) == "opening"
    assert implied_lot_status("opening", window_end, **kw) == outcome.status
    # a lot the scheduler never opened: the deadline's outcome first, then the window's
    expected = "failed" if len(bids) < 3 else outcome.status
    assert implied_lot_status("bidding", window_end, **kw) == expected


def test_majority_reject():
    assert rules.rejected_by_majority([True, True, True, False, False], 5)
    assert not rules.rejected_by_majority([True, True, False, False, False], 5)


def test_points_outside_zero_to_max_are_refused():
    crit = [{"code": "tech", "name": "技术", "max_points": "50"}]
    assert rules.check_points({"tech": "42.5"}, crit) == {"tech": Decimal("42.50")}
    for bad in ("50.01", "-1", "abc", "1.234"):
        with pytest.raises(rules.FieldErrors):
            rules.check_points({"tech": bad}, crit)
    with pytest.raises(rules.FieldErrors):
        rules.check_points({"nope": "1"}, crit)


@pytest.mark.parametrize(("fn", "status", "event", "to"), [
    (lot_next, "bidding", "open", "opening"), (lot_next, "opening", "reveal", "opened"),
    (lot_next, "opened", "draw", "evaluating"), (lot_next, "evaluating", "evaluate", "evaluated"),
    (lot_next, "evaluated", "publicize", "publicity"), (lot_next, "publicity", "award", "awarded"),
    (bid_next, "submitted", "decrypt", "decrypted"), (bid_next, "submitted", "expire", "void"),
])
def test_state_tables(fn, status, event, to):
    assert fn(status, event) == to


@pytest.mark.parametrize(("fn", "status", "event"), [
    (lot_next, "opened", "award"), (lot_next, "failed", "open"), (bid_next, "decrypted", "replace"),
    (bid_next, "void", "decrypt"),
])
def test_illegal_moves_raise(fn, status, event):
    with pytest.raises(InvalidTransition):
        fn(status, event)


def test_encrypted_bid_round_trip_and_wrong_key():
    body, key = encrypt_bid(7, "alice", "口令", "123.45", iterations=100000)
    ct, nonce, _salt, _it = sealing.check_envelope(body)
    import base64

    price, _ = sealing.decrypt_price(base64.b64decode(key), nonce, ct, b"7:alice")
    assert price == Decimal("123.45")
    with pytest.raises(sealing.DecryptionFailed):
        sealing.decrypt_price(b"\0" * 32, nonce, ct, b"7:alice")
    with pytest.raises(sealing.DecryptionFailed):  # another bidder's aad
        sealing.decrypt_price(base64.b64decode(key), nonce, ct, b"7:bob")
