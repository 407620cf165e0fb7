"""Signals about a project's life that packages above projects send and others receive (docs/architecture.md).

`deal_completed` is sent by the certificates package when the certificate is issued (the project's last life
step, "certify") and received by the guarantees package. It is defined here, in the lowest package both
know, because guarantees sits below certificates and may not import it.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

deal_completed = _signals.signal("deal-completed", doc="""The deal of `project` is complete (certificate
issued): `project`, `actor`. The winner's guarantee is released and its cash deposit applied to the price.""")

NEEDED = (deal_completed,)
