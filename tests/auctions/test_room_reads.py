"""Cheap room reads: the anonymous ETag from the room's version, 304 before any work, one body per version;
Cache-Control on anonymous public lists only."""

from __future__ import annotations

import pytest


@pytest.fixture
def live(hall):
    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.qualify(pid, "bob")
    hall.at(pid, 0)
    return pid


def test_anonymous_etag_follows_the_room_version(hall, live, client):
    url = f"/api/v1/projects/{live}/auction"
    r = client.get(url)
    etag = r.headers["ETag"]
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-cache"
    r2 = client.get(url, headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.data == b"" and r2.headers["ETag"] == etag
    assert hall.bid(live, "alice", "800.00").status_code == 201
    r3 = client.get(url, headers={"If-None-Match": etag})
    assert r3.status_code == 200 and r3.headers["ETag"] != etag and r3.get_json()["bid_count"] == 1
    assert r3.get_json()["current_price"] == "800.00"
    # the clock alone moves the status (announced → bidding at the start): a new version, a new body
    hall.at(live, -10)
    before = client.get(url)
    hall.at(live, 10)
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.get_json()["status"] != before.get_json()["status"]


def test_rendered_once_per_version_server_time_fresh(hall, live, client, monkeypatch):
    from auctions import serialize

    calls = []
    real = serialize.auction_json
    monkeypatch.setattr(serialize, "auction_json", lambda *a, **k: calls.append(1) or real(*a, **k))
    url = f"/api/v1/projects/{live}/auction"
    bodies = [client.get(url).get_json() for _ in range(5)]
    assert len(calls) == 1  # one render, reused by every anonymous read of this version
    assert all(b["bid_count"] == 0 and b["server_time"] for b in bodies)
    assert hall.bid(live, "bob", "800.00").status_code == 201
    assert client.get(url).get_json()["bid_count"] == 1 and len(calls) == 2


def test_a_bidder_with_a_token_still_sees_their_own_standing(hall, live, api):
    assert hall.bid(live, "alice", "800.00").status_code == 201
    a = api.get(f"/api/v1/projects/{live}/auction", user="alice").get_json()
    b = api.get(f"/api/v1/projects/{live}/auction", user="bob").get_json()
    assert a["leading"] is True and b["leading"] is False and a["my_bidder_no"] != b["my_bidder_no"]


def test_public_lists_are_cacheable_for_anonymous_visitors_only(hall, live, client, api):
    r = client.get("/api/v1/projects")
    assert r.status_code == 200 and r.headers["Cache-Control"].startswith("public, max-age=")
    assert "Cookie" in r.headers["Vary"]
    mine = api.get("/api/v1/projects", user="alice")
    assert "public" not in mine.headers.get("Cache-Control", "")
    assert "public" not in client.get("/login").headers.get("Cache-Control", "")  # a form with a CSRF token


def test_postgres_answers_a_watchers_304_from_memory(hall, live, client, monkeypatch):
    """While this process LISTENs, the room's version is in memory: a matching conditional GET needs no query; a
    committed bid's notice drops it, so the next read sees the bid."""
    import time

    from auctions import events, room

    if hall.app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("no LISTEN on SQLite: one indexed read per request there")
    url = f"/api/v1/projects/{live}/auction"
    etag = client.get(url).headers["ETag"]
    for _ in range(100):  # the LISTEN connection comes up in the background
        if events.hub.listening():
            break
        time.sleep(0.05)
    etag = client.get(url).headers["ETag"]  # read (and kept) while listening

    def no_query(_pid):
        raise AssertionError("the room's row was read from the database")

    monkeypatch.setattr(room, "_row", no_query)
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    monkeypatch.undo()
    assert hall.bid(live, "alice", "800.00").status_code == 201
    r = client.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.get_json()["bid_count"] == 1
