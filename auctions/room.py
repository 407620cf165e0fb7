"""The live room's cheap reads (README.md, "Architecture": the live room is cheap to watch).

Watchers far outnumber bidders, so an anonymous `GET …/auction` costs:

- the room's version: the columns the public body depends on (bid `seq` = bid_count, status as the server clock
  implies it, ends_at, the close) — `version()`: one primary-key read, or none on PostgreSQL while this process's
  LISTEN connection (auctions.events) keeps the row current (dropped on every change notice, at most 2 s old);
- a matching `If-None-Match` answers 304 right there, before anything else is loaded;
- otherwise the JSON is rendered once per version (and `since`) in this process and reused for every watcher
  (`body()`); only `server_time` is spliced in per response.

A viewer with a bearer token sees their own standing in the body (`my_bidder_no`, `leading`…), so their reads
take the full path in auctions.api (their own ETag); the room page's polling and the push stream are anonymous.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import bindparam, select

from trading.apiutil import _default
from trading.clock import isoformat, now
from trading.extensions import db
from trading.projects.models import Project
from trading.projects.services import effective_status

_SERVER_TIME = "@@server_time@@"
_MARK = json.dumps(_SERVER_TIME).encode()
_MAX_CACHED = 4096

_VERSION = (select(Project.id, Project.status, Project.method, Project.direction, Project.bidding_start,
                   Project.ends_at, Project.bidding_end, Project.bid_count, Project.current_price,
                   Project.reserve_price, Project.approved_at, Project.closed_at)
            .where(Project.id == bindparam("pid")))


class Version(NamedTuple):
    project_id: int
    status: str
    seq: int
    ends_at: str
    closed: bool
    price: str
    public: bool

    def etag(self, since: int | None = None) -> str:
        tail = "" if since is None else f"-s{since}"
        return f'"r{self.project_id}-{self.seq}-{self.status}-{self.ends_at}-{int(self.closed)}-{self.price}{tail}"'


# PostgreSQL: the rows read above, kept while this process's LISTEN connection is up, dropped by every change
# notice for the room (auctions.events), and at most ROW_TTL seconds old: most reads then need no query at all.
ROW_TTL = 2.0
_rows: dict[int, tuple[Any, float]] = {}
_gens: dict[int, int] = {}


def invalidate(project_ids) -> None:
    for pid in project_ids:
        _gens[pid] = _gens.get(pid, 0) + 1
        _rows.pop(pid, None)


def _row(project_id: int):
    from auctions import events

    cache = events.hub.listening()
    if cache:
        hit = _rows.get(project_id)
        if hit is not None and time.monotonic() - hit[1] < ROW_TTL:
            return hit[0]
    gen = _gens.get(project_id, 0)
    row = db.session.execute(_VERSION, {"pid": project_id}).one_or_none()
    db.session.rollback()  # end the read transaction now: its connection goes back to the pool
    if cache and row is not None and _gens.get(project_id, 0) == gen:  # no notice arrived while we read
        _rows[project_id] = (row, time.monotonic())
        if len(_rows) > _MAX_CACHED:
            _rows.clear()
    return row


def version(project_id: int) -> Version | None:
    """The room's version: one indexed read (no ORM object), or none while a LISTEN keeps it current; the status is
    the one the server clock implies now. None when there is no such project."""
    from auctions import events

    events.hub.start(current_app._get_current_object())
    row = _row(project_id)
    return None if row is None else _version_of(project_id, row)


def cached_version(project_id: int) -> Version | None:
    """The version from memory alone (PostgreSQL, while LISTEN keeps it current), else None: no app, no query."""
    from auctions import events

    if not events.hub.listening():
        return None
    hit = _rows.get(project_id)
    if hit is None or time.monotonic() - hit[1] >= ROW_TTL:
        return None
    return _version_of(project_id, hit[0])


def _version_of(project_id: int, row) -> Version:
    ends = row.ends_at or row.bidding_end
    return Version(project_id, effective_status(row).value, row.bid_count or 0,  # type: ignore[arg-type]
                   str(int(ends.timestamp() * 1_000_000)) if ends else "-", row.closed_at is not None,
                   str(row.current_price), row.approved_at is not None)


_cache: dict[tuple[int, int | None], tuple[Version, bytes]] = {}
_lock = threading.Lock()


def body(v: Version, since: int | None = None) -> bytes:
    """The anonymous room JSON of version `v`, rendered once per version in this process."""
    key = (v.project_id, since)
    hit = _cache.get(key)
    if hit is None or hit[0] != v:
        from auctions import serialize

        project = db.session.get(Project, v.project_id)
        out: dict[str, Any] = serialize.auction_json(project, None, since)
        out["server_time"] = _SERVER_TIME
        rendered = json.dumps(out, ensure_ascii=False, default=_default).encode("utf-8")
        with _lock:
            if len(_cache) >= _MAX_CACHED:
                _cache.clear()
            _cache[key] = (v, rendered)
        hit = (v, rendered)
    return hit[1]


def personal_body(project_id: int, viewer: Any, since: int | None = None) -> bytes:
    """A signed-in viewer's room (their standing included), rendered for them alone."""
    from auctions import serialize

    out: dict[str, Any] = serialize.auction_json(db.session.get(Project, project_id), viewer, since)
    out["server_time"] = _SERVER_TIME
    return json.dumps(out, ensure_ascii=False, default=_default).encode("utf-8")


def with_server_time(rendered: bytes) -> bytes:
    return rendered.replace(_MARK, json.dumps(isoformat(now())).encode(), 1)


def reset() -> None:
    """Forget every cached row and body (after the tables were emptied and ids may be reused: tests)."""
    invalidate(list(_rows))
    forget()


def forget(project_id: int | None = None) -> None:
    with _lock:
        if project_id is None:
            _cache.clear()
        else:
            for key in [k for k in _cache if k[0] == project_id]:
                _cache.pop(key, None)


# Public lists and pages an anonymous visitor may get from a shared cache for a few seconds (the room's own JSON
# revalidates with its ETag instead). Only anonymous GETs answered 200 whose session was not touched (no CSRF
# token, no flash), so nothing personal is ever cached.
PUBLIC_CACHEABLE = {"web.home": 10, "web.projects": 10, "web.project_detail": 5, "projects_api.list_projects": 5,
                    "projects_api.get_project": 5, "auctions_api.bids": 2, "auctions_api.result": 10}


def public_cache_headers(response):
    from flask import request, session

    max_age = PUBLIC_CACHEABLE.get(request.endpoint or "")
    if (max_age and request.method == "GET" and response.status_code == 200
            and "Cache-Control" not in response.headers and "Authorization" not in request.headers
            and "_user_id" not in session and not session.modified and "remember_token" not in request.cookies):
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
        response.vary.add("Cookie")
        response.vary.add("Authorization")
    return response


class NotModified:
    """WSGI middleware: an anonymous conditional `GET /api/v1/projects/<id>/auction` whose ETag matches the room's
    version held in memory is answered 304 here, before Flask builds a request (no routing, session, hooks or
    query). Anything else — a token, a cookie, no cached version, another path — goes on to the application, which
    answers it the same way with one read."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        inm = environ.get("HTTP_IF_NONE_MATCH")
        if (inm and environ.get("REQUEST_METHOD") == "GET" and "HTTP_AUTHORIZATION" not in environ
                and "HTTP_COOKIE" not in environ):
            path = environ.get("PATH_INFO", "")
            if path.startswith(_PREFIX) and path.endswith(_SUFFIX) and path[len(_PREFIX):-len(_SUFFIX)].isdigit():
                since = _since(environ.get("QUERY_STRING", ""))
                v = cached_version(int(path[len(_PREFIX):-len(_SUFFIX)])) if since is not False else None
                if v is not None and v.public:
                    etag = v.etag(since)  # type: ignore[arg-type]
                    if etag in [t.strip() for t in inm.split(",")]:
                        start_response("304 NOT MODIFIED", [
                            ("ETag", etag), ("Cache-Control", "no-cache"), ("Vary", "Authorization, Cookie"),
                            ("X-Server-Time", isoformat(now()) or ""), ("X-Content-Type-Options", "nosniff")])
                        return [b""]
        return self.wsgi_app(environ, start_response)


_PREFIX, _SUFFIX = "/api/v1/projects/", "/auction"


def _since(query: str) -> int | None | bool:
    """`since` from the query string: None when absent, False when anything else is there (the app decides)."""
    if not query:
        return None
    if query.startswith("since=") and "&" not in query and query[6:].isdigit():
        return int(query[6:])
    return False
