"""Signals the guarantees package sends (docs/architecture.md): announced for the packages above it
(notifications); no receiver is required. Keyword arguments only; the sender is None."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

refund_due = _signals.signal("refund-due", doc="""A received cash deposit fell due for refund: `deposit`,
`reason`, `actor`.""")

claim_filed = _signals.signal("claim-filed", doc="""Staff filed a claim on a guarantee: `claim`, `guarantee`,
`actor`. The guarantor's users are told.""")

guarantee_forged = _signals.signal("guarantee-forged", doc="""Staff confirmed a guarantee forged (its issuer denied
issuing it): `guarantee`, `registration` (the one it secured, or None), `reason`, `actor`. trading.oversight opens a
draft credit entry (cause `forged_guarantee`) against the applicant's organisation.""")
