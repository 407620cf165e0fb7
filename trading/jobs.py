"""The sweep: every package registers its due-work jobs; the scheduler runs them each second."""

from __future__ import annotations

import logging
from collections.abc import Callable

from trading.extensions import db

log = logging.getLogger("tradehall.scheduler")

# (name, fn) pairs; fn() does due work and returns how many transitions it made.
# Each fn commits per transition itself and must be idempotent (several schedulers may run).
JOBS: list[tuple[str, Callable[[], int]]] = []


def register(name: str, fn: Callable[[], int]) -> None:
    if all(n != name for n, _ in JOBS):
        JOBS.append((name, fn))


def sweep() -> dict[str, int]:
    """Run every registered job once; a failing job is logged and rolled back, the others still run."""
    done: dict[str, int] = {}
    for name, fn in JOBS:
        try:
            done[name] = fn() or 0
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
            done[name] = -1
        finally:
            db.session.remove()
    return done
