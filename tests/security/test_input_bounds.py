"""Issue 12, findings 2, 11, 12 and the minor `term_years: true`: input at the edges answers a Chinese 4xx, never a
500, and changes nothing; redirects stay on this site."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from trading import clock
from trading.extensions import db as _db

HUGE = str(2**63)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _projects(app) -> int:
    from trading.models import Project

    with app.app_context():
        n = _db.session.execute(select(func.count(Project.id))).scalar_one()
        _db.session.remove()
    return n


@pytest.fixture
def people(factory):
    factory.user("collective", "village1")
    factory.user("staff", "staff1")
    factory.user("bidder", "coop1")
    return factory


def _login(client, username):
    r = client.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 302


# ------------------------------------------------------------------ finding 2: instants near year 1 or 9999

@pytest.mark.parametrize(("field", "value"), [
    ("bidding_end", "9999-12-31T20:00:00Z"),
    ("bidding_end", "2100-01-01T00:00:00Z"),
    ("announce_start", "0001-01-01T00:00:00+14:00"),
    ("announce_start", "1999-12-31T23:59:59Z"),
    ("registration_end", "9999-12-31T23:59:59-12:00"),
])
def test_an_instant_outside_2000_to_2100_is_a_chinese_validation_error_and_stores_nothing(app, api, people,
                                                                                         field, value):
    r = api.post("/api/v1/projects", people.project_body(**{field: value}), user="village1")
    assert r.status_code == 422, r.get_data(as_text=True)
    err = r.get_json()["error"]
    assert err["code"] == "validation_error"
    assert field in err["fields"] and "2000" in err["fields"][field] and CJK.search(err["fields"][field])
    assert _projects(app) == 0
    # the staff review queue stays readable
    client = app.test_client()
    _login(client, "staff1")
    assert client.get("/staff/review").status_code == 200


def test_the_same_bounds_apply_to_a_draft_update(app, api, people):
    r = api.post("/api/v1/projects", people.project_body(), user="village1")
    pid, stored = r.get_json()["id"], r.get_json()["bidding_end"]
    r = api.put(f"/api/v1/projects/{pid}", people.project_body(bidding_end="9999-12-31T20:00:00Z"), user="village1")
    assert r.status_code == 422
    assert "bidding_end" in r.get_json()["error"]["fields"]
    assert api.get(f"/api/v1/projects/{pid}", user="village1").get_json()["bidding_end"] == stored


def test_the_project_form_refuses_far_dates_with_a_message_beside_the_field(app, client, people):
    _login(client, "village1")
    t = clock.now().replace(second=0, microsecond=0) + timedelta(minutes=1)

    def local(x):
        return x.astimezone(clock.BEIJING).strftime("%Y-%m-%dT%H:%M")

    data = {"kind": "rural_land", "title": "龙田村耕地经营权出租", "location": "寨沙镇龙田村", "town": "",
            "description": "", "method": "auction", "direction": "ascending", "price_unit": "total",
            "area_mu": "", "term_years": "", "start_price": "800", "reserve_price": "", "budget": "",
            "increment": "10", "deposit": "0", "extension_seconds": "300", "announce_start": local(t),
            "registration_end": local(t + timedelta(days=6)), "bidding_start": local(t + timedelta(days=6, hours=1)),
            "bidding_end": "9999-12-31T23:59", "priority_holders": ""}
    r = client.post("/my/projects/new", data=data)
    assert r.status_code == 200
    assert "2000" in r.get_data(as_text=True)
    data.update(bidding_end=local(t + timedelta(days=6, hours=2)), announce_start="0001-01-01T00:00")
    r = client.post("/my/projects/new", data=data)
    assert r.status_code == 200
    assert "2000" in r.get_data(as_text=True)
    assert _projects(app) == 0


def test_a_response_that_cannot_be_built_commits_nothing(app, api, people, monkeypatch):
    """The API builds its answer before it commits: a serialisation failure leaves no draft behind."""
    import trading.api

    def broken(*a, **kw):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(trading.api, "project_json", broken)
    r = api.post("/api/v1/projects", people.project_body(), user="village1")
    assert r.status_code == 500
    assert _projects(app) == 0


# ------------------------------------------------------------------ finding 11: unbounded integers, deep JSON

@pytest.mark.parametrize("url", [
    "/api/v1/projects?page=" + HUGE,
    "/api/v1/projects?per_page=" + HUGE,
    "/api/v1/projects?page=-" + HUGE,
])
def test_a_page_number_beyond_the_bounds_is_422_in_chinese(api, people, url):
    r = api.get(url)
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["code"] == "validation_error" and CJK.search(err["message"])


def test_room_and_bid_history_bound_their_integers(api, announced):
    pid = announced["id"]
    for url in (f"/api/v1/projects/{pid}/auction?since={HUGE}", f"/api/v1/projects/{pid}/auction?since=-1",
                f"/api/v1/projects/{pid}/bids?page={HUGE}"):
        r = api.get(url)
        assert r.status_code == 422, url
        assert r.get_json()["error"]["code"] == "validation_error" and CJK.search(r.get_json()["error"]["message"])
    assert api.get(f"/api/v1/projects/{pid}/auction?since=3").status_code == 200


def test_pages_clamp_a_huge_page_number(client, announced):
    assert client.get("/projects?page=" + HUGE).status_code == 200
    assert client.get(f"/auctions/projects/{announced['id']}/result?page=" + HUGE).status_code in (200, 302)
    _login(client, announced["staff"])
    for url in ("/staff/certificates?page=", "/staff/guarantees?page=", "/staff/deposits?page="):
        assert client.get(url + HUGE).status_code == 200, url


def test_a_100000_deep_json_body_is_400_malformed_json(api, people):
    body = "[" * 100_000 + "]" * 100_000
    r = api.client.post("/api/v1/projects", data=body, content_type="application/json",
                        headers=api._headers("village1", None))
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "malformed_json"


def test_stats_of_the_year_9999_is_a_chinese_422(client):
    r = client.get("/api/v1/stats?from=9999-12-31&to=9999-12-31")
    assert r.status_code == 422
    assert "from" in r.get_json()["error"]["fields"] or "to" in r.get_json()["error"]["fields"]
    r = client.get("/stats?from=9999-12-31&to=9999-12-31")
    assert r.status_code in (200, 400, 422)
    assert "2000" in r.get_data(as_text=True)
    r = client.get("/api/v1/stats?from=0001-01-01&to=0001-01-02")
    assert r.status_code == 422


# ------------------------------------------------------------------ minor: booleans are not integers

@pytest.mark.parametrize("field", ["term_years", "extension_seconds", "max_extensions"])
def test_a_boolean_is_not_an_integer(app, api, people, field):
    r = api.post("/api/v1/projects", people.project_body(**{field: True}), user="village1")
    assert r.status_code == 422
    assert field in r.get_json()["error"]["fields"]
    assert _projects(app) == 0


# ------------------------------------------------------------------ finding 12: no open redirect

@pytest.mark.parametrize("referer", [
    "https://evil.example/phish", "//evil.example/x", "/\\evil.example/x", "http://localhost.evil.example/x",
    "javascript:alert(1)", "/\t/evil.example",
])
def test_a_missing_object_never_redirects_off_site(client, people, referer):
    r = client.get("/auctions/projects/999999/room", headers={"Referer": referer})
    assert r.status_code == 302
    location = r.headers["Location"]
    assert location == "/" or (location.startswith("/") and not location.startswith(("//", "/\\"))), location
    assert "evil" not in location
    _login(client, "staff1")  # certificates/views.py: resolving an objection goes back to the Referer
    r = client.post("/staff/objections/999999/resolve", data={"action": "dismiss", "reason": "x"},
                    headers={"Referer": referer})
    assert r.status_code == 302 and "evil" not in r.headers["Location"]


def test_a_missing_object_goes_back_to_a_same_site_referer(client, people):
    r = client.get("/auctions/projects/999999/room", headers={"Referer": "http://localhost/projects?page=2"})
    assert r.status_code == 302
    assert r.headers["Location"] == "/projects?page=2"


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example/x", "https://evil.example/"])
def test_login_next_stays_on_site(client, people, target):
    r = client.post("/login?next=" + target, data={"username": "coop1", "password": PASSWORD})
    assert r.status_code == 302
    assert "evil" not in r.headers["Location"]


def test_deep_json_is_also_refused_by_the_guarantee_intake(client):
    r = client.post("/api/v1/guarantees", data="{\"document\": " + "[" * 50_000 + "]" * 50_000 + "}",
                    content_type="application/json")
    assert r.status_code == 400
    assert json.loads(r.get_data())["error"]["code"] == "malformed_json"


# ------------------------------------------------------------------ minor: 405 carries Allow (RFC 9110 §15.5.6)

def test_every_api_405_lists_the_allowed_methods(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    seen = 0
    for path, ops in spec["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        declared = {m.upper() for m in ops}
        for method in sorted({"GET", "POST", "PUT", "DELETE", "PATCH"} - declared):
            r = client.open(url, method=method)
            if r.status_code != 405:
                continue
            seen += 1
            allow = {m.strip() for m in r.headers.get("Allow", "").split(",") if m.strip()}
            assert declared <= allow, (method, path, r.headers.get("Allow"))
            assert r.get_json()["error"]["code"] == "method_not_allowed"
    assert seen >= 30


def test_the_openapi_document_states_the_bounds_and_every_error_status(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    projects = spec["paths"]["/api/v1/projects"]["get"]
    page = next(p for p in projects["parameters"] if p["name"] == "page")
    assert page["schema"]["minimum"] == 1 and page["schema"]["maximum"] >= 1000
    since = next(p for p in spec["paths"]["/api/v1/projects/{project_id}/auction"]["get"]["parameters"]
                 if p["name"] == "since")
    assert since["schema"]["maximum"] < 2**63
    verify = spec["paths"]["/api/v1/certificates/verify"]["post"]["responses"]
    assert {"413", "415", "422", "429"} <= set(verify)
    for ops in spec["paths"].values():
        for op in ops.values():
            assert {"400", "401", "404", "405", "422"} <= set(op["responses"])
    body = spec["components"]["schemas"]["ProjectIn"]["properties"]["bidding_end"]
    assert "2100" in json.dumps(body, ensure_ascii=False)


def test_deep_json_to_the_rooms_bid_form_is_400_not_500(client, announced, factory):
    factory.user("bidder", "deep1")
    _login(client, "deep1")
    body = "[" * 100_000 + "]" * 100_000
    r = client.post(f"/auctions/projects/{announced['id']}/bid", data=body, content_type="application/json")
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "malformed_json"


def test_an_instant_stored_before_the_bounds_is_still_shown_exactly_not_a_500():
    """Rows written before the bounds existed (a 9999 bidding_end) must not take the review queue down."""
    from datetime import UTC, datetime

    far = datetime(9999, 12, 31, 20, 0, tzinfo=UTC)
    assert clock.isoformat(far) == "9999-12-31T20:00:00+00:00"
    assert clock.display(far) == "9999-12-31 20:00 UTC"
    assert clock.isoformat(datetime(2026, 5, 1, 1, 0, tzinfo=UTC)) == "2026-05-01T09:00:00+08:00"


def test_the_review_queue_survives_a_far_date_stored_before_the_bounds(app, api, people):
    from datetime import UTC, datetime

    from trading.models import Project

    pid = api.post("/api/v1/projects", people.project_body(), user="village1").get_json()["id"]
    assert api.post(f"/api/v1/projects/{pid}/submit", user="village1").status_code == 200
    with app.app_context():
        _db.session.get(Project, pid).bidding_end = datetime(9999, 12, 31, 20, 0, tzinfo=UTC)
        _db.session.commit()
        _db.session.remove()
    client = app.test_client()
    _login(client, "staff1")
    r = client.get("/staff/review")
    assert r.status_code == 200
    assert "9999-12-31 20:00" in r.get_data(as_text=True)
