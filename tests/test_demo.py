"""The demo county loads through the public API and holds a project in every status."""

from collections import Counter

from sqlalchemy import select

from trading.projects.models import Project
from trading.projects.services import effective_status


def test_demo_loads_every_status_once_and_is_idempotent(app, runner, db):
    assert runner.invoke(args=["keys", "init"]).exit_code == 0
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "演示账号" in first.output and "center" in first.output
    projects = db.session.execute(select(Project)).scalars().all()
    statuses = Counter(effective_status(p).value for p in projects)
    assert set(statuses) == {"draft", "pending_review", "announced", "bidding", "awarded", "failed",
                             "certified", "withdrawn"}, statuses
    assert statuses["certified"] == 3
    from tenders.models import Lot
    from tenders.services import lot_status

    lots = Counter(lot_status(lot) for lot in db.session.execute(select(Lot)).scalars())
    assert set(lots) == {"announced", "bidding", "opening", "evaluating", "publicity", "awarded", "failed"}, lots
    from tenders.services import submitted_count

    (failed,) = [lot for lot in db.session.execute(select(Lot)).scalars() if lot_status(lot) == "failed"]
    assert submitted_count(failed.id) == 2  # fewer than three bids
    from tenders.models import ExpertProfile

    assert len(db.session.execute(select(ExpertProfile)).scalars().all()) >= 5
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "跳过" in again.output
    assert len(db.session.execute(select(Project.id)).all()) == len(projects)
    from trading import audit

    assert audit.verify()["ok"] is True


def test_demo_has_oversight_data(app, runner, db):
    from trading.accounts.models import CreditEntry, Notification, User
    from trading.oversight.models import DeadlineItem, Rating

    assert runner.invoke(args=["keys", "init"]).exit_code == 0
    out = runner.invoke(args=["demo"])
    assert out.exit_code == 0, out.output
    assert "supervisor" in out.output
    entries = db.session.execute(select(CreditEntry.status)).scalars().all()
    assert sorted(entries) == ["active", "repaired"]
    cards = set(db.session.execute(select(DeadlineItem.card).where(DeadlineItem.closed_at.is_(None))).scalars())
    assert {"yellow", "red"} <= cards
    users = db.session.execute(select(User.id)).scalars().all()
    with_notes = set(db.session.execute(select(Notification.user_id)).scalars())
    assert set(users) == with_notes
    ratings = db.session.execute(select(Rating)).scalars().all()
    assert any(r.stars <= 2 and r.answer for r in ratings) and any(r.stars <= 2 and not r.answer for r in ratings)
    assert db.session.execute(select(User.role).where(User.username == "supervisor")).scalar_one() == "supervisor"
