"""A tender winner's default names the registration declared in default (issue 12, finding 3, in tendering): a
repeat of the same request — or a concurrent twin that waited for the lot's row lock — answers the lot as it
stands and files nothing more, so the promoted candidate is never defaulted by accident; naming another bidder is
refused. The page sends the winner it showed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.auctions.test_concurrency import _fire, _is_pg, wide_app  # noqa: F401  (the fixture)
from tests.tenders.conftest import org
from tests.tenders.test_views import login, text
from trading import clock
from trading.extensions import db as _db

PRICES = {"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00", "delta": "1000000.00"}


def _awarded(hall, api) -> tuple[int, dict]:
    """A lot awarded to gamma (best technical points), alpha next, then beta."""
    lot_id = hall.opened_lot(PRICES)
    hall.experts(5)
    members = hall.committee(lot_id)
    tech = {"alpha": "40", "beta": "41", "gamma": "50", "delta": "30"}
    hall.score_all(lot_id, members, {org(n): {"tech": t, "biz": "10"} for n, t in tech.items()})
    assert api.post(f"/api/v1/lots/{lot_id}/publicize", user=hall.staff).status_code == 200
    clock.advance(3 * 86400 + 1)
    r = api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff)
    assert r.status_code == 200, r.get_json()
    return lot_id, r.get_json()


def _settled(app) -> tuple[int, int]:
    """(forfeited deposits, filed claims) across the lot's bidders."""
    from guarantees.models import Claim, Deposit

    with app.app_context():
        forfeits = _db.session.execute(select(func.count()).select_from(Deposit)
                                       .where(Deposit.status == "forfeited")).scalar_one()
        claims = _db.session.execute(select(func.count()).select_from(Claim)).scalar_one()
        _db.session.remove()
    return forfeits, claims


def test_a_repeat_naming_the_defaulted_winner_changes_nothing(app, hall, api, signing_keys):
    lot_id, out = _awarded(hall, api)
    gamma = out["winner"]["registration_id"]
    assert out["winner"]["bidder_org"] == org("gamma") and isinstance(gamma, int)
    body = {"reason": "拒不签订合同", "registration_id": gamma}
    r = api.post(f"/api/v1/lots/{lot_id}/winner-default", body, user=hall.staff)
    assert r.status_code == 200, r.get_json()
    first = r.get_json()
    assert first["winner"]["bidder_org"] == org("alpha")
    assert _settled(app) == (1, 0)
    # the same request again (a retry, a double click): the promoted alpha stays the winner, nothing is filed
    r = api.post(f"/api/v1/lots/{lot_id}/winner-default", body, user=hall.staff)
    assert r.status_code == 200 and r.get_json()["winner"] == first["winner"]
    assert _settled(app) == (1, 0)
    # naming somebody who is not the winner: refused, nothing changes
    beta = [c for c in api.get(f"/api/v1/lots/{lot_id}").get_json()["candidates"]
            if c["bidder_org"] == org("beta")]
    assert beta  # still a candidate
    r = api.post(f"/api/v1/lots/{lot_id}/winner-default", {"reason": "x", "registration_id": gamma + 999},
                 user=hall.staff)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    for bad in (True, "1", -1, 2**63):
        r = api.post(f"/api/v1/lots/{lot_id}/winner-default", {"reason": "x", "registration_id": bad},
                     user=hall.staff)
        assert r.status_code == 422 and r.get_json()["error"]["fields"].get("registration_id"), bad
    assert api.get(f"/api/v1/lots/{lot_id}").get_json()["winner"] == first["winner"]
    assert _settled(app) == (1, 0)


def test_naming_a_bidder_who_is_not_the_winner_is_refused(app, hall, api, signing_keys):
    lot_id, out = _awarded(hall, api)
    with app.app_context():
        from tenders.models import TenderBid
        from trading.accounts.models import User

        alpha = _db.session.execute(select(TenderBid.registration_id).join(User, User.id == TenderBid.bidder_id)
                                    .where(TenderBid.lot_id == lot_id, User.username == "alpha")).scalar_one()
        _db.session.remove()
    r = api.post(f"/api/v1/lots/{lot_id}/winner-default", {"reason": "x", "registration_id": alpha},
                 user=hall.staff)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_winner"
    assert "不是本标段当前的中标人" in r.get_json()["error"]["message"]
    assert api.get(f"/api/v1/lots/{lot_id}").get_json()["winner"]["bidder_org"] == org("gamma")
    assert _settled(app) == (0, 0)


def test_the_page_sends_the_winner_it_showed_so_a_double_submit_defaults_one(app, client, hall, api, signing_keys):
    lot_id, out = _awarded(hall, api)
    login(client, app, "staff1")
    page = text(client.get(f"/tenders/lots/{lot_id}/result"))
    assert f'name="registration_id" value="{out["winner"]["registration_id"]}"' in page
    form = {"default-reason": "拒不签订合同", "registration_id": str(out["winner"]["registration_id"])}
    for _ in range(2):
        r = client.post(f"/tenders/lots/{lot_id}/winner-default", data=form, follow_redirects=True)
        assert r.status_code == 200
    assert api.get(f"/api/v1/lots/{lot_id}").get_json()["winner"]["bidder_org"] == org("alpha")
    assert _settled(app) == (1, 0)


def test_three_simultaneous_defaults_default_one_winner(app, hall, api, signing_keys, wide_app):  # noqa: F811
    if not _is_pg(app):
        pytest.skip("needs PostgreSQL: the lot row lock across real concurrent connections")
    lot_id, out = _awarded(hall, api)
    token = api.token(hall.staff)
    body = {"reason": "拒不签订合同", "registration_id": out["winner"]["registration_id"]}
    results = _fire(wide_app, [(token, f"/api/v1/lots/{lot_id}/winner-default", body)] * 3)
    assert [s for s, _ in results] == [200, 200, 200], results
    assert {r["winner"]["bidder_org"] for _, r in results} == {org("alpha")}
    assert _settled(app) == (1, 0)
