"""Deadlines (红黄牌): working days from chinese-calendar, yellow at 80 %, red when overdue, once each with several
schedulers; the responsible staff and the supervisor are told; GET /api/v1/deadlines; time-limit statistics."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from trading import clock
from trading.extensions import db as _db
from trading.oversight import rules


def test_working_days_skip_the_national_day_holiday_and_count_the_adjusted_saturday():
    start = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # Wednesday 10:00 Beijing, the day before 国庆
    due = rules.add_working_days(start, 3)
    # 1–7 October are holidays; 8 and 9 October are working days, and so is Saturday 10 October (调休)
    assert due.astimezone(rules.BEIJING) == datetime(2026, 10, 10, 10, 0, tzinfo=rules.BEIJING)
    assert rules.due_at(start, rules.parse_limit("5d")) == start + timedelta(days=5)
    assert rules.due_at(start, rules.parse_limit("24h")) == start + timedelta(hours=24)


def test_a_year_without_calendar_data_falls_back_to_monday_to_friday():
    start = datetime(2031, 1, 3, 2, 0, tzinfo=UTC)  # a Friday
    assert not rules.calendar_known(start.date())
    assert rules.add_working_days(start, 1).astimezone(rules.BEIJING).date().isoformat() == "2031-01-06"


def test_cards_and_bad_limits():
    s = datetime(2026, 11, 2, tzinfo=UTC)
    d = s + timedelta(hours=10)
    assert rules.card(s, d, s + timedelta(hours=7, minutes=59)) == "none"
    assert rules.card(s, d, s + timedelta(hours=8)) == "yellow"
    assert rules.card(s, d, d) == "yellow"
    assert rules.card(s, d, d + timedelta(seconds=1)) == "red"
    for bad in ("", "3", "0wd", "3 weeks", "-1d"):
        with pytest.raises(rules.LimitError):
            rules.parse_limit(bad)


def _submitted(factory, api):
    _, owner = factory.user("collective", "village1")
    r = api.post("/api/v1/projects", factory.project_body(), user=owner)
    pid = r.get_json()["id"]
    assert api.post(f"/api/v1/projects/{pid}/submit", user=owner).status_code == 200
    return pid


def _sweep(app):
    from trading.oversight.deadlines import sweep

    with app.app_context():
        n = sweep()
        _db.session.remove()
    return n


def _item(app):
    from trading.oversight.models import DeadlineItem

    with app.app_context():
        item = _db.session.execute(select(DeadlineItem)).scalar_one()
        _db.session.expunge(item)
        _db.session.remove()
    return item


def _kinds(app, username):
    from trading.accounts.models import Notification, User

    with app.app_context():
        uid = _db.session.execute(select(User.id).where(User.username == username)).scalar_one()
        out = list(_db.session.execute(select(Notification.kind).where(Notification.user_id == uid)
                                       .order_by(Notification.id)).scalars())
        _db.session.remove()
    return out


def _make_supervisor(app, factory, name="super1"):
    from trading.accounts.models import User

    factory.user("supervisor", name)
    with app.app_context():
        assert _db.session.execute(select(User.role).where(User.username == name)).scalar_one() == "supervisor"
        _db.session.remove()


def test_listing_review_goes_yellow_then_red_once_each_and_closes_with_who_did_it(app, factory, api):
    factory.user("staff", "staff1")
    _make_supervisor(app, factory)
    pid = _submitted(factory, api)
    _sweep(app)
    item = _item(app)
    assert (item.kind, item.object, item.card) == ("listing_review", f"project:{pid}", "none")
    assert item.due_at == rules.add_working_days(item.started_at, 3)
    span = item.due_at - item.started_at
    clock.freeze(item.started_at + span * 0.81)
    _sweep(app)
    _sweep(app)
    assert _item(app).card == "yellow"
    assert _kinds(app, "staff1") == ["deadline_yellow"] and _kinds(app, "super1") == ["deadline_yellow"]
    body = api.get("/api/v1/deadlines", user="super1").get_json()
    assert [(i["kind"], i["card"], i["responsible"]) for i in body["items"]] == [
        ("listing_review", "yellow", "role:staff")]
    clock.freeze(item.due_at + timedelta(minutes=1))
    _sweep(app)
    _sweep(app)
    assert _item(app).card == "red"
    assert _kinds(app, "staff1") == ["deadline_yellow", "deadline_red"]
    assert _kinds(app, "super1") == ["deadline_yellow", "deadline_red"]
    r = api.post(f"/api/v1/projects/{pid}/reject", {"reason": "面积与权证不符"}, user="staff1")
    assert r.status_code == 200, r.get_json()
    _sweep(app)
    closed = _item(app)
    assert closed.closed_at is not None and closed.closed_by == "staff1"
    assert api.get("/api/v1/deadlines", user="staff1").get_json()["items"] == []
    from trading.oversight.deadlines import statistics

    with app.app_context():
        stats = statistics()
    assert stats["per_kind"]["listing_review"]["late"] == 1
    assert stats["per_person"]["staff1"]["count"] == 1


def test_deadlines_api_roles(app, factory, api):
    factory.user("bidder", "b1")
    factory.user("staff", "s1")
    assert api.get("/api/v1/deadlines", user="b1").status_code == 403
    assert api.get("/api/v1/deadlines", user="s1").status_code == 200
    assert api.get("/api/v1/deadlines").status_code == 401


def test_two_schedulers_open_and_warn_once(app, factory, api):
    from trading.accounts.models import Notification
    from trading.oversight.models import DeadlineItem

    factory.user("staff", "staff1")
    _make_supervisor(app, factory)
    for _ in range(3):
        _submitted(factory, api)
    barrier = threading.Barrier(2)
    errors = []
    at = clock.now() + timedelta(days=30)

    def scheduler():
        try:
            barrier.wait()
            _sweep(app)
            clock.freeze(at)  # both threads share the frozen clock: all three items overdue
            _sweep(app)
            _sweep(app)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        assert len(_db.session.execute(select(DeadlineItem)).scalars().all()) == 3
        reds = _db.session.execute(select(Notification).where(Notification.kind == "deadline_red")).scalars().all()
        assert len(reds) == 6  # three items × (staff1, super1)
        _db.session.remove()


def test_certificate_issue_item_closes_with_the_issuer(app, factory, api, signing_keys):
    from tests.certificates.conftest import make_awarded

    out = make_awarded(app, factory, api)
    clock.freeze(out["publicity_ends_at"] + timedelta(minutes=5))
    _sweep(app)
    item = _item(app)
    assert (item.kind, item.object, item.closed_at) == ("certificate_issue", f"project:{out['id']}", None)
    assert api.post(f"/api/v1/projects/{out['id']}/certificate", user=out["staff"]).status_code == 201
    _sweep(app)
    assert _item(app).closed_by == out["staff"]
