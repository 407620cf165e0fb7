"""Fixtures for statistics: deals inserted directly with historic dates, and the luzhai dataset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trading.clock import BEIJING
from trading.extensions import db as _db


def bj(y, m, d, h=10, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=BEIJING).astimezone(UTC)


class Deals:
    """Inserts projects as the closing job would have left them (no API: the dates are historic)."""

    def __init__(self, app, factory):
        self.app, self.factory, self.n = app, factory, 0
        self.owner_id, _ = factory.user("collective", "village_s")
        self.winner_id, _ = factory.user("bidder", "winner_s")

    def add(self, *, kind="rural_land", direction="ascending", unit="total", area=None, term=None,
            start="1000.00", budget=None, final="1100.00", awarded=None, status="awarded", town="寨沙镇",
            approved=None, title="测试项目") -> int:
        from trading.projects.models import Project

        self.n += 1
        awarded = awarded or bj(2025, 3, 1)
        approved = approved or awarded - timedelta(days=10)
        with self.app.app_context():
            p = Project(code=f"T-{self.n:04d}", kind=kind, title=title, location=f"鹿寨县{town}某村", town=town,
                        method="auction", direction=direction, price_unit=unit,
                        area_mu=Decimal(area) if area else None, term_years=term, start_price=Decimal(start),
                        budget=Decimal(budget) if budget else None, increment=Decimal("1.00"),
                        deposit=Decimal("100.00"), extension_seconds=300, announce_start=approved,
                        registration_end=awarded - timedelta(days=1), bidding_start=awarded - timedelta(hours=1),
                        bidding_end=awarded, ends_at=awarded, status=status, owner_id=self.owner_id,
                        approved_at=approved, bid_count=3)
            if final is not None and status in ("awarded", "certified"):
                p.final_price = Decimal(final)
                p.current_price = Decimal(final)
                p.awarded_at = awarded
                p.closed_at = awarded
                p.winner_id = self.winner_id
                p.publicity_ends_at = awarded + timedelta(days=5)
            elif status == "failed":
                p.closed_at = awarded
            _db.session.add(p)
            _db.session.commit()
            pid = p.id
            _db.session.remove()
        return pid


@pytest.fixture
def deals(app, factory):
    return Deals(app, factory)


@pytest.fixture
def staff(factory):
    return factory.user("staff", "staff_s")[1]


@pytest.fixture
def login(app, client):
    """Sign a user in the way Flask-Login keeps a session (independent of the login page)."""

    def do(username: str):
        from sqlalchemy import select

        from trading.accounts.models import User

        with app.app_context():
            uid = _db.session.execute(select(User.id).where(User.username == username)).scalar_one()
            _db.session.remove()
        with client.session_transaction() as sess:
            sess["_user_id"] = str(uid)
            sess["_fresh"] = True
    return do


@pytest.fixture
def luzhai(app):
    """The reproduction dataset, loaded through the same function as `demo --dataset luzhai-2025h1`."""
    from trading.demo.datasets import load_luzhai_2025h1

    with app.app_context():
        assert load_luzhai_2025h1() is True
        _db.session.remove()
