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
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "跳过" in again.output
    assert len(db.session.execute(select(Project.id)).all()) == len(projects)
    from trading import audit

    assert audit.verify()["ok"] is True
