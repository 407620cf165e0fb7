"""The pure bidding engine: a table of refusals, the priority match, extensions, sealed ranking, and
hypothesis properties over arbitrary bid sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auctions import rules as R

T0 = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
END = T0 + timedelta(hours=1)
D = Decimal


def auction(**kw) -> R.Auction:
    base = dict(method="auction", direction="ascending", status="bidding", start_price=D("800.00"),
                increment=D("10.00"), bidding_start=T0, ends_at=END, extension_seconds=300)
    base.update(kw)
    return R.Auction(**base)


A = R.Bidder(1, qualified=True)
B = R.Bidder(2, qualified=True)
P = R.Bidder(3, qualified=True, priority=True)
MID = T0 + timedelta(minutes=10)


@pytest.mark.parametrize(("state", "bidder", "amount", "at", "error"), [
    (auction(), A, D("800"), T0 - timedelta(seconds=1), R.AuctionNotOpen),
    (auction(status="draft"), A, D("800"), MID, R.AuctionNotOpen),
    (auction(), A, D("800"), END, R.AuctionClosed),
    (auction(status="awarded"), A, D("800"), MID, R.AuctionClosed),
    (auction(), R.Bidder(9, qualified=False), D("800"), MID, R.NotQualified),
    (auction(), A, D("790"), MID, R.BidTooLow),
    (auction(), A, D("805"), MID, R.BadIncrement),
    (auction(current_price=D("850"), leader_id=2), A, D("850"), MID, R.BidTooLow),
    (auction(current_price=D("850"), leader_id=2), A, D("845"), MID, R.BidTooLow),
    (auction(current_price=D("850"), leader_id=2), A, D("865"), MID, R.BadIncrement),
    (auction(current_price=D("850"), leader_id=1), A, D("900"), MID, R.AlreadyLeading),
    (auction(direction="descending"), A, D("810"), MID, R.BidTooHigh),
    (auction(direction="descending", current_price=D("780"), leader_id=2), A, D("780"), MID, R.BidTooHigh),
    (auction(direction="descending", current_price=D("780"), leader_id=2), A, D("775"), MID, R.BadIncrement),
    # a priority holder cannot match another priority holder
    (auction(current_price=D("850"), leader_id=5, leader_is_priority=True), P, D("850"), MID, R.BidTooLow),
    (auction(method="sealed"), A, D("800"), MID, R.AuctionNotOpen),
])
def test_each_refusal_is_a_typed_error(state, bidder, amount, at, error):
    with pytest.raises(error) as info:
        R.validate_bid(state, bidder, amount, at)
    assert info.value.code == error.code and info.value.message


def test_error_codes_match_api_md():
    assert {c.code: c.status for c in (R.AuctionNotOpen, R.AuctionClosed, R.BidTooLow, R.BidTooHigh,
                                       R.BadIncrement, R.AlreadyLeading, R.NotQualified, R.InvalidAmount)} == {
        "auction_not_open": 409, "auction_closed": 409, "bid_too_low": 409, "bid_too_high": 409,
        "bad_increment": 409, "already_leading": 409, "not_qualified": 403, "invalid_amount": 422}


def test_first_bid_at_start_and_bid_at_bidding_start_accepted():
    r = R.validate_bid(auction(status="announced"), A, D("800"), T0)
    assert r.after.current_price == D("800") and r.after.leader_id == 1 and r.after.bid_count == 1


def test_descending_mirrors_downwards():
    r = R.validate_bid(auction(direction="descending"), A, D("780"), MID)
    r2 = R.validate_bid(r.after, B, D("750"), MID)
    assert r2.after.current_price == D("750") and r2.after.leader_id == 2


def test_priority_holder_matches_current_price_and_leads():
    s = R.validate_bid(auction(), A, D("850"), MID).after
    m = R.validate_bid(s, P, D("850"), MID)
    assert m.is_priority and m.after.leader_id == 3 and m.after.leader_is_priority
    # the others must now beat the matched price; the holder may match again afterwards
    with pytest.raises(R.BidTooLow):
        R.validate_bid(m.after, A, D("850"), MID)
    s2 = R.validate_bid(m.after, A, D("860"), MID).after
    assert R.validate_bid(s2, P, D("860"), MID).is_priority


def test_unqualified_priority_holder_cannot_match():
    s = R.validate_bid(auction(), A, D("850"), MID).after
    with pytest.raises(R.NotQualified):
        R.validate_bid(s, R.Bidder(3, qualified=False, priority=True), D("850"), MID)


def test_late_bid_extends_to_accept_time_plus_extension():
    at = END - timedelta(seconds=299)
    r = R.validate_bid(auction(), A, D("800"), at)
    assert r.extended and r.after.ends_at == at + timedelta(seconds=300) and r.after.extensions_used == 1
    exactly = END - timedelta(seconds=300)  # not "less than" extension_seconds before the end
    assert not R.validate_bid(auction(), A, D("800"), exactly).extended


def test_max_extensions_caps_the_extension():
    at = END - timedelta(seconds=10)
    r = R.validate_bid(auction(max_extensions=1, extensions_used=1), A, D("800"), at)
    assert not r.extended and r.after.ends_at == END


def test_sealed_ranking_best_then_earliest():
    e = [R.SealedEntry(1, D("900"), T0 + timedelta(seconds=5), 1), R.SealedEntry(2, D("950"), T0 + timedelta(seconds=9), 2),
         R.SealedEntry(3, D("950"), T0 + timedelta(seconds=7), 3)]
    assert [x.bidder_id for x in R.rank_sealed("ascending", e)] == [3, 2, 1]
    assert [x.bidder_id for x in R.rank_sealed("descending", e)] == [1, 3, 2]


def test_sealed_validation():
    s = auction(method="sealed")
    R.validate_sealed(s, A, D("801.50"), MID)  # any amount at or beyond the start
    with pytest.raises(R.BidTooLow):
        R.validate_sealed(s, A, D("799"), MID)
    with pytest.raises(R.AuctionClosed):
        R.validate_sealed(s, A, D("900"), END)


def test_outcome_reserve_and_no_bids():
    assert R.decide_outcome("ascending", D("850"), None).outcome == "failed"
    assert R.decide_outcome("ascending", D("850"), (1, D("840"))).outcome == "failed"
    ok = R.decide_outcome("ascending", D("850"), (1, D("850")))
    assert (ok.outcome, ok.winner_id, ok.price) == ("awarded", 1, D("850"))
    assert R.decide_outcome("descending", D("700"), (1, D("710"))).outcome == "failed"


def test_rank_auction_latest_bid_per_bidder_first():
    bids = [(1, 1, D("800")), (2, 2, D("810")), (3, 1, D("820")), (4, 3, D("820"))]
    assert R.rank_auction(bids) == [(3, D("820")), (1, D("820")), (2, D("810"))]


# ---------------------------------------------------------------- properties

attempt = st.tuples(
    st.integers(min_value=1, max_value=4),        # bidder (4 is a priority holder)
    st.integers(min_value=-2, max_value=4),       # steps from the current price (0 = match)
    st.integers(min_value=0, max_value=400),      # seconds after the previous attempt
    st.sampled_from(["steps", "odd"]),            # odd = not a whole multiple
)


@settings(max_examples=300, deadline=None)
@given(direction=st.sampled_from(["ascending", "descending"]), attempts=st.lists(attempt, max_size=40),
       max_ext=st.one_of(st.none(), st.integers(min_value=0, max_value=3)))
def test_any_bid_sequence_keeps_the_invariants(direction, attempts, max_ext):
    start, inc = D("1000.00"), D("25.00")
    sign = 1 if direction == "ascending" else -1
    state = auction(direction=direction, start_price=start, increment=inc, max_extensions=max_ext)
    at = T0
    accepted: list[R.Accepted] = []
    for who, steps, dt, kind in attempts:
        at = at + timedelta(seconds=dt)
        bidder = R.Bidder(who, qualified=True, priority=(who == 4))
        base = state.current_price if state.current_price is not None else start
        amount = base + sign * steps * inc + (D("0.01") if kind == "odd" else 0)
        before = state
        try:
            res = R.validate_bid(state, bidder, amount, at)
        except R.BidError:
            assert state == before
            continue
        # prices move strictly in the direction, except a priority match at the same price
        if accepted:
            prev = accepted[-1].amount
            assert (sign * (res.amount - prev) > 0) or (res.is_priority and res.amount == prev)
        else:
            assert sign * (res.amount - start) >= 0
        assert (res.amount - start) % inc == 0  # start ± k × increment
        assert res.after.ends_at >= state.ends_at  # never backwards
        if res.extended:  # 延时竞价: accept_time + extension_seconds, within the cap
            assert res.after.ends_at == at + timedelta(seconds=300)
            assert max_ext is None or res.after.extensions_used <= max_ext
        else:
            assert res.after.ends_at == state.ends_at
        assert at < state.ends_at and at >= state.bidding_start
        assert res.after.bid_count == state.bid_count + 1
        state = res.after
        accepted.append(res)
    if accepted:
        assert state.leader_id is not None
        assert state.current_price == accepted[-1].amount
        ranking = R.rank_auction([(i, a.after.leader_id, a.amount) for i, a in enumerate(accepted)])
        assert ranking[0][0] == state.leader_id  # the winner is the last accepted bid
    else:
        assert state.leader_id is None and state.bid_count == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(0, 20), st.integers(0, 100)), min_size=1, max_size=30),
       st.sampled_from(["ascending", "descending"]))
def test_sealed_best_wins_earliest_on_ties(entries, direction):
    es = [R.SealedEntry(b, D(800 + 10 * a), T0 + timedelta(seconds=t), i) for i, (b, a, t) in enumerate(entries)]
    top = R.rank_sealed(direction, es)[0]
    best = max(e.amount for e in es) if direction == "ascending" else min(e.amount for e in es)
    assert top.amount == best
    assert top.submitted_at == min(e.submitted_at for e in es if e.amount == best)
