"""Fault fixtures: the auction hall driver (shared with tests/auctions)."""

from __future__ import annotations

import pytest

from tests.auctions.conftest import Hall


@pytest.fixture
def hall(app, factory, api):
    return Hall(app, factory, api)
