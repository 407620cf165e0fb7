"""Bid security goes through the guarantees package (agreed interface in guarantees/services.py).

This module only resolves that interface at call time, so the auctions package never holds guarantee
logic of its own and the two packages can be built in parallel.
"""

from __future__ import annotations

from types import ModuleType


def gs() -> ModuleType:
    from guarantees import services

    return services


def verify_and_attach(*, guarantee_no: str, registration, actor: str):
    return gs().verify_and_attach(guarantee_no=guarantee_no, registration=registration, actor=actor)


def open_deposit(registration, actor: str):
    return gs().open_deposit(registration, actor)


def confirm_deposit(registration, actor: str):
    return gs().confirm_deposit(registration, actor)


def security_ready(registration) -> bool:
    return bool(gs().security_ready(registration))


def release_security(registration, actor: str, reason: str) -> None:
    gs().release_security(registration, actor, reason)


def on_project_closed(project, winner, actor: str) -> None:
    gs().on_project_closed(project, winner, actor)


def on_winner_default(registration, reason: str, actor: str) -> None:
    gs().on_winner_default(registration, reason, actor)


def hold_for_award(registration, actor: str) -> bool:
    return bool(gs().hold_for_award(registration, actor))
