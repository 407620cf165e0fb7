"""The guarantees package's answers to the auctions and projects signals (connected in guarantees.init_app)."""

from __future__ import annotations

from auctions import signals as auction_signals
from auctions.registrations import registration_of
from guarantees import services
from trading.projects import signals as project_signals


def _created(_sender, *, registration, guarantee_no, actor) -> None:
    if guarantee_no is not None:
        services.verify_and_attach(guarantee_no=guarantee_no, registration=registration, actor=actor)
    else:
        services.open_deposit(registration, actor)


def _deposit_confirmed(_sender, *, registration, actor) -> None:
    services.confirm_deposit(registration, actor)


def _released(_sender, *, registration, actor, reason) -> None:
    services.release_security(registration, actor, reason)


def _project_closed(_sender, *, project, winner, actor) -> None:
    services.on_project_closed(project, winner, actor)


def _winner_defaulted(_sender, *, registration, reason, actor) -> None:
    services.on_winner_default(registration, reason, actor)


def _security_ready(_sender, *, registration) -> bool:
    return bool(services.security_ready(registration))


def _award_reassigned(_sender, *, registration, actor) -> bool:
    return bool(services.hold_for_award(registration, actor))


def _deal_completed(_sender, *, project, actor) -> None:
    reg = registration_of(project.id, project.winner_id) if project.winner_id is not None else None
    if reg is not None:
        services.on_deal_completed(reg, actor)


def connect() -> None:
    """Connecting the same function again is a no-op (blinker keys receivers by identity): apps built
    one after another in one process (the tests) keep one receiver per signal."""
    auction_signals.registration_created.connect(_created)
    auction_signals.deposit_confirmed.connect(_deposit_confirmed)
    auction_signals.registration_rejected.connect(_released)
    auction_signals.registration_withdrawn.connect(_released)
    auction_signals.award_annulled.connect(_released)
    auction_signals.project_closed.connect(_project_closed)
    auction_signals.winner_defaulted.connect(_winner_defaulted)
    auction_signals.security_ready_asked.connect(_security_ready)
    auction_signals.award_reassigned.connect(_award_reassigned)
    project_signals.deal_completed.connect(_deal_completed)
