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

project_announced = _signals.signal("project-announced", doc="""Staff approved `project`: its announcement
(交易公告) is published. `project`, `actor`. Received by the push outbox (trading.stats.push).""")

project_withdrawn = _signals.signal("project-withdrawn", doc="""`project` was withdrawn before bidding
(终止公告): `project`, `actor`, `reason`. Received by the push outbox (trading.stats.push).""")

NEEDED = (deal_completed,)
