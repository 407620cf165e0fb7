"""The packages react to each other through blinker signals; a receiver that is renamed or never connected
must fail here, not silently skip a release of bid security in production."""

from __future__ import annotations

import pytest

from auctions import signals as auction_signals
from trading import create_app
from trading.projects import signals as project_signals
from trading.signals import Unwired, answer

NEEDED = (*auction_signals.NEEDED, *project_signals.NEEDED)


def test_every_signal_the_flow_needs_has_exactly_one_receiver_once_the_app_is_created(app):
    assert len(NEEDED) == 10
    for signal in NEEDED:
        assert len(signal.receivers) == 1, signal.name


def test_creating_another_app_does_not_connect_a_receiver_twice(app, tmp_path):
    create_app({**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "TRADING_KEYS_DIR")},
                "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}"})
    for signal in NEEDED:
        assert len(signal.receivers) == 1, signal.name


def test_a_question_without_its_receiver_fails_loudly():
    from blinker import Namespace

    lonely = Namespace().signal("lonely-question")
    with pytest.raises(Unwired):
        answer(lonely, registration=None)
