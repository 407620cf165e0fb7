"""Every publishable event of a listed project enqueues exactly one outbox message, of its event type, whose
payload keys are exactly those docs/data-spec.md documents for that event (trading/stats/push.py): the award at
the close, a sealed-bid opening, a failure, the certificate, an annulled award (objection upheld, or the winner's
default — once), the termination of a withdrawn project. Driven through the real services and API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.auctions.conftest import Hall
from tests.stats.data_spec_doc import AUCTION_PUSH, events_of, fields_of_event, paths
from trading import clock, outbox
from trading.extensions import db as _db

EVENTS = {"announcement", "termination", "opening", "award", "failure", "award_annulled", "certificate"}


@pytest.fixture
def hall(app, factory, api):
    return Hall(app, factory, api)


@pytest.fixture(scope="session")
def signing_keys(app):
    from certificates import keys

    with app.app_context():
        if not keys.available():
            keys.init_keys(app.config["TRADING_CENTER_NAME"])
        return keys.key_paths()


def _messages(app) -> list[outbox.OutboxMessage]:
    with app.app_context():
        rows = list(_db.session.execute(select(outbox.OutboxMessage).order_by(outbox.OutboxMessage.id)).scalars())
        for m in rows:
            _db.session.expunge(m)
        _db.session.remove()
    return rows


class Outbox:
    """The messages an action added."""

    def __init__(self, app):
        self.app = app
        self.seen = len(_messages(app))

    def new(self) -> list[outbox.OutboxMessage]:
        rows = _messages(self.app)
        out, self.seen = rows[self.seen:], len(rows)
        return out


def _one(box: Outbox, event: str, code: str) -> dict:
    """Exactly one new message, of `event`, on the project's stream, with the documented payload keys."""
    new = box.new()
    assert [m.event for m in new] == [event], [m.event for m in new]
    msg = new[0]
    assert msg.stream == f"project:{code}" and msg.payload["项目编号"] == code
    assert paths(msg.payload) == fields_of_event(AUCTION_PUSH, event), event
    return msg.payload


def _won(hall, pid: int, *bids: tuple[str, str]):
    hall.at(pid, 5)
    for who, amount in bids:
        assert hall.bid(pid, who, amount).status_code == 201
    hall.at(pid, 1, from_end=True)


def test_the_documented_events_are_the_ones_pushed():
    assert events_of(AUCTION_PUSH) == EVENTS


def test_approval_pushes_one_announcement(app, hall):
    box = Outbox(app)
    pid = hall.project()
    payload = _one(box, "announcement", hall.row(pid).code)
    assert payload["信息类型"] == "交易公告" and payload["保证金"] == "5000.00"


def test_an_auction_close_with_a_winner_pushes_one_award(app, hall):
    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.qualify(pid, "bob")
    _won(hall, pid, ("alice", "850.00"), ("bob", "870.00"))
    box = Outbox(app)
    assert hall.sweep() == 1
    payload = _one(box, "award", hall.row(pid).code)
    assert payload["成交价格"] == "870.00" and payload["受让方"] == "bob的组织" and payload["出价次数"] == 2
    assert hall.sweep() == 0 and box.new() == []  # the close is pushed once


def test_a_close_without_a_bid_pushes_one_failure(app, hall):
    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.at(pid, 1, from_end=True)
    box = Outbox(app)
    assert hall.sweep() == 1
    assert _one(box, "failure", hall.row(pid).code)["信息类型"] == "流拍公告"


def test_a_sealed_bid_close_pushes_its_opening_then_its_award(app, hall):
    pid = hall.project(method="sealed")
    for name in ("alice", "bob", "carol"):
        hall.qualify(pid, name)
    _won(hall, pid, ("alice", "900.00"), ("bob", "950.00"), ("carol", "800.00"))
    box = Outbox(app)
    assert hall.sweep() == 1
    new = box.new()
    assert [m.event for m in new] == ["opening", "award"]
    opening, award = (m.payload for m in new)
    assert paths(opening) == fields_of_event(AUCTION_PUSH, "opening")
    assert paths(award) == fields_of_event(AUCTION_PUSH, "award")
    assert opening["信息类型"] == "开标记录" and opening["有效报价数"] == 3 and award["成交价格"] == "950.00"


def test_issuing_the_certificate_pushes_one_certificate(app, hall, api, signing_keys):
    pid = hall.project()
    hall.qualify(pid, "alice")
    _won(hall, pid, ("alice", "900.00"))
    hall.sweep()
    clock.freeze(hall.row(pid).publicity_ends_at + timedelta(minutes=5))
    box = Outbox(app)
    r = api.post(f"/api/v1/projects/{pid}/certificate", user=hall.staff)
    assert r.status_code == 201, r.get_json()
    payload = _one(box, "certificate", hall.row(pid).code)
    assert payload["鉴证书编号"] == r.get_json()["number_text"] and payload["成交价格"] == "900.00"


def test_an_upheld_objection_pushes_one_award_annulled(app, hall):
    from auctions.services import annul_award
    from trading.projects.models import Project

    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.qualify(pid, "bob")
    _won(hall, pid, ("alice", "850.00"), ("bob", "870.00"))
    hall.sweep()
    box = Outbox(app)
    with app.app_context():
        annul_award(_db.session.get(Project, pid), reason="异议成立：报名材料不实", actor=hall.staff, award_next=False)
        _db.session.commit()
        _db.session.remove()
    new = box.new()
    assert [m.event for m in new] == ["award_annulled", "failure"]  # nobody next: the project fails, published
    assert new[0].payload["原因"] == "成交结果撤销：异议成立：报名材料不实"
    assert paths(new[1].payload) == fields_of_event(AUCTION_PUSH, "failure")


def test_a_winner_default_pushes_one_award_annulled(app, hall, api):
    """The default annuls the award: one message (it used to be two — one for the default, one for the annulment)."""
    pid = hall.project()
    hall.qualify(pid, "alice")
    bob = hall.qualify(pid, "bob")
    _won(hall, pid, ("alice", "850.00"), ("bob", "870.00"))
    hall.sweep()
    box = Outbox(app)
    r = api.post(f"/api/v1/projects/{pid}/winner-default", {"reason": "拒不签约", "award_next": False,
                                                            "registration_id": bob["id"]}, user=hall.staff)
    assert r.status_code == 200, r.get_json()
    new = box.new()
    assert [m.event for m in new] == ["award_annulled", "failure"]
    assert "拒不签约" in new[0].payload["原因"]


def test_a_winner_default_with_the_next_best_awarded_pushes_the_new_award(app, hall, api):
    """递补: the annulment, then the award to the next-best bidder with its price and name, in that order."""
    pid = hall.project()
    hall.qualify(pid, "alice")
    bob = hall.qualify(pid, "bob")
    _won(hall, pid, ("alice", "850.00"), ("bob", "870.00"))
    hall.sweep()
    box = Outbox(app)
    r = api.post(f"/api/v1/projects/{pid}/winner-default", {"reason": "拒不签约", "award_next": True,
                                                            "registration_id": bob["id"]}, user=hall.staff)
    assert r.status_code == 200, r.get_json()
    new = box.new()
    assert [m.event for m in new] == ["award_annulled", "award"]
    award = new[1].payload
    assert paths(award) == fields_of_event(AUCTION_PUSH, "award")
    from trading.projects.models import Project

    with app.app_context():
        p = _db.session.get(Project, pid)
        alice = p.winner.name
        assert p.winner.username == "alice"
        _db.session.remove()
    assert award["成交价格"] == "850.00" and award["受让方"] == alice


def test_withdrawing_pushes_one_termination_and_a_refused_withdrawal_none(app, hall, api):
    pid = hall.project()
    box = Outbox(app)
    r = api.post(f"/api/v1/projects/{pid}/withdraw", {"reason": "集体经济组织决议撤回"}, user=hall.owner)
    assert r.status_code == 200, r.get_json()
    assert _one(box, "termination", hall.row(pid).code)["终止原因"] == "集体经济组织决议撤回"
    r = api.post(f"/api/v1/projects/{pid}/withdraw", {"reason": "再次撤回"}, user=hall.owner)
    assert r.status_code == 409 and box.new() == []
