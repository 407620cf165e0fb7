"""Rate limits answer 429 with a Chinese message on login, token, self-registration, auction registration and bids.

Bids and auction registrations are counted per user (bearer token or session), so one bidder's flood does not
lock out the others behind the same address.
"""

from __future__ import annotations

from trading.security import RATE_LIMITS


def _limit_count(endpoint: str) -> int:
    return int(RATE_LIMITS[endpoint].split()[0])


def _assert_chinese_429(resp, api: bool) -> None:
    assert resp.status_code == 429
    if api:
        body = resp.get_json()
        assert body["error"]["code"] == "rate_limited" and "频繁" in body["error"]["message"]
    else:
        assert "频繁" in resp.get_data(as_text=True)


def test_login_page_is_limited(app, client, limits_on, monkeypatch):
    # the endpoint's own limit, apart from the tighter throttle on failed logins (test_login_throttle.py)
    monkeypatch.setitem(app.config, "TRADING_LOGIN_FAILURES_PER_IP", "1000 per minute")
    n = _limit_count("auth.login")
    codes = [client.post("/login", data={"username": "nobody", "password": "x"}).status_code for _ in range(n)]
    assert 429 not in codes
    _assert_chinese_429(client.post("/login", data={"username": "nobody", "password": "x"}), api=False)


def test_self_registration_page_is_limited(client, limits_on):
    n = _limit_count("auth.register")
    codes = [client.post("/register", data={"username": "x"}).status_code for _ in range(n)]
    assert 429 not in codes
    _assert_chinese_429(client.post("/register", data={"username": "x"}), api=False)


def test_token_limit_is_per_address_and_chinese(client, limits_on):
    n = _limit_count("api.token")
    for _ in range(n):
        client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"})
    _assert_chinese_429(client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"}), api=True)


def test_auction_registration_is_limited_per_user(hall, api, limits_on):
    pid = hall.project()
    hall.bidder("flooder")
    hall.bidder("calm")
    api.token("flooder"), api.token("calm")
    n = _limit_count("auctions_api.register")
    url = f"/api/v1/projects/{pid}/registrations"
    codes = [api.post(url, {"security": {"type": "deposit"}}, user="flooder").status_code for _ in range(n)]
    assert codes[0] == 201 and set(codes[1:]) == {409}  # already_registered, but each one counted
    _assert_chinese_429(api.post(url, {"security": {"type": "deposit"}}, user="flooder"), api=True)
    # another bidder from the same address is not affected
    assert api.post(url, {"security": {"type": "deposit"}}, user="calm").status_code == 201


def test_bids_are_limited_per_user_not_per_address(hall, api, limits_on):
    pid = hall.project()
    hall.qualify(pid, "fast")
    hall.qualify(pid, "other")
    api.token("fast"), api.token("other")
    hall.at(pid, 10)
    n = _limit_count("auctions_api.place_bid")
    codes = [hall.bid(pid, "fast", "1").status_code for _ in range(n)]  # invalid amounts: 409/422, but counted
    assert 429 not in codes
    _assert_chinese_429(hall.bid(pid, "fast", "800.00"), api=True)
    assert hall.bid(pid, "other", "800.00").status_code == 201
    assert hall.row(pid).bid_count == 1  # the limited request changed nothing


def test_room_bid_form_is_limited_per_session(hall, app, limits_on):
    pid = hall.project()
    hall.qualify(pid, "webby")
    hall.at(pid, 10)
    c = app.test_client()
    assert c.post("/login", data={"username": "webby", "password": "passw0rd-test"}).status_code == 302
    n = _limit_count("auctions.bid")
    codes = [c.post(f"/auctions/projects/{pid}/bid", data={"amount": "1"}).status_code for _ in range(n)]
    assert 429 not in codes
    r = c.post(f"/auctions/projects/{pid}/bid", data={"amount": "800.00"})
    assert r.status_code == 429


def test_limits_off_by_switch(client, app):
    assert app.config["RATELIMIT_ENABLED"] is False
    codes = {client.post("/api/v1/auth/token", json={"username": "n", "password": "x"}).status_code
             for _ in range(40)}
    assert codes == {401}


def test_oversized_ids_are_404_not_a_driver_overflow(client):
    """Found by schemathesis: /projects/<20+ digits> overflowed the driver (500 on SQLite, 503 on PostgreSQL)."""
    for url in ("/api/v1/projects/9180947589035134893948928", "/api/v1/projects/2147483648/auction",
                "/api/v1/registrations/99999999999"):
        r = client.get(url)
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found", url
    assert client.get("/api/v1/projects/2147483647").status_code == 404  # in range: looked up, not found
    assert client.get("/projects/99999999999999999999").status_code == 404


def test_public_objections_and_verification_uploads_are_limited(client, limits_on):
    n = _limit_count("certificates_api.lodge")
    for _ in range(n):
        client.post("/api/v1/projects/1/objections", json={"grounds": "x"})
    _assert_chinese_429(client.post("/api/v1/projects/1/objections", json={"grounds": "x"}), api=True)
    n = _limit_count("certificates_api.verify")
    for _ in range(n):
        client.post("/api/v1/certificates/verify", data=b"%PDF-1.4 x", content_type="application/pdf")
    _assert_chinese_429(client.post("/api/v1/certificates/verify", data=b"%PDF-1.4 x",
                                    content_type="application/pdf"), api=True)


def test_tender_api_registration_and_bids_are_limited_per_user(hall, api, limits_on):
    """The tender API's registration and sealed-bid endpoints are limited like their page twins (per user)."""
    hall.bidder("flood_t")
    hall.bidder("calm_t")
    for endpoint, method, url in (("tenders_api.register", api.post, "/api/v1/lots/999999/registrations"),
                                  ("tenders_api.put_bid", api.put, "/api/v1/lots/999999/bid")):
        n = _limit_count(endpoint)
        codes = [method(url, {}, user="flood_t").status_code for _ in range(n)]  # unknown lot: 404, but counted
        assert 429 not in codes and set(codes) == {404}, codes
        _assert_chinese_429(method(url, {}, user="flood_t"), api=True)
        assert method(url, {}, user="calm_t").status_code == 404  # another bidder is not affected
