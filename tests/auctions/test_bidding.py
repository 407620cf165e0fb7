"""The bid transaction and the live auction endpoint (docs/api.md "Bidding")."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from trading import clock


@pytest.fixture
def room(hall):
    """Ascending project 800 / +10, reserve 850, extension 300 s; A and B qualified, clock at bidding_start."""
    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.qualify(pid, "bob")
    hall.at(pid, 0)
    return pid


def test_bid_at_bidding_start_accepted_before_any_scheduler(hall, room):
    assert hall.row(room).status == "announced"
    r = hall.bid(room, "alice", "800.00")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert set(body) >= {"seq", "amount", "current_price", "ends_at", "server_time"}
    assert (body["seq"], body["amount"], body["current_price"]) == (1, "800.00", "800.00")


def test_bid_before_start_is_auction_not_open(hall, room):
    hall.at(room, -1)
    r = hall.bid(room, "alice", "800.00")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "auction_not_open"


def test_bid_at_ends_at_is_auction_closed_even_before_the_scheduler(hall, room):
    hall.at(room, 0, from_end=True)
    r = hall.bid(room, "alice", "800.00")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "auction_closed"


@pytest.mark.parametrize(("amount", "status", "code"), [
    ("790.00", 409, "bid_too_low"), ("805.00", 409, "bad_increment"), ("0", 422, "invalid_amount"),
    ("-10", 422, "invalid_amount"), ("800.001", 422, "invalid_amount"), ("1e3", 422, "invalid_amount"),
    ("NaN", 422, "invalid_amount"), (None, 422, "invalid_amount"),
])
def test_refusals_change_nothing(hall, room, amount, status, code):
    assert hall.bid(room, "alice", "800.00").status_code == 201
    before = hall.row(room)
    r = hall.bid(room, "bob", amount)
    assert r.status_code == status and r.get_json()["error"]["code"] == code
    after = hall.row(room)
    assert (after.bid_count, after.current_price, after.ends_at, after.leader_id) == (
        before.bid_count, before.current_price, before.ends_at, before.leader_id)


def test_leader_cannot_bid_again(hall, room):
    hall.bid(room, "alice", "800.00")
    r = hall.bid(room, "alice", "900.00")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_leading"


def test_unqualified_bidder_403_not_qualified(hall, api):
    room = hall.project()
    hall.register(room, "carol")  # pending, not qualified
    hall.at(room, 0)
    r = hall.bid(room, "carol", "800.00")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_qualified"
    hall.bidder("dave")
    assert hall.bid(room, "dave", "800.00").get_json()["error"]["code"] == "not_qualified"
    assert hall.bid(room, hall.staff, "800.00").status_code == 403


def test_late_bid_extends_the_end(hall, room):
    end = hall.row(room).ends_at
    t = hall.at(room, -60, from_end=True)
    r = hall.bid(room, "alice", "800.00")
    assert r.status_code == 201
    new_end = hall.row(room).ends_at
    assert new_end == t + timedelta(seconds=300) and new_end > end
    assert hall.row(room).extensions_used == 1


def test_priority_holder_matches_and_is_shown_as_such(hall, api, factory):
    hall.bidder("tenant")
    pid = hall.project(priority_holders=["tenant"])
    hall.qualify(pid, "alice")
    hall.qualify(pid, "tenant")
    hall.at(pid, 10)
    assert hall.bid(pid, "alice", "850.00").status_code == 201
    r = hall.bid(pid, "tenant", "850.00")
    assert r.status_code == 201 and r.get_json()["priority"] is True
    a = api.get(f"/api/v1/projects/{pid}/auction", user="tenant").get_json()
    assert a["leading"] is True and a["bids"][-1]["label"] == "行使优先权"
    assert hall.bid(pid, "alice", "850.00").get_json()["error"]["code"] == "bid_too_low"


def test_refusal_carries_the_current_price_so_the_client_need_not_reread(hall, room, api):
    assert hall.bid(room, "alice", "800.00").status_code == 201
    assert hall.bid(room, "bob", "830.00").status_code == 201
    r = hall.bid(room, "alice", "820.00")
    err = r.get_json()["error"]
    assert r.status_code == 409 and err["code"] == "bid_too_low"
    assert err["current_price"] == "830.00" and err["bid_count"] == 2 and "830" in err["message"]
    assert err["ends_at"].endswith("+08:00") and err["server_time"].endswith("+08:00")
    room_state = api.get(f"/api/v1/projects/{room}/auction").get_json()
    assert err["ends_at"] == room_state["ends_at"]
    # the refusal changed nothing; the bid the price invites is accepted
    assert hall.bid(room, "alice", "840.00").status_code == 201


def test_sealed_refusal_reveals_no_price(hall):
    pid = hall.project(method="sealed")
    hall.qualify(pid, "alice")
    hall.at(pid, 5)
    err = hall.bid(pid, "alice", "700.00").get_json()["error"]
    assert err["code"] == "bid_too_low" and "current_price" not in err and "bid_count" not in err


def test_bid_token_check_refuses_expired_revoked_deactivated_and_other_roles(hall, room, api, app):
    """The bid endpoint's light token check (trading.accounts.services.principal_for_token) applies every rule of the
    full one: expiry by the server clock, revocation, a deactivated user, the role."""
    from trading.accounts.models import User
    from trading.extensions import db as _db

    url = f"/api/v1/projects/{room}/bids"
    alice, bob = api.token("alice"), api.token("bob")
    at = clock.now()
    clock.freeze(at + timedelta(days=31))  # past the token's expiry
    r = api.client.post(url, json={"amount": "800.00"}, headers={"Authorization": f"Bearer {alice}"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "not_authenticated"
    clock.freeze(at)
    assert api.client.post("/api/v1/auth/revoke", headers={"Authorization": f"Bearer {alice}"}).status_code == 200
    r = api.client.post(url, json={"amount": "800.00"}, headers={"Authorization": f"Bearer {alice}"})
    assert r.status_code == 401
    with app.app_context():
        _db.session.execute(_db.update(User).where(User.username == "bob").values(active=False))
        _db.session.commit()
    r = api.client.post(url, json={"amount": "800.00"}, headers={"Authorization": f"Bearer {bob}"})
    assert r.status_code == 401
    r = api.post(url, {"amount": "800.00"}, user=hall.staff)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert hall.row(room).bid_count == 0


def test_idempotency_key_replays_the_first_response(hall, room, api):
    h = {"Idempotency-Key": "k-123"}
    r1 = hall.bid(room, "alice", "800.00", headers=h)
    r2 = hall.bid(room, "alice", "800.00", headers=h)
    assert r1.status_code == r2.status_code == 201 and r1.get_json() == r2.get_json()
    assert hall.row(room).bid_count == 1
    r3 = hall.bid(room, "alice", "810.00", headers=h)
    assert r3.status_code == 409 and r3.get_json()["error"]["code"] == "idempotency_key_reused"
    # the key is per user: bob may use the same key
    assert hall.bid(room, "bob", "810.00", headers=h).status_code == 201
    assert hall.row(room).bid_count == 2


def test_auction_endpoint_shape_anonymity_etag_and_since(hall, room, api):
    for who, amt in (("alice", "800.00"), ("bob", "820.00"), ("alice", "830.00")):
        assert hall.bid(room, who, amt).status_code == 201
    r = api.get(f"/api/v1/projects/{room}/auction")
    a = r.get_json()
    assert {"status", "method", "direction", "current_price", "bid_count", "starts_at", "ends_at",
            "server_time", "bids"} <= set(a)
    assert a["status"] == "bidding" and a["current_price"] == "830.00" and a["bid_count"] == 3
    assert [b["seq"] for b in a["bids"]] == [1, 2, 3]
    assert "my_bidder_no" not in a and "alice" not in r.get_data(as_text=True)
    assert set(a["bids"][0]) >= {"seq", "bidder_no", "amount", "at"}
    etag = r.headers["ETag"]
    r304 = api.get(f"/api/v1/projects/{room}/auction", headers={"If-None-Match": etag})
    assert r304.status_code == 304
    assert [b["seq"] for b in api.get(f"/api/v1/projects/{room}/auction?since=2").get_json()["bids"]] == [3]
    mine = api.get(f"/api/v1/projects/{room}/auction", user="bob").get_json()
    assert mine["leading"] is False and mine["my_bidder_no"] == a["bids"][1]["bidder_no"]
    assert api.get(f"/api/v1/projects/{room}/auction", user="alice").get_json()["leading"] is True
    hall.bid(room, "bob", "840.00")
    assert api.get(f"/api/v1/projects/{room}/auction", headers={"If-None-Match": etag}).status_code == 200


def test_auction_lists_latest_fifty_oldest_first_and_full_history_paginates(hall, room, api):
    price = Decimal("800.00")
    for i in range(55):
        who = "alice" if i % 2 == 0 else "bob"
        assert hall.bid(room, who, str(price)).status_code == 201
        price += 10
    a = api.get(f"/api/v1/projects/{room}/auction").get_json()
    assert [b["seq"] for b in a["bids"]] == list(range(6, 56))
    page = api.get(f"/api/v1/projects/{room}/bids?page=2&per_page=20").get_json()
    assert page["total"] == 55 and page["page"] == 2 and [b["seq"] for b in page["items"]][0] == 21


def test_descending_auction(hall):
    pid = hall.project(kind="procurement", direction="descending", price_unit="total", area_mu=None,
                       term_years=None, start_price="100000.00", reserve_price="90000.00", increment="500.00",
                       budget="120000.00")
    hall.qualify(pid, "alice")
    hall.qualify(pid, "bob")
    hall.at(pid, 1)
    assert hall.bid(pid, "alice", "100500.00").get_json()["error"]["code"] == "bid_too_high"
    assert hall.bid(pid, "alice", "99000.00").status_code == 201
    assert hall.bid(pid, "bob", "99000.00").get_json()["error"]["code"] == "bid_too_high"
    assert hall.bid(pid, "bob", "98700.00").get_json()["error"]["code"] == "bad_increment"
    assert hall.bid(pid, "bob", "98500.00").status_code == 201


def test_withdrawn_project_is_not_open(hall, api):
    pid = hall.project()
    hall.qualify(pid, "alice")
    assert api.post(f"/api/v1/projects/{pid}/withdraw", {"reason": "暂停"}, user=hall.owner).status_code == 200
    hall.at(pid, 1)
    assert hall.bid(pid, "alice", "800.00").get_json()["error"]["code"] == "auction_not_open"
    clock.freeze(None)


def test_unpublished_project_auction_is_private(hall, api, factory):
    r = api.post("/api/v1/projects", factory.project_body(), user=hall.owner)
    pid = r.get_json()["id"]
    assert api.get(f"/api/v1/projects/{pid}/auction").status_code == 403
    assert api.get(f"/api/v1/projects/{pid}/bids").status_code == 403
    assert api.get(f"/api/v1/projects/{pid}/auction", user=hall.staff).status_code == 200
    assert api.client.get(f"/auctions/projects/{pid}/room").status_code == 404


def test_etag_changes_when_my_registration_is_qualified(hall, api):
    pid = hall.project()
    reg = hall.register(pid, "alice")
    r1 = api.get(f"/api/v1/projects/{pid}/auction", user="alice")
    assert r1.get_json()["qualified"] is False
    api.post(f"/api/v1/registrations/{reg['id']}/confirm-deposit", user=hall.staff)
    api.post(f"/api/v1/registrations/{reg['id']}/approve", user=hall.staff)
    r2 = api.get(f"/api/v1/projects/{pid}/auction", user="alice", headers={"If-None-Match": r1.headers["ETag"]})
    assert r2.status_code == 200 and r2.get_json()["qualified"] is True
