"""Every guarantees URL × every role: nobody gets a 5xx, and each role gets only what the table allows."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

ROLES = ("anonymous", "bidder", "collective", "staff", "guarantor")
ALL = frozenset(ROLES)
STAFF = frozenset({"staff"})
READERS = frozenset({"bidder", "guarantor", "staff"})
BANK = frozenset({"guarantor"})

ACCESS = {
    ("POST", "/api/v1/guarantors"): STAFF,
    ("GET", "/api/v1/guarantors"): STAFF,
    ("GET", "/api/v1/guarantors/<code>"): frozenset({"staff", "guarantor"}),
    ("POST", "/api/v1/guarantors/<code>/keys"): STAFF,
    ("POST", "/api/v1/guarantors/<code>/keys/<int:key_id>/retire"): STAFF,
    ("POST", "/api/v1/guarantees"): ALL,
    ("GET", "/api/v1/guarantees"): READERS,
    ("GET", "/api/v1/guarantees/<no>"): READERS,
    ("GET", "/api/v1/guarantees/<no>/check"): frozenset({"bidder"}),
    ("POST", "/api/v1/guarantees/<no>/claims"): STAFF,
    ("POST", "/api/v1/guarantees/<no>/repudiate"): BANK,
    ("POST", "/api/v1/guarantees/<no>/confirm-forged"): STAFF,
    ("GET", "/api/v1/claims"): frozenset({"guarantor", "staff"}),
    ("POST", "/api/v1/claims/<int:claim_id>/pay"): BANK,
    ("POST", "/api/v1/claims/<int:claim_id>/reject"): BANK,
    ("GET", "/api/v1/deposits"): STAFF,
    ("POST", "/api/v1/deposits/<int:deposit_id>/refund"): STAFF,
    ("GET", "/guarantees/mine"): frozenset({"bidder"}),
    ("GET", "/guarantees/view/<no>"): READERS,
    ("POST", "/guarantees/view/<no>/claim"): STAFF,
    ("POST", "/guarantees/view/<no>/repudiate"): BANK,
    ("POST", "/guarantees/view/<no>/forged"): STAFF,
    ("GET", "/guarantor"): BANK,
    ("POST", "/guarantor/claims/<int:claim_id>/pay"): BANK,
    ("POST", "/guarantor/claims/<int:claim_id>/reject"): BANK,
    ("GET", "/staff/guarantees"): STAFF,
    ("POST", "/staff/guarantors"): STAFF,
    ("GET", "/staff/deposits"): STAFF,
    ("POST", "/staff/deposits/<int:deposit_id>/refund"): STAFF,
}
CASES = [(m, r, role) for (m, r) in ACCESS for role in ROLES]


def test_the_table_covers_every_guarantees_route(app):
    mine = {(m, r.rule) for r in app.url_map.iter_rules() if r.endpoint.startswith("guarantees")
            for m in (r.methods or set()) - {"HEAD", "OPTIONS"}}
    assert mine == set(ACCESS)


@pytest.mark.parametrize(("method", "rule", "role"), CASES, ids=[f"{m} {r} {role}" for m, r, role in CASES])
def test_each_role_gets_only_what_the_table_allows(app, client, api, factory, method, rule, role):
    from .test_views import login

    if role != "anonymous":
        factory.user(role, role)
    url = rule.replace("<int:key_id>", "1").replace("<int:claim_id>", "1").replace("<int:deposit_id>", "1")
    url = url.replace("<code>", "X-0000").replace("<no>", "X-0000")
    is_api = url.startswith("/api/")
    headers = {}
    if role != "anonymous":
        if is_api:
            headers["Authorization"] = f"Bearer {api.token(role, PASSWORD)}"
        else:
            login(app, client, role)
    body = {"json": {}} if is_api else {"data": {}}
    r = client.open(url, method=method, headers=headers, **(body if method == "POST" else {}))
    assert r.status_code < 500
    to_login = r.status_code == 302 and "/login" in r.headers.get("Location", "")
    if role in ACCESS[(method, rule)]:
        assert r.status_code not in (401, 403)
        assert not to_login
    elif is_api:
        assert r.status_code == (401 if role == "anonymous" else 403)
        assert r.get_json()["error"]["code"]
    else:
        assert r.status_code in (401, 403) or to_login
