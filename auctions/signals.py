"""Signals the auctions package sends about registrations and awards (docs/architecture.md).

The bid security (guarantees, cash deposits) belongs to the guarantees package, which sits above auctions:
it connects a receiver to each of these signals in its init_app (guarantees/receivers.py). Every signal
carries keyword arguments only; the sender is None.
"""

from __future__ import annotations

from blinker import Namespace

from trading.signals import answer

_signals = Namespace()

registration_created = _signals.signal("registration-created", doc="""A bidder registered: `registration`,
`guarantee_no` (None for a cash deposit), `actor`. The receiver attaches the guarantee (raising refuses the
registration) or opens the deposit.""")

deposit_confirmed = _signals.signal("deposit-confirmed", doc="""Staff recorded that the cash deposit of
`registration` arrived: `registration`, `actor`.""")

registration_rejected = _signals.signal("registration-rejected", doc="""Staff rejected `registration`:
`registration`, `actor`, `reason`. Its security is released.""")

registration_withdrawn = _signals.signal("registration-withdrawn", doc="""The bidder withdrew
`registration`: `registration`, `actor`, `reason`. Its security is released.""")

project_closed = _signals.signal("project-closed", doc="""Bidding closed: `project`, `winner` (the winning
registration or None), `actor`. Every security but the winner's is released.""")

award_annulled = _signals.signal("award-annulled", doc="""An award was annulled through no fault of the
winner (an upheld objection): `registration` (the former winner's), `actor`, `reason`. Its security is
released.""")

winner_defaulted = _signals.signal("winner-defaulted", doc="""The winner refused to sign: `registration`,
`reason`, `actor`. Its guarantee is claimed or its deposit forfeited.""")

security_ready_asked = _signals.signal("security-ready-asked", doc="""A question: is the security of
`registration` in place (guarantee attached, deposit received)? One receiver answers True or False.""")

award_reassigned = _signals.signal("award-reassigned", doc="""A question: the next-best bidder was awarded
(递补): `registration`, `actor`. One receiver holds its security again and answers whether it could.""")

award_moved = _signals.signal("award-moved", doc="""After an annulled award (an upheld objection, a winner's default):
`project` as it now stands — re-awarded to the next-best bidder (递补; `registration` is theirs) or failed
(`registration` None) —, `actor`. Announced for publication (the push outbox); no receiver is required.""")

registration_qualified = _signals.signal("registration-qualified", doc="""Staff qualified `registration`:
`registration`, `actor`. Announced for notifications; no receiver is required.""")

bid_placed = _signals.signal("bid-placed", doc="""An open-auction bid was accepted inside the bid transaction:
`project_id`, `bidder_id`, `previous_leader_id` (None for the first bid), `amount`, `ends_at`. Announced for
notifications (outbid); no receiver is required.""")

NEEDED = (registration_created, deposit_confirmed, registration_rejected, registration_withdrawn, project_closed,
          award_annulled, winner_defaulted, security_ready_asked, award_reassigned)


def security_ready(registration) -> bool:
    return bool(answer(security_ready_asked, registration=registration))


def hold_for_award(registration, actor: str) -> bool:
    return bool(answer(award_reassigned, registration=registration, actor=actor))
