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


def _flow_receivers(signal) -> list:
    """The receivers that move the flow (bid security); oversight's notices and the push outbox only listen."""
    pushed = _push_receivers().get(signal, [])
    return [r for r in signal.receivers_for(None)
            if not r.__module__.startswith("trading.oversight") and r not in pushed]


def test_every_signal_the_flow_needs_has_exactly_one_receiver_once_the_app_is_created(app):
    assert len(NEEDED) == 10
    for signal in NEEDED:
        assert len(_flow_receivers(signal)) == 1, signal.name
    # questions are answered by exactly one receiver, notices or not
    for question in (auction_signals.security_ready_asked, auction_signals.award_reassigned):
        assert len(question.receivers) == 1, question.name


def test_oversight_listens_for_its_notices(app):
    from guarantees import signals as guarantee_signals
    from tenders import signals as tender_signals

    for signal in (tender_signals.lot_winner_defaulted, auction_signals.registration_qualified, auction_signals.registration_rejected,
                   auction_signals.bid_placed, auction_signals.project_closed, auction_signals.winner_defaulted,
                   project_signals.deal_completed, guarantee_signals.refund_due, guarantee_signals.claim_filed,
                   guarantee_signals.guarantee_forged):
        assert [r.__module__ for r in signal.receivers_for(None)].count("trading.oversight.receivers") == 1, signal.name
    for signal, fns in _push_receivers().items():
        assert all(fn in list(signal.receivers_for(None)) for fn in fns), signal.name


def test_creating_another_app_does_not_connect_a_receiver_twice(app, tmp_path):
    create_app({**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "TRADING_KEYS_DIR")},
                "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}"})
    for signal in NEEDED:
        assert len(_flow_receivers(signal)) == 1, signal.name
        assert len(signal.receivers) == len(set(signal.receivers)), signal.name
    # guarantees' and oversight's, and the push outbox's, once each
    assert len(auction_signals.project_closed.receivers) == 2 + len(_push_receivers().get(auction_signals.project_closed, []))


def test_a_question_without_its_receiver_fails_loudly():
    from blinker import Namespace

    lonely = Namespace().signal("lonely-question")
    with pytest.raises(Unwired):
        answer(lonely, registration=None)


def test_tenders_receives_the_signals_its_lots_depend_on_exactly_once(app, tmp_path):
    """An upheld objection to a lot's candidate, an award notice sent to verification and an expert created on the
    command line reach tenders once — also after a second app is created (a receiver connected twice would strike
    two candidates)."""
    from certificates import signals as certificate_signals
    from trading.accounts import signals as account_signals

    tender_signals = (certificate_signals.objection_resolved, certificate_signals.verify_unrecognised,
                      certificate_signals.objection_subject, certificate_signals.paper_page,
                      account_signals.user_created)
    create_app({**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "TRADING_KEYS_DIR")},
                "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}"})
    for signal in tender_signals:
        modules = [r.__module__ for r in signal.receivers_for(None)]
        assert [m for m in modules if m.startswith("tenders.")] and len(modules) == len(set(signal.receivers)), signal.name
        assert len([m for m in modules if m.startswith("tenders.")]) == 1, signal.name
