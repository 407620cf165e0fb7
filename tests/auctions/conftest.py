"""Auction fixtures: announced projects, qualified bidders, and a way to move the clock into the window."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from trading import clock
from trading.extensions import db as _db


class Hall:
    """Drives the real API: list + approve projects, register, confirm deposits, qualify bidders."""

    def __init__(self, app, factory, api):
        self.app, self.factory, self.api = app, factory, api
        _, self.owner = factory.user("collective", "village1")
        _, self.staff = factory.user("staff", "staff1")

    def project(self, **over) -> int:
        r = self.api.post("/api/v1/projects", self.factory.project_body(**over), user=self.owner)
        assert r.status_code == 201, r.get_json()
        pid = r.get_json()["id"]
        assert self.api.post(f"/api/v1/projects/{pid}/submit", user=self.owner).status_code == 200
        r = self.api.post(f"/api/v1/projects/{pid}/approve", user=self.staff)
        assert r.status_code == 200, r.get_json()
        return pid

    def bidder(self, name: str) -> str:
        return self.factory.user("bidder", name)[1]

    def register(self, pid: int, name: str) -> dict:
        self.bidder(name)
        r = self.api.post(f"/api/v1/projects/{pid}/registrations", {"security": {"type": "deposit"}}, user=name)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def qualify(self, pid: int, name: str) -> dict:
        reg = self.register(pid, name)
        r = self.api.post(f"/api/v1/registrations/{reg['id']}/confirm-deposit", user=self.staff)
        assert r.status_code == 200, r.get_json()
        r = self.api.post(f"/api/v1/registrations/{reg['id']}/approve", user=self.staff)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def row(self, pid: int):
        from trading.projects.models import Project

        with self.app.app_context():
            p = _db.session.get(Project, pid)
            _db.session.expunge(p)
            _db.session.remove()
        return p

    def at(self, pid: int, seconds: float = 0, *, from_end: bool = False):
        """Freeze the clock `seconds` after bidding_start (or relative to the current ends_at)."""
        p = self.row(pid)
        base = (p.ends_at or p.bidding_end) if from_end else p.bidding_start
        clock.freeze(base + timedelta(seconds=seconds))
        return clock.now()

    def bid(self, pid: int, name: str, amount, **kw):
        return self.api.post(f"/api/v1/projects/{pid}/bids", {"amount": amount}, user=name, **kw)

    def sweep(self):
        from auctions import jobs

        with self.app.app_context():
            n = jobs.open_due() + jobs.close_due()
            _db.session.remove()
        return n


def shows_amount(text: str, amount: str) -> bool:
    """Whether `amount` ("912") appears in `text` as a number of its own ("912", "912.00", "912.00元"), not as digits
    inside another one (a timestamp's microseconds, a random bidder number), which made plain substring checks
    fail by chance."""
    return re.search(rf"(?<![\d.]){re.escape(amount)}(?:\.\d+)?(?!\d)", text) is not None


@pytest.fixture
def hall(app, factory, api):
    return Hall(app, factory, api)
