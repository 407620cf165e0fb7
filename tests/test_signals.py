"""The packages react to each other through blinker signals; a receiver that is renamed or never connected
must fail here, not silently skip a release of bid security in production."""

from __future__ import annotations

import pytest

from auctions import signals as auction_signals
from trading import create_app
from trading.projects import signals as project_signals
from trading.signals import Unwired, answer

NEEDED = (*auction_signals.NEEDED, *project_signals.NEEDED)


def _push_receivers() -> dict:
    """The publishing receivers of trading.stats.push (the outbox), by signal: one more receiver each."""
    from trading.stats.push import RECEIVERS

    out: dict = {}
    for signal, fn in RECEIVERS:
        out.setdefault(signal, []).append(fn)
    return out


def _flow_receivers(signal) -> int:
    pushed = _push_receivers().get(signal, [])
    return sum(1 for r in signal.receivers.values() if r() not in pushed)


def test_every_signal_the_flow_needs_has_exactly_one_receiver_once_the_app_is_created(app):
    assert len(NEEDED) == 10
    for signal in NEEDED:
        assert _flow_receivers(signal) == 1, signal.name
    for signal, fns in _push_receivers().items():
        assert all(fn in [r() for r in signal.receivers.values()] for fn in fns), signal.name


def test_creating_another_app_does_not_connect_a_receiver_twice(app, tmp_path):
    create_app({**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "TRADING_KEYS_DIR")},
                "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}"})
    for signal in NEEDED:
        assert _flow_receivers(signal) == 1, signal.name
    for signal, fns in _push_receivers().items():
        assert len(signal.receivers) == len(fns) + (signal in NEEDED), signal.name


def test_a_question_without_its_receiver_fails_loudly():
    from blinker import Namespace

    lonely = Namespace().signal("lonely-question")
    with pytest.raises(Unwired):
        answer(lonely, registration=None)
