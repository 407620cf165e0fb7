"""The server clock alone decides whether a bid is in time: the last millisecond is in, one millisecond late is out."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from trading import clock


def _room(hall, name: str) -> int:
    pid = hall.project()
    hall.qualify(pid, name)
    hall.api.token(name)
    return pid


def test_bid_in_the_last_millisecond_is_accepted_and_extends(hall):
    pid = _room(hall, "edge1")
    ends = hall.row(pid).ends_at or hall.row(pid).bidding_end
    clock.freeze(ends - timedelta(milliseconds=1))
    r = hall.bid(pid, "edge1", "800.00")
    assert r.status_code == 201, r.get_json()
    row = hall.row(pid)
    assert row.bid_count == 1 and row.current_price == Decimal("800.00")
    assert row.ends_at > ends  # the late bid bought the extension period


def test_bid_one_millisecond_late_is_refused_whatever_the_client_claims(hall):
    pid = _room(hall, "edge2")
    ends = hall.row(pid).ends_at or hall.row(pid).bidding_end
    clock.freeze(ends + timedelta(milliseconds=1))
    early = (ends - timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    r = hall.bid(pid, "edge2", "800.00", headers={"Date": early, "X-Client-Time": early})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "auction_closed", r.get_json()
    row = hall.row(pid)
    assert row.bid_count == 0 and row.current_price is None


def test_bid_exactly_at_ends_at_is_late(hall):
    pid = _room(hall, "edge3")
    ends = hall.row(pid).ends_at or hall.row(pid).bidding_end
    clock.freeze(ends)
    r = hall.bid(pid, "edge3", "800.00")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "auction_closed"


def test_extended_deadline_is_judged_to_the_millisecond(hall):
    pid = _room(hall, "edge4")
    hall.qualify(pid, "edge5")
    hall.api.token("edge5")
    ends = hall.row(pid).ends_at or hall.row(pid).bidding_end
    clock.freeze(ends - timedelta(seconds=2))
    assert hall.bid(pid, "edge4", "800.00").status_code == 201
    new_end = hall.row(pid).ends_at
    clock.freeze(new_end - timedelta(milliseconds=1))
    assert hall.bid(pid, "edge5", "810.00").status_code == 201
    late_end = hall.row(pid).ends_at
    clock.freeze(late_end + timedelta(milliseconds=1))
    r = hall.bid(pid, "edge4", "820.00")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "auction_closed"
    assert hall.row(pid).current_price == Decimal("810.00")
