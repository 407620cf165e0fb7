"""Signals the tenders package sends (docs/architecture.md): announced for the packages above it (oversight);
no receiver is required. Keyword arguments only; the sender is None."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

lot_winner_defaulted = _signals.signal("lot-winner-defaulted", doc="""The winner of a tender lot refused to sign
(中标人违约): `lot`, `registration` (the defaulting winner's registration row), `reason`, `actor` (a username).
Sent inside the default's transaction, after its guarantee was claimed or its deposit forfeited and the next
candidate awarded; trading.oversight opens a draft credit entry (cause `winner_default`, linked to the tender
code) against the winner's organisation.""")
