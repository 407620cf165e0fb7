"""Tendering wired into the packages beside it: the credit list bars a lot registration, the platform's notices
(and their e-mail/SMS outbox) reach bidders, experts and the winner, and every published step becomes an outbox
message for the provincial platform in the same transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.tenders.conftest import org
from trading import clock
from trading.extensions import db as _db

PRICES = {"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"}


def _count(app, model, *where) -> int:
    with app.app_context():
        n = _db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
        _db.session.remove()
    return n


def _kinds(app, username: str) -> list[str]:
    from trading.accounts.models import Notification, User

    with app.app_context():
        uid = _db.session.execute(select(User.id).where(User.username == username)).scalar_one()
        kinds = list(_db.session.execute(select(Notification.kind).where(Notification.user_id == uid)
                                         .order_by(Notification.id)).scalars())
        _db.session.remove()
    return kinds


def _pushed(app, code: str) -> list[tuple[str, dict]]:
    from trading.outbox import OutboxMessage

    with app.app_context():
        rows = [(m.event, m.payload) for m in _db.session.execute(
            select(OutboxMessage).where(OutboxMessage.stream == f"project:{code}").order_by(OutboxMessage.id)
        ).scalars()]
        _db.session.remove()
    return rows


def test_a_barred_bidder_cannot_register_for_a_lot_and_nothing_is_written(app, hall, api):
    from auctions.models import Registration
    from trading.accounts.models import User
    from trading.outbox import OutboxMessage

    lot_id = hall.lot()
    hall.bidder("badco")
    with app.app_context():
        code = _db.session.execute(select(User).where(User.username == "badco")).scalar_one().org.credit_code
        _db.session.remove()
    today = clock.now().astimezone(clock.BEIJING).date()
    r = api.post("/api/v1/credit", {"org_code": code, "cause": "winner_default", "evidence": "拒不签订合同",
                                    "decided_on": today.isoformat(), "bar_from": today.isoformat(),
                                    "bar_until": (today + timedelta(days=180)).isoformat()}, user=hall.staff)
    assert r.status_code == 201, r.get_json()
    before = (_count(app, Registration), _count(app, OutboxMessage))
    r = api.post(f"/api/v1/lots/{lot_id}/registrations", {"security": {"type": "deposit"}}, user="badco")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "credit_barred"
    assert "失信" in r.get_json()["error"]["message"]
    assert (_count(app, Registration), _count(app, OutboxMessage)) == before
    hall.bidder("goodco")  # an organisation not on the list still registers
    hall.register(lot_id, "goodco", confirm=False)


def test_clarification_notifies_registered_bidders_only_and_is_pushed(app, hall, api):
    t = hall.tender()
    lot_id = t["lots"][0]["id"]
    hall.bidder("alpha")
    hall.bidder("bystander")
    hall.register(lot_id, "alpha")
    r = api.post(f"/api/v1/tenders/{t['id']}/clarifications", {"text": "第3.2条改为……"}, user=hall.owner)
    assert r.status_code == 201, r.get_json()
    assert _kinds(app, "alpha") == ["clarification"]
    assert _kinds(app, "bystander") == []
    inbox = api.get("/api/v1/me/notifications", user="alpha")
    if inbox.status_code == 200:  # the platform inbox shows it too
        assert any(n["kind"] == "clarification" for n in inbox.get_json()["items"])
    events = [e for e, _ in _pushed(app, t["code"])]
    assert events == ["announcement", "clarification"]
    assert _pushed(app, t["code"])[1][1]["澄清内容"] == "第3.2条改为……"


def test_opening_committee_candidates_and_award_notify_and_push_in_order(app, hall, api, signing_keys):
    lot_id = hall.opened_lot(PRICES)
    from tenders.models import Lot

    with app.app_context():
        code = _db.session.get(Lot, lot_id).tender.code
        _db.session.remove()
    for name in PRICES:
        assert _kinds(app, name) == ["opening_started"]
    hall.experts(7)
    members = hall.committee(lot_id)
    for m in members:
        assert _kinds(app, m) == ["committee_assigned"]
    assert all(_kinds(app, f"e{i}") == [] for i in range(1, 8) if f"e{i}" not in members)
    hall.score_all(lot_id, members, {org(n): {"tech": "40", "biz": "10"} for n in PRICES})
    assert api.post(f"/api/v1/lots/{lot_id}/publicize", user=hall.staff).status_code == 200
    clock.advance(3 * 86400 + 1)
    r = api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff)
    assert r.status_code == 200, r.get_json()
    assert _kinds(app, "alpha") == ["opening_started", "award_notice"]  # the lowest price wins on equal points
    assert _kinds(app, "beta") == ["opening_started"]
    pushed = _pushed(app, code)
    assert [e for e, _ in pushed] == ["announcement", "opening", "candidates", "award"]
    opening, candidates, award = (p for e, p in pushed[1:])
    assert {row["bidder_org"]: row["price"] for row in opening["开标记录"]["bids"]} == {org(n): p for n, p in
                                                                                  PRICES.items()}
    assert [c["投标人"] for c in candidates["中标候选人"]] == [org("alpha"), org("beta"), org("gamma")]
    assert award["中标人"] == org("alpha") and award["中标价"] == "900000.00"


def test_a_failed_lot_is_pushed_and_a_refused_award_pushes_nothing(app, hall, api):
    from trading.outbox import OutboxMessage

    lot_id = hall.lot()
    for name in ("alpha", "beta"):
        hall.bidder(name)
        hall.register(lot_id, name)
        hall.bid(lot_id, name, "900000.00")
    hall.to_deadline(lot_id)
    before = _count(app, OutboxMessage)
    r = api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff)  # refused: nothing pushed
    assert r.status_code == 409
    assert _count(app, OutboxMessage) == before
    assert hall.sweep() == 1
    from tenders.models import Lot

    with app.app_context():
        code = _db.session.get(Lot, lot_id).tender.code
        _db.session.remove()
    pushed = _pushed(app, code)
    assert [e for e, _ in pushed] == ["announcement", "failure"]
    assert pushed[1][1]["流标原因"] == "投标人不足三家"


def _awarded_lot(hall, api) -> int:
    lot_id = hall.opened_lot(PRICES)
    hall.experts(5)
    members = hall.committee(lot_id)
    hall.score_all(lot_id, members, {org(n): {"tech": "40", "biz": "10"} for n in PRICES})
    assert api.post(f"/api/v1/lots/{lot_id}/publicize", user=hall.staff).status_code == 200
    return lot_id


def test_a_lot_objection_opens_an_objection_reply_deadline_that_closes_when_answered(app, hall, api, signing_keys):
    from trading.oversight.deadlines import sweep

    lot_id = _awarded_lot(hall, api)
    r = api.post(f"/api/v1/lots/{lot_id}/objections", {"reason": "第一中标候选人业绩造假"}, user="beta")
    assert r.status_code == 201, r.get_json()
    oid = r.get_json()["id"]
    with app.app_context():
        sweep()
        _db.session.commit()
        _db.session.remove()
    items = api.get("/api/v1/deadlines", user=hall.staff).get_json()["items"]
    assert [i["kind"] for i in items if i["object"] == f"objection:{oid}"] == ["objection_reply"]
    assert api.post(f"/api/v1/objections/{oid}/dismiss", {"reason": "经核查不属实"}, user=hall.staff).status_code == 200
    with app.app_context():
        sweep()
        _db.session.commit()
        _db.session.remove()
    items = api.get("/api/v1/deadlines", user=hall.staff).get_json()["items"]
    assert not [i for i in items if i["object"] == f"objection:{oid}"]


def test_the_parties_of_an_awarded_lot_rate_once(app, hall, api, signing_keys):
    lot_id = _awarded_lot(hall, api)
    r = api.post(f"/api/v1/lots/{lot_id}/rating", {"stars": 5, "comment": "服务好"}, user="alpha")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"  # not awarded yet
    clock.advance(3 * 86400 + 1)
    assert api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff).status_code == 200
    r = api.post(f"/api/v1/lots/{lot_id}/rating", {"stars": 6}, user="alpha")
    assert r.status_code == 422
    r = api.post(f"/api/v1/lots/{lot_id}/rating", {"stars": 5, "comment": "服务好"}, user="alpha")
    assert r.status_code == 201, r.get_json()
    r = api.post(f"/api/v1/lots/{lot_id}/rating", {"stars": 4}, user="alpha")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_rated"
    r = api.post(f"/api/v1/lots/{lot_id}/rating", {"stars": 2, "comment": "开标延迟"}, user=hall.owner)
    assert r.status_code == 201, r.get_json()
    r = api.post(f"/api/v1/lots/{lot_id}/rating", {"stars": 3}, user="beta")  # not the winner
    assert r.status_code == 403
