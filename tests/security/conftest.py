"""Security fixtures: switch the (per-app) rate limiter on for one test, with fresh counters."""

from __future__ import annotations

import pytest

from tests.auctions.conftest import Hall


@pytest.fixture
def limits_on(app):
    from trading.security import limiter

    before = app.config["RATELIMIT_ENABLED"]
    app.config["RATELIMIT_ENABLED"] = True
    limiter.reset()
    try:
        yield limiter
    finally:
        app.config["RATELIMIT_ENABLED"] = before
        limiter.reset()


@pytest.fixture
def hall(app, factory, api):
    return Hall(app, factory, api)
