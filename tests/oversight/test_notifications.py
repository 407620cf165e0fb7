"""Notifications: written with their event (through the real API), the inbox API and page, outbid throttling,
won/lost, reminders from the scheduler (once with several runs)."""

from __future__ import annotations

from sqlalchemy import select

from trading.extensions import db as _db


def _kinds(app, username):
    from trading.accounts.models import Notification, User

    with app.app_context():
        uid = _db.session.execute(select(User.id).where(User.username == username)).scalar_one()
        rows = _db.session.execute(select(Notification.kind).where(Notification.user_id == uid)
                                   .order_by(Notification.id)).scalars().all()
        _db.session.remove()
    return list(rows)


def test_qualified_and_rejected_bidders_find_the_notice_in_their_inbox(hall, api):
    pid = hall.project()
    hall.qualify(pid, "alice")
    reg = hall.register(pid, "bob")
    r = api.post(f"/api/v1/registrations/{reg['id']}/reject", {"reason": "营业执照已过期"}, user=hall.staff)
    assert r.status_code == 200, r.get_json()

    alice = api.get("/api/v1/me/notifications", user="alice").get_json()
    assert [i["kind"] for i in alice["items"]] == ["registration_qualified"]
    assert alice["unread"] == 1 and alice["items"][0]["read"] is False
    bob = api.get("/api/v1/me/notifications?unread=1", user="bob").get_json()
    assert bob["items"][0]["kind"] == "registration_rejected"
    assert "营业执照已过期" in bob["items"][0]["body"]


def test_a_refused_action_writes_no_notice(hall, api):
    pid = hall.project()
    reg = hall.register(pid, "carol")
    # approving before the deposit arrived is refused: no notice either
    r = api.post(f"/api/v1/registrations/{reg['id']}/approve", user=hall.staff)
    assert r.status_code == 409
    assert _kinds(hall.app, "carol") == []


def test_mark_read_own_only_and_unread_filter(hall, api, factory):
    pid = hall.project()
    hall.qualify(pid, "alice")
    nid = api.get("/api/v1/me/notifications", user="alice").get_json()["items"][0]["id"]
    factory.user("bidder", "mallory")
    assert api.post(f"/api/v1/me/notifications/{nid}/read", user="mallory").status_code == 404
    r = api.post(f"/api/v1/me/notifications/{nid}/read", user="alice")
    assert r.status_code == 200 and r.get_json()["read"] is True
    body = api.get("/api/v1/me/notifications?unread=1", user="alice").get_json()
    assert body == {"items": [], "unread": 0}
    assert len(api.get("/api/v1/me/notifications", user="alice").get_json()["items"]) == 1
    assert api.get("/api/v1/me/notifications").status_code == 401


def _login(client, username):
    from tests.conftest import PASSWORD

    r = client.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 302


def test_inbox_page_shows_the_unread_count_in_the_navigation_and_marks_read(hall, app):
    pid = hall.project()
    hall.qualify(pid, "alice")
    client = app.test_client()
    _login(client, "alice")
    html = client.get("/projects").get_data(as_text=True)
    assert 'data-unread="1"' in html
    page = client.get("/me/notifications").get_data(as_text=True)
    assert "报名审核通过" in page and "标为已读" in page
    from trading.accounts.models import Notification

    with app.app_context():
        nid = _db.session.execute(select(Notification.id)).scalar_one()
    assert client.post(f"/me/notifications/{nid}/read").status_code == 302
    assert 'data-unread="0"' in client.get("/projects").get_data(as_text=True)


def test_outbid_at_most_once_a_minute_per_bidder_and_auction(hall, api):
    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.qualify(pid, "bob")
    hall.at(pid, 10)
    assert hall.bid(pid, "alice", "800.00").status_code == 201
    assert hall.bid(pid, "bob", "810.00").status_code == 201   # alice outbid: notice
    assert hall.bid(pid, "alice", "820.00").status_code == 201  # bob outbid: notice
    assert hall.bid(pid, "bob", "830.00").status_code == 201   # alice again within the minute: none
    assert _kinds(hall.app, "alice").count("outbid") == 1
    assert _kinds(hall.app, "bob").count("outbid") == 1
    hall.at(pid, 75)
    assert hall.bid(pid, "alice", "840.00").status_code == 201
    assert hall.bid(pid, "bob", "850.00").status_code == 201  # alice: a minute later, a second notice
    assert _kinds(hall.app, "alice").count("outbid") == 2


def test_won_and_lost_at_the_close(hall):
    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.qualify(pid, "bob")
    hall.at(pid, 10)
    hall.bid(pid, "alice", "900.00")
    hall.at(pid, 1, from_end=True)
    assert hall.sweep() >= 1
    assert "auction_won" in _kinds(hall.app, "alice")
    assert "auction_lost" in _kinds(hall.app, "bob")
    assert "auction_won" not in _kinds(hall.app, "bob")


def test_reminders_30_minutes_before_and_at_the_start_once_each(hall, app):
    from trading.oversight.jobs import auction_reminders

    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.at(pid, -40 * 60)
    with app.app_context():
        assert auction_reminders() == 0
    hall.at(pid, -29 * 60)
    with app.app_context():
        assert auction_reminders() == 1
        assert auction_reminders() == 0  # a second scheduler run writes nothing
    hall.at(pid, 5)
    with app.app_context():
        assert auction_reminders() == 1
        assert auction_reminders() == 0
    assert _kinds(app, "alice") == ["registration_qualified", "auction_starting", "auction_started"]


def test_a_sweep_after_everyone_is_reminded_costs_the_same_whatever_the_number_of_bidders(hall, app):
    """The scheduler runs the reminders every second: once every running auction's bidders are told, a sweep is
    a few grouped queries — not a look-up per bidder per auction (it used to be: 100 auctions × 64 bidders kept
    a scheduler core ~70 % busy in `make bench`)."""
    from sqlalchemy import event

    from trading.extensions import db as _db
    from trading.oversight.jobs import auction_reminders

    pids = [hall.project() for _ in range(3)]
    for pid in pids:
        for name in ("alice", "bob", "carol", "dave", "erin"):
            hall.qualify(pid, f"{name}{pid}")
    hall.at(pids[0], 5)
    with app.app_context():
        assert auction_reminders() == 15
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(_db.engine, "before_cursor_execute", count)
        try:
            assert auction_reminders() == 0
        finally:
            event.remove(_db.engine, "before_cursor_execute", count)
        assert len(statements) <= 4, statements  # candidates, qualified counts, sent counts (+ BEGIN on SQLite)
        _db.session.remove()
    assert _kinds(app, f"alice{pids[0]}") == ["registration_qualified", "auction_started"]


def test_refund_due_goes_to_staff(hall, api):
    pid = hall.project()
    reg = hall.register(pid, "dave")
    assert api.post(f"/api/v1/registrations/{reg['id']}/confirm-deposit", user=hall.staff).status_code == 200
    r = api.post(f"/api/v1/registrations/{reg['id']}/reject", {"reason": "资格不符"}, user=hall.staff)
    assert r.status_code == 200
    assert "refund_due" in _kinds(hall.app, hall.staff)



def test_certificate_issued_reaches_the_owner_and_the_winner_only(app, api, issued):
    for who in (issued["owner"], issued["winner"]):
        notes = api.get("/api/v1/me/notifications", user=who).get_json()["items"]
        [n] = [n for n in notes if n["kind"] == "certificate_issued"]
        assert issued["code"] in n["body"] and "鉴证书已出具" in n["title"]
    assert "certificate_issued" not in _kinds(app, issued["loser"])
    assert "certificate_issued" not in _kinds(app, issued["staff"])


def test_claim_filed_reaches_the_issuing_guarantors_users_only(app, api, factory, runner):
    from datetime import timedelta

    from tests.conftest import PASSWORD
    from tests.tenders.conftest import Hall as TenderHall
    from tests.tenders.conftest import _pem, guarantee
    from trading import clock

    clock.freeze(clock.now())
    th = TenderHall(app, factory, api)
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from guarantees.intake import register_guarantor

    key = ed25519.Ed25519PrivateKey.generate()
    with app.app_context():
        register_guarantor("TBANK", "测试农商银行", _pem(key), actor="staff1")
        register_guarantor("OTHER", "另一家担保公司", _pem(ed25519.Ed25519PrivateKey.generate()), actor="staff1")
        _db.session.commit()
        _db.session.remove()
    for username, code in (("banker", "TBANK"), ("other-banker", "OTHER")):
        r = runner.invoke(args=["users", "create", username, "--role", "guarantor", "--password", PASSWORD,
                                "--org", code])
        assert r.exit_code == 0, r.output
    t = th.tender()
    lot_id = t["lots"][0]["id"]
    th.bidder("alpha")
    no = guarantee(api, key, applicant="alpha", project_code=t["code"], amount="20000.00", valid_from=clock.now(),
                   valid_until=th.deadline(lot_id) + timedelta(days=91))
    r = api.post(f"/api/v1/lots/{lot_id}/registrations", {"security": {"type": "guarantee", "guarantee_no": no}},
                 user="alpha")
    assert r.status_code == 201, r.get_json()
    assert _kinds(app, "banker") == []
    r = api.post(f"/api/v1/guarantees/{no}/claims", {"reason": "投标人在有效期内撤销投标文件"}, user=th.staff)
    assert r.status_code == 201, r.get_json()
    notes = api.get("/api/v1/me/notifications", user="banker").get_json()["items"]
    assert [n["kind"] for n in notes] == ["claim_filed"]
    assert no in notes[0]["title"] and "20000.00" in notes[0]["body"] and "撤销投标文件" in notes[0]["body"]
    assert t["code"] in notes[0]["body"]
    assert _kinds(app, "other-banker") == [] and _kinds(app, "alpha") == []
