from datetime import timedelta

from trading import clock


def test_token_for_good_credentials_and_401_for_bad(api, factory):
    factory.user("bidder", "coop1")
    r = api.client.post("/api/v1/auth/token", json={"username": "coop1", "password": "passw0rd-test"})
    assert r.status_code == 200
    assert set(r.get_json()) >= {"token", "role"} and r.get_json()["role"] == "bidder"
    r = api.client.post("/api/v1/auth/token", json={"username": "coop1", "password": "wrong"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "bad_credentials"
    r = api.client.post("/api/v1/auth/token", json={"username": "ghost", "password": "x"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "bad_credentials"


def test_tokens_expire_and_can_be_revoked(api, factory):
    factory.user("collective", "v1")
    tok = api.token("v1")
    h = {"Authorization": f"Bearer {tok}"}
    assert api.client.get("/api/v1/projects?mine=1", headers=h).status_code == 200
    assert api.client.post("/api/v1/projects/1/submit", headers={"Authorization": "Bearer nope"}).status_code == 401
    clock.freeze(clock.now() + timedelta(days=31))
    assert api.client.post("/api/v1/projects/1/submit", headers=h).status_code == 401
    clock.freeze(None)
    assert api.client.post("/api/v1/auth/revoke", headers=h).status_code == 200
    assert api.client.post("/api/v1/projects/1/submit", headers=h).status_code == 401


def test_repeated_failed_logins_lock_the_account(api, factory, app):
    factory.user("bidder", "coop2")
    for _ in range(app.config["TRADING_MAX_FAILED_LOGINS"]):
        api.client.post("/api/v1/auth/token", json={"username": "coop2", "password": "wrong"})
    r = api.client.post("/api/v1/auth/token", json={"username": "coop2", "password": "passw0rd-test"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "bad_credentials"  # locked, told like a bad password
    clock.freeze(clock.now() + timedelta(seconds=app.config["TRADING_LOCKOUT_SECONDS"] + 1))
    r = api.client.post("/api/v1/auth/token", json={"username": "coop2", "password": "passw0rd-test"})
    assert r.status_code == 200


def test_tokens_are_stored_hashed(api, factory, db):
    from trading.models import ApiToken

    factory.user("bidder", "coop3")
    tok = api.token("coop3")
    stored = db.session.query(ApiToken).one().token_hash
    assert tok not in stored and len(stored) == 64
