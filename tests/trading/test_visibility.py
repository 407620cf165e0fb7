"""One visibility rule: a project not yet announced (a draft, under review, withdrawn before approval) is seen
only by its owner and the center's staff, on every page and endpoint that names it."""

from __future__ import annotations

import pytest

from tests.auctions.test_views import login

TITLE = "尚未公告的南湾鱼塘"


@pytest.fixture
def unannounced(factory, api):
    _, owner = factory.user("collective", "village1")
    _, staff = factory.user("staff", "staff1")
    factory.user("bidder", "bidder1")
    draft = api.post("/api/v1/projects", factory.project_body(title=TITLE), user=owner).get_json()["id"]
    pending = api.post("/api/v1/projects", factory.project_body(title=TITLE), user=owner).get_json()["id"]
    assert api.post(f"/api/v1/projects/{pending}/submit", user=owner).status_code == 200
    return {"draft": draft, "pending": pending, "owner": owner, "staff": staff}


@pytest.mark.parametrize("which", ["draft", "pending"])
def test_a_bidder_cannot_open_the_registration_page_of_an_unannounced_project(unannounced, client, app, which):
    login(client, app, "bidder1")
    r = client.get(f"/auctions/projects/{unannounced[which]}/register")
    assert r.status_code == 404
    assert TITLE not in r.get_data(as_text=True)


@pytest.mark.parametrize("user", [None, "bidder1"])
def test_the_publicity_of_an_unannounced_project_is_refused_to_the_public(unannounced, api, user):
    r = api.get(f"/api/v1/projects/{unannounced['pending']}/publicity", user=user)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert "pending_review" not in r.get_data(as_text=True)


@pytest.mark.parametrize("user", ["village1", "staff1"])
def test_owner_and_staff_still_read_the_publicity_of_their_unannounced_project(unannounced, api, user):
    r = api.get(f"/api/v1/projects/{unannounced['pending']}/publicity", user=user)
    assert r.status_code == 200 and r.get_json()["status"] == "pending_review"


def test_the_result_of_an_unannounced_project_is_refused_to_the_public(unannounced, api):
    r = api.get(f"/api/v1/projects/{unannounced['draft']}/result")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
