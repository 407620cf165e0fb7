"""Awarded tender lots are public-resource deals in the statistics (issue 14, point 8): counted by award date
beside the auctions, amounts and budgets summed, the savings rate a ratio of sums; the statistics page and the
results export list them."""

from __future__ import annotations

from tests.tenders.conftest import org
from trading import clock

PRICES = {"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"}


def _q() -> str:
    d = clock.now().astimezone(clock.BEIJING).date()
    return f"from={d.replace(day=1).isoformat()}&to={d.replace(year=d.year + 1).isoformat()}"


def _award(hall, api) -> int:
    lot_id = hall.opened_lot(PRICES)
    hall.experts(5)
    members = hall.committee(lot_id)
    hall.score_all(lot_id, members, {org(n): {"tech": "40", "biz": "10"} for n in PRICES})
    assert api.post(f"/api/v1/lots/{lot_id}/publicize", user=hall.staff).status_code == 200
    clock.advance(3 * 86400 + 1)
    return lot_id


def test_an_awarded_lot_is_a_public_resource_deal_from_its_award_date(app, hall, api, signing_keys):
    lot_id = _award(hall, api)
    before = api.get(f"/api/v1/stats?{_q()}").get_json()["public_resource"]
    assert before["deals"] == 0  # evaluated and publicised, not yet awarded: no deal
    assert api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff).status_code == 200
    public = api.get(f"/api/v1/stats?{_q()}").get_json()["public_resource"]
    assert public == {"deals": 1, "total_amount": "900000.00", "budget": "1000000.00", "savings": "100000.00",
                      "savings_rate": "0.1000"}
    d = clock.now().astimezone(clock.BEIJING).date()
    yesterday = d.fromordinal(d.toordinal() - 1).isoformat()
    earlier = api.get(f"/api/v1/stats?from={d.replace(day=1).isoformat() if d.day > 1 else yesterday}"
                      f"&to={yesterday}").get_json()["public_resource"]
    assert earlier["deals"] == 0  # counted on the award date, not before


def test_the_statistics_page_and_the_results_export_list_the_lot(app, hall, api, client, signing_keys):
    lot_id = _award(hall, api)
    assert api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff).status_code == 200
    page = client.get(f"/stats?{_q()}").get_data(as_text=True)
    assert "90.00万元" in page and "10.00万元" in page and "10.00%" in page  # amount, savings, savings rate
    csv = client.get(f"/stats/export/results.csv?{_q()}").get_data(as_text=True)
    (line,) = [row for row in csv.splitlines() if "第1标段" in row]
    assert "成交" in line and "900000.00" in line and "100000.00" in line and org("alpha") in line
