"""Issue 12 finding 8: logging out and changing the password end what they should (a per-user session version)."""

from __future__ import annotations

from tests.conftest import PASSWORD

NEW = "n3w-passw0rd"


def _login(client, username: str, password: str = PASSWORD) -> None:
    r = client.post("/login", data={"username": username, "password": password})
    assert r.status_code == 302, r.get_data(as_text=True)


def _signed_in(client) -> bool:
    r = client.get("/password")  # a login_required page
    return r.status_code == 200


def _cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_cookie_saved_before_logout_no_longer_signs_in(app, client, factory):
    factory.user("bidder", "sess_a")
    _login(client, "sess_a")
    saved = _cookie(client)
    assert _signed_in(client)
    client.post("/logout")
    assert not _signed_in(client)

    thief = app.test_client()
    thief.set_cookie("session", saved)
    assert not _signed_in(thief)
    assert thief.get("/auctions/my").status_code == 302  # a bidder page sends the replay to the login page

    _login(client, "sess_a")  # signing in again works, and a fresh cookie is honoured
    fresh = app.test_client()
    fresh.set_cookie("session", _cookie(client))
    assert _signed_in(fresh)


def test_a_password_change_ends_other_sessions_and_tokens_but_not_this_one(app, client, api, factory):
    factory.user("bidder", "sess_b")
    other = app.test_client()
    _login(other, "sess_b")
    token = api.token("sess_b")
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me/registrations", headers=auth).status_code == 200

    me = app.test_client()
    _login(me, "sess_b")
    r = me.post("/password", data={"old_password": PASSWORD, "new_password": NEW, "new_password2": NEW})
    assert r.status_code == 302
    assert _signed_in(me)  # the session that changed the password stays signed in
    assert not _signed_in(other)
    r = client.get("/api/v1/me/registrations", headers=auth)
    assert r.status_code == 401 and r.get_json()["error"]["code"]

    fresh = app.test_client()
    _login(fresh, "sess_b", NEW)
    assert _signed_in(fresh)


def test_a_failed_password_change_ends_nothing(app, client, api, factory):
    factory.user("bidder", "sess_c")
    other = app.test_client()
    _login(other, "sess_c")
    token = api.token("sess_c")
    _login(client, "sess_c")
    r = client.post("/password", data={"old_password": "wrong-passw0rd", "new_password": NEW, "new_password2": NEW})
    assert r.status_code == 200
    assert _signed_in(other)
    assert app.test_client().get("/api/v1/me/registrations",
                                 headers={"Authorization": f"Bearer {token}"}).status_code == 200
