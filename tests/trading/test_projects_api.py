"""docs/api.md "Projects": fields, status codes and error codes exactly."""

from datetime import timedelta

import pytest

from tests.conftest import iso
from trading import clock


@pytest.fixture
def people(factory):
    factory.user("collective", "village1")
    factory.user("collective", "village2")
    factory.user("staff", "staff1")
    factory.user("bidder", "bidder1")
    return factory


def test_collective_creates_a_draft_with_a_readable_code(api, people):
    r = api.post("/api/v1/projects", people.project_body(), user="village1")
    assert r.status_code == 201
    body = r.get_json()
    assert body["status"] == "draft"
    assert body["code"].startswith("NC-") and body["code"].endswith("-0001")
    assert body["area_mu"] == "44.27" and body["start_price"] == "800.00"
    assert body["reserve_price"] == "850.00"  # the owner sees its reserve
    assert body["announce_start"].endswith("+08:00")
    r2 = api.post("/api/v1/projects", people.project_body(kind="procurement", direction="descending",
                                                          price_unit="total", reserve_price=None,
                                                          budget="900.00"), user="village1")
    assert r2.status_code == 201, r2.get_json()
    assert r2.get_json()["code"].startswith("GG-")


def test_every_bad_field_is_reported_at_once(api, people):
    body = people.project_body(kind="spaceship", start_price="-5", increment="abc", term_years="five")
    del body["title"]
    r = api.post("/api/v1/projects", body, user="village1")
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["code"] == "validation_error"
    assert set(err["fields"]) >= {"kind", "start_price", "increment", "term_years", "title"}
    assert api.get("/api/v1/projects?mine=1", user="village1").get_json()["total"] == 0


def test_per_mu_year_requires_area_and_term(api, people):
    r = api.post("/api/v1/projects", people.project_body(area_mu=None, term_years=None), user="village1")
    assert r.status_code == 422
    assert set(r.get_json()["error"]["fields"]) == {"area_mu", "term_years"}


@pytest.mark.parametrize("change", [
    {"registration_end_days": 8},          # registration after bidding_end
    {"bidding_start_days": -1},            # bidding in the past
    {"bidding_start_days": 3},             # shorter than the 5-day announcement
    {"bidding_end_offset": -2},            # bidding_end before bidding_start
])
def test_windows_out_of_order_or_too_short_are_invalid_window(api, people, change):
    t = clock.now()
    start = t + timedelta(days=change.get("bidding_start_days", 6))
    body = people.project_body(
        registration_end=iso(t + timedelta(days=change.get("registration_end_days", 5))),
        bidding_start=iso(start),
        bidding_end=iso(start + timedelta(hours=change.get("bidding_end_offset", 1))))
    r = api.post("/api/v1/projects", body, user="village1")
    assert r.status_code == 422
    assert r.get_json()["error"]["code"] == "invalid_window"


def test_announce_start_in_the_past_is_allowed(api, people):
    t = clock.now()
    body = people.project_body(announce_start=iso(t - timedelta(days=3)))
    assert api.post("/api/v1/projects", body, user="village1").status_code == 201


def test_naive_time_is_refused(api, people):
    body = people.project_body(bidding_start="2030-05-01T09:00:00")
    r = api.post("/api/v1/projects", body, user="village1")
    assert r.status_code == 422
    assert "bidding_start" in r.get_json()["error"]["fields"]


def test_full_review_cycle_and_audit(api, people):
    pid = api.post("/api/v1/projects", people.project_body(), user="village1").get_json()["id"]
    r = api.post(f"/api/v1/projects/{pid}/submit", user="village1")
    assert r.status_code == 200 and r.get_json()["status"] == "pending_review"
    r = api.post(f"/api/v1/projects/{pid}/reject", {"reason": "面积与权证不符"}, user="staff1")
    assert r.status_code == 200 and r.get_json()["status"] == "draft"
    assert r.get_json()["reject_reason"] == "面积与权证不符"
    api.post(f"/api/v1/projects/{pid}/submit", user="village1")
    r = api.post(f"/api/v1/projects/{pid}/approve", user="staff1")
    assert r.status_code == 200 and r.get_json()["status"] == "announced"
    v = api.get("/api/v1/audit/verify", user="staff1").get_json()
    assert v["ok"] is True and v["entries"] >= 5


def test_moves_the_status_does_not_allow_are_409_invalid_state(api, people):
    pid = api.post("/api/v1/projects", people.project_body(), user="village1").get_json()["id"]
    r = api.post(f"/api/v1/projects/{pid}/approve", user="staff1")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    assert api.get(f"/api/v1/projects/{pid}", user="village1").get_json()["status"] == "draft"


def test_roles_and_ownership(api, people):
    pid = api.post("/api/v1/projects", people.project_body(), user="village1").get_json()["id"]
    assert api.post("/api/v1/projects", people.project_body(), user="bidder1").status_code == 403
    assert api.post("/api/v1/projects", people.project_body()).status_code == 401
    r = api.post(f"/api/v1/projects/{pid}/submit", user="village2")
    assert r.status_code == 403
    assert api.get(f"/api/v1/projects/{pid}", user="village2").status_code == 403
    assert api.post(f"/api/v1/projects/{pid}/approve", user="village1").status_code == 403
    assert api.get("/api/v1/projects/999999").status_code == 404


def test_staff_lists_on_behalf_of_a_collective(api, people):
    r = api.post("/api/v1/projects", people.project_body(owner="village2"), user="staff1")
    assert r.status_code == 201
    assert r.get_json()["owner_username"] == "village2"
    r = api.post("/api/v1/projects", people.project_body(owner="bidder1"), user="staff1")
    assert r.status_code == 422


def test_withdraw_before_bidding_only(api, people, announced):
    pid = announced["id"]
    r = api.post(f"/api/v1/projects/{pid}/withdraw", {"reason": ""}, user="village1")
    assert r.status_code == 422
    clock.freeze(clock.now() + timedelta(days=6, hours=1, minutes=1))
    r = api.post(f"/api/v1/projects/{pid}/withdraw", {"reason": "村民会议决议撤回"}, user="village1")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    clock.freeze(None)
    r = api.post(f"/api/v1/projects/{pid}/withdraw", {"reason": "村民会议决议撤回"}, user="village1")
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"


def test_status_follows_the_clock_before_the_scheduler(api, announced):
    pid = announced["id"]
    assert api.get(f"/api/v1/projects/{pid}").get_json()["status"] == "announced"
    clock.freeze(clock.now() + timedelta(days=6, hours=1))
    assert api.get(f"/api/v1/projects/{pid}").get_json()["status"] == "bidding"
    clock.freeze(clock.now() + timedelta(hours=1))
    # no bids by the end: the clock implies a failed auction
    assert api.get(f"/api/v1/projects/{pid}").get_json()["status"] == "failed"


def test_public_reads_hide_reserve_and_drafts(api, people, announced):
    body = api.get(f"/api/v1/projects/{announced['id']}").get_json()
    assert "reserve_price" not in body
    assert "reserve_price" not in api.get(f"/api/v1/projects/{announced['id']}", user="bidder1").get_json()
    api.post("/api/v1/projects", people.project_body(title="未公告草稿"), user="village1")
    listing = api.get("/api/v1/projects").get_json()
    assert listing["total"] == 1 and listing["page"] == 1
    assert all(item["title"] != "未公告草稿" for item in listing["items"])


def test_list_search_filters_and_pagination(api, people):
    for i in range(5):
        pid = api.post("/api/v1/projects", people.project_body(title=f"鱼塘承包{i}", location="中渡镇大兆村"),
                       user="village1").get_json()["id"]
        api.post(f"/api/v1/projects/{pid}/submit", user="village1")
        api.post(f"/api/v1/projects/{pid}/approve", user="staff1")
    r = api.get("/api/v1/projects?q=鱼塘&per_page=2&page=3").get_json()
    assert r["total"] == 5 and r["page"] == 3 and len(r["items"]) == 1
    assert api.get("/api/v1/projects?town=中渡镇").get_json()["total"] == 5
    assert api.get("/api/v1/projects?kind=procurement").get_json()["total"] == 0
    assert api.get("/api/v1/projects?status=announced").get_json()["total"] == 5
    assert api.get("/api/v1/projects?status=nonsense").status_code == 422


def test_malformed_json_is_400_and_wrong_type_is_422(api, people):
    tok = api.token("village1")
    r = api.client.post("/api/v1/projects", data="{not json", headers={"Authorization": f"Bearer {tok}",
                                                                       "Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "malformed_json"
    r = api.post("/api/v1/projects", ["a", "list"], user="village1")
    assert r.status_code == 422
    r = api.post("/api/v1/projects", people.project_body(title=123), user="village1")
    assert r.status_code == 422 and "title" in r.get_json()["error"]["fields"]


def test_relist_a_failed_project_as_a_linked_draft(api, announced):
    pid = announced["id"]
    clock.freeze(clock.now() + timedelta(days=7))
    assert api.get(f"/api/v1/projects/{pid}").get_json()["status"] == "failed"
    clock.freeze(None)
    r = api.post(f"/api/v1/projects/{pid}/relist", user="village1")
    assert r.status_code == 409  # not failed yet under the real clock
