"""Live room push (docs/api.md "Live room push"): SSE events at once and after every change, Last-Event-ID, keep-alive,
changes committed by another process (LISTEN/NOTIFY on PostgreSQL, the hub's re-read on SQLite)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from trading.extensions import db as _db


@pytest.fixture
def live(hall, app):
    pid = hall.project()
    hall.qualify(pid, "alice")
    hall.qualify(pid, "bob")
    hall.at(pid, 0)
    # a broken push shows up as a keep-alive comment instead of the event, not as a hung test
    app.config.update(TRADING_SSE_KEEPALIVE_SECONDS=5, TRADING_SSE_MAX_SECONDS=30)
    yield pid
    for k in ("TRADING_SSE_KEEPALIVE_SECONDS", "TRADING_SSE_MAX_SECONDS"):
        app.config.pop(k, None)


def _events(client, pid, headers=None):
    r = client.get(f"/api/v1/projects/{pid}/auction/events", headers=headers or {}, buffered=False)
    assert r.status_code == 200 and r.mimetype == "text/event-stream"
    return r, iter(r.response)


def _parse(chunk: bytes) -> dict:
    out: dict = {}
    for line in chunk.decode().splitlines():
        if line.startswith(":") or not line:
            out.setdefault("comment", line)
            continue
        k, _, v = line.partition(": ")
        out[k] = v
    if "data" in out:
        out["json"] = json.loads(out["data"])
    return out


def _strip(room: dict) -> dict:
    return {k: v for k, v in room.items() if k != "server_time"}


def test_stream_sends_the_room_at_once_and_after_each_bid(hall, live, client):
    r, it = _events(client, live)
    first = _parse(next(it))
    assert first["event"] == "room" and first["id"] == "0"
    assert _strip(first["json"]) == _strip(client.get(f"/api/v1/projects/{live}/auction").get_json())
    assert hall.bid(live, "alice", "800.00").status_code == 201
    ev = _parse(next(it))
    assert ev.get("event") == "room", ev  # a keep-alive here would mean the bid was not pushed
    assert ev["id"] == "1" and ev["json"]["current_price"] == "800.00" and ev["json"]["bid_count"] == 1
    assert hall.bid(live, "bob", "810.00").status_code == 201
    ev = _parse(next(it))
    assert ev["id"] == "2" and [b["amount"] for b in ev["json"]["bids"]] == ["800.00", "810.00"]
    assert _strip(ev["json"]) == _strip(client.get(f"/api/v1/projects/{live}/auction").get_json())
    r.close()


def test_a_refused_bid_pushes_nothing_and_keepalive_comments_flow(hall, live, client, app):
    app.config["TRADING_SSE_KEEPALIVE_SECONDS"] = 0.5
    r, it = _events(client, live)
    next(it)
    assert hall.bid(live, "alice", "805.00").status_code in (409, 422)  # off the increment grid
    assert _parse(next(it)).get("comment") == ": keepalive"
    r.close()


def test_last_event_id_resumes_with_the_bids_after_it(hall, live, client):
    for name, amount in (("alice", "800.00"), ("bob", "810.00"), ("alice", "820.00")):
        assert hall.bid(live, name, amount).status_code == 201
    r, it = _events(client, live, {"Last-Event-ID": "1"})
    ev = _parse(next(it))
    assert ev["id"] == "3" and [b["seq"] for b in ev["json"]["bids"]] == [2, 3]
    r.close()


def test_a_change_committed_elsewhere_reaches_the_stream(hall, live, client, app):
    """Another process or host (here: another connection, no in-process notice) extends the auction."""
    r, it = _events(client, live)
    before = _parse(next(it))["json"]["ends_at"]
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    other = create_engine(url)
    try:
        with other.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("UPDATE projects SET ends_at = bidding_end + interval '10 minutes' WHERE id = :p"),
                             {"p": live})
                conn.execute(text("SELECT pg_notify('tradehall_room', :p)"), {"p": str(live)})
            else:
                with app.app_context():
                    from trading.projects.models import Project

                    end = _db.session.get(Project, live).bidding_end + timedelta(minutes=10)
                    _db.session.remove()
                conn.execute(text("UPDATE projects SET ends_at = :e WHERE id = :p"),
                             {"e": end.replace(tzinfo=None).isoformat(sep=" "), "p": live})
    finally:
        other.dispose()
    ev = _parse(next(it))
    assert ev.get("event") == "room", ev
    assert ev["json"]["ends_at"] != before
    r.close()


def test_a_draft_has_no_stream(factory, api, client):
    _, owner = factory.user("collective", "village9")
    pid = api.post("/api/v1/projects", factory.project_body(), user=owner).get_json()["id"]
    assert client.get(f"/api/v1/projects/{pid}/auction/events").status_code == 403
    assert client.get("/api/v1/projects/999999/auction/events").status_code == 404


def test_a_committed_bid_notifies_every_listener_once_and_a_refused_one_not_at_all(hall, live, app):
    """PostgreSQL: the bid's own write statement carries the room's NOTIFY (no round trip of its own); it is
    delivered once, on COMMIT, to a LISTEN connection of another process — and a refused bid sends nothing."""
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    import psycopg

    dsn = str(app.config["SQLALCHEMY_DATABASE_URI"]).replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("LISTEN tradehall_room")

        def received() -> list[str]:
            return [n.payload for n in conn.notifies(timeout=1.0)]

        assert hall.bid(live, "alice", "800.00").status_code == 201
        assert received() == [str(live)]
        assert hall.bid(live, "bob", "801.00").status_code == 409  # not a multiple of the increment: refused
        assert received() == []
        assert hall.bid(live, "bob", "810.00").status_code == 201
        assert received() == [str(live)]
