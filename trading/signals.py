"""How a lower package lets the packages above it react: blinker signals (docs/architecture.md).

A package defines the signals it sends in its own signals.py; the reacting package connects its receivers in
its init_app. Most signals announce an event and ignore answers. A few ask a question the package above
answers (is this bid security in place?): `answer` requires exactly one receiver, so a receiver that was
renamed or never connected fails loudly instead of being skipped.
"""

from __future__ import annotations

from typing import Any

from blinker import NamedSignal


class Unwired(RuntimeError):
    """A signal that needs exactly one receiver has none, or more than one."""


def answer(signal: NamedSignal, **kwargs: Any) -> Any:
    results = signal.send(None, **kwargs)
    if len(results) != 1:
        raise Unwired(f"signal {signal.name!r} has {len(results)} receivers; exactly one must answer")
    return results[0][1]
