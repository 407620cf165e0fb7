"""Electronic guarantees (电子保函) as bid security of a lot, through award and a winner's default: at award the
other bidders' guarantees are released and the winner's stays attached; when the winner defaults its guarantee is
claimed (one claim, filed) and the promoted candidate's guarantee is held again."""

from __future__ import annotations

from datetime import timedelta

from tests.tenders.conftest import guarantee, org
from trading import clock

PRICES = {"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00", "delta": "1000000.00"}


def _lot_secured_by_guarantees(hall, api, tbank) -> tuple[int, dict[str, str]]:
    """An opened lot whose four bidders registered with a guarantee each (bidder → guarantee number)."""
    t = hall.tender()
    lot_id, code = t["lots"][0]["id"], t["code"]
    deadline = hall.deadline(lot_id)
    numbers = {}
    for name, price in PRICES.items():
        hall.bidder(name)
        no = guarantee(api, tbank, applicant=name, project_code=code, amount="20000.00",
                       valid_from=clock.now(), valid_until=deadline + timedelta(days=91))
        r = api.post(f"/api/v1/lots/{lot_id}/registrations",
                     {"security": {"type": "guarantee", "guarantee_no": no}}, user=name)
        assert r.status_code == 201 and r.get_json()["security_ready"] is True, r.get_json()
        assert hall.bid(lot_id, name, price).status_code == 200
        numbers[name] = no
    hall.to_deadline(lot_id)
    for name in PRICES:
        assert hall.decrypt(lot_id, name).status_code == 200
    return lot_id, numbers


def _states(api, staff, numbers: dict[str, str]) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """bidder → (guarantee status, [(claim status, amount)]) as staff read them from the API."""
    out = {}
    for name, no in numbers.items():
        r = api.get(f"/api/v1/guarantees/{no}", user=staff)
        assert r.status_code == 200, r.get_json()
        g = r.get_json()
        out[name] = (g["status"], [(c["status"], c["amount"]) for c in g["claims"]])
    return out


def test_guarantees_released_at_award_claimed_at_default_and_held_for_the_next(app, hall, api, tbank, signing_keys):
    lot_id, numbers = _lot_secured_by_guarantees(hall, api, tbank)
    assert {s for s, _ in _states(api, hall.staff, numbers).values()} == {"attached"}  # held through evaluation
    hall.experts(5)
    members = hall.committee(lot_id)
    hall.score_all(lot_id, members, {org(n): {"tech": t, "biz": "10"}
                                     for n, t in {"alpha": "40", "beta": "41", "gamma": "50", "delta": "30"}.items()})
    assert api.post(f"/api/v1/lots/{lot_id}/publicize", user=hall.staff).status_code == 200
    assert {s for s, _ in _states(api, hall.staff, numbers).values()} == {"attached"}  # publicity: still held
    clock.advance(3 * 86400 + 1)
    r = api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff)
    assert r.status_code == 200 and r.get_json()["winner"]["bidder_org"] == org("gamma"), r.get_json()

    # award: the winner's guarantee stays attached until signing; every other bidder's is released
    assert _states(api, hall.staff, numbers) == {"gamma": ("attached", []), "alpha": ("released", []),
                                                 "beta": ("released", []), "delta": ("released", [])}
    mine = api.get(f"/api/v1/guarantees/{numbers['beta']}", user="beta").get_json()
    assert mine["status"] == "released" and mine["close_reason"]  # the bidder sees it released, with the reason

    # the winner defaults: one claim filed on its guarantee for the full amount; alpha (next candidate) is held again
    r = api.post(f"/api/v1/lots/{lot_id}/winner-default", {"reason": "拒不签订合同"}, user=hall.staff)
    assert r.status_code == 200 and r.get_json()["winner"]["bidder_org"] == org("alpha"), r.get_json()
    assert _states(api, hall.staff, numbers) == {"gamma": ("claimed", [("filed", "20000.00")]),
                                                 "alpha": ("attached", []), "beta": ("released", []),
                                                 "delta": ("released", [])}
    claims = api.get("/api/v1/claims", user=hall.staff).get_json()["items"]
    assert [(c["guarantee_no"], c["status"]) for c in claims] == [(numbers["gamma"], "filed")]
