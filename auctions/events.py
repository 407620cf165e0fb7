"""Pushed room updates (docs/api.md "Live room push"): change notices, the per-process hub, the SSE stream.

- **Notices.** A transaction that changes a room (a bid — `changed(pid)` from auctions.bidstore —, or any flush
  that modifies a Project row: open, close, extension, annulment) sends `NOTIFY tradehall_room, '<pid>'` on
  PostgreSQL just before COMMIT (delivered only if it commits, to every app host) and, after the commit, wakes
  this process's hub directly (the SQLite path; on PostgreSQL the LISTEN delivers it as well).
- **Hub.** One thread per process, started with the first stream: LISTEN on PostgreSQL (every host hears every
  commit); on SQLite, where several processes share a file and nothing crosses processes, it also re-reads the
  versions of the watched rooms every `TRADING_SSE_POLL_SECONDS` (one indexed read per room). On a change it
  renders the room ONCE (auctions.room) and wakes the streams of that room, which write the same bytes.
- **Streams.** Each connection waits on its room's condition; it sends `event: room` with `id` = the bid seq at
  once and after every change (changes that arrive faster than a stream writes are coalesced into the latest
  room, whose `bids` carry the bids in between; the hub refreshes a room at most every
  `TRADING_SSE_MIN_INTERVAL` = 0.2 s), and a comment every 15 s. A reconnect with `Last-Event-ID: n`
  first gets the room as `GET …/auction?since=n` (the bids after n), then the full room on every change.
  A stream ends after `TRADING_SSE_MAX_SECONDS` (the browser reconnects with Last-Event-ID), so no worker is held
  forever. Serve them from a threaded process (gunicorn -k gthread --threads 1000; README "Deployment").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.orm import Session

log = logging.getLogger("tradehall.events")
CHANNEL = "tradehall_room"
_KEY = "tradehall.room_changed"
_SENT = "tradehall.room_notified"  # rooms whose NOTIFY a statement of the transaction already carried


# ------------------------------------------------------------------ notices from the writing transaction

def changed(project_id: int, *, notified: bool = False) -> None:
    """Mark a room as changed by the current transaction (sent on COMMIT). `notified`: a statement of this
    transaction already ran `pg_notify` for it (the bid's own write, auctions.bidstore), so COMMIT need not."""
    from trading.extensions import db

    info = db.session().info
    info.setdefault(_KEY, set()).add(int(project_id))
    if notified:
        info.setdefault(_SENT, set()).add(int(project_id))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx: Any) -> None:
    from trading.projects.models import Project

    for obj in session.dirty:
        if isinstance(obj, Project) and session.is_modified(obj, include_collections=False):
            session.info.setdefault(_KEY, set()).add(obj.id)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    ids = (session.info.get(_KEY) or set()) - session.info.get(_SENT, set())
    if not ids:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:ch, x::text) FROM unnest(CAST(:ids AS int[])) AS x"),
                        {"ch": CHANNEL, "ids": sorted(ids)})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = session.info.pop(_KEY, None)
    session.info.pop(_SENT, None)
    if ids:
        hub.wake(ids)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
    session.info.pop(_SENT, None)


# ------------------------------------------------------------------ the hub (one per process)

class Room:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.watchers = 0
        self.version: Any = None
        self.rendered: bytes | None = None
        self.gen = 0


class Hub:
    def __init__(self) -> None:
        self.rooms: dict[int, Room] = {}
        self.lock = threading.Lock()
        self.pending: set[int] = set()
        self.kick = threading.Event()
        self.thread: threading.Thread | None = None
        self.app: Flask | None = None
        self.connected = False

    def start(self, app: Flask) -> None:
        """Start this process's hub (and its LISTEN connection on PostgreSQL) once."""
        if self.thread is not None and self.thread.is_alive():
            return
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.app = app
                self.thread = threading.Thread(target=self._run, name="tradehall-room-hub", daemon=True)
                self.thread.start()

    def listening(self) -> bool:
        """Whether a LISTEN connection is up in this process (every committed change then reaches it)."""
        return self.connected

    # called by writers (after commit) and by the LISTEN loop
    def wake(self, ids) -> None:
        from auctions import room as rooms

        rooms.invalidate(ids)
        with self.lock:
            watched = [i for i in ids if i in self.rooms]
            self.pending.update(watched)
        if watched:
            self.kick.set()

    def subscribe(self, app: Flask, pid: int) -> Room:
        with self.lock:
            room = self.rooms.get(pid)
            if room is None:
                room = self.rooms[pid] = Room()
            room.watchers += 1
        self.start(app)
        if room.rendered is None:
            self.refresh(pid)
        return room

    def unsubscribe(self, pid: int, room: Room) -> None:
        with self.lock:
            room.watchers -= 1
            if room.watchers <= 0 and self.rooms.get(pid) is room:
                del self.rooms[pid]

    def refresh(self, pid: int) -> None:
        """Re-read the room's version; if it moved, render it once and wake its streams."""
        from auctions import room as rooms
        from trading.extensions import db

        assert self.app is not None
        room = self.rooms.get(pid)
        if room is None:
            return
        with self.app.app_context():
            try:
                v = rooms.version(pid)
                if v is not None and v != room.version:
                    rendered = rooms.body(v)
                    with room.cond:
                        room.version, room.rendered = v, rendered
                        room.gen += 1
                        room.cond.notify_all()
            finally:
                db.session.remove()

    def _run(self) -> None:
        assert self.app is not None
        app = self.app
        listener = threading.Thread(target=self._listen, name="tradehall-room-listen", daemon=True)
        with app.app_context():
            from trading.extensions import db

            pg = db.engine.dialect.name == "postgresql"
        if pg:
            listener.start()
        poll = float(app.config.get("TRADING_SSE_POLL_SECONDS") or 0.5)
        # at most one render and fan-out per room per this interval: a hot room's bids in between are coalesced
        # (the next event's `bids` carries them), which bounds the writes to watchers × 1/interval per second
        gap = float(app.config.get("TRADING_SSE_MIN_INTERVAL") or 0.2)
        next_poll = time.monotonic() + poll
        while True:
            # PostgreSQL: every commit arrives by NOTIFY; the clock's own moves (bidding starts, the end passes)
            # commit nothing until the scheduler writes them, so the watched rooms are re-read each second too
            self.kick.wait(timeout=max(0.0, next_poll - time.monotonic()) if not pg else 1.0)
            self.kick.clear()
            with self.lock:
                ids, self.pending = self.pending, set()
                if time.monotonic() >= next_poll or (pg and not ids):
                    ids |= set(self.rooms)  # SQLite: other processes' commits; PostgreSQL: a safety net
                    next_poll = time.monotonic() + poll
            for pid in ids:
                try:
                    self.refresh(pid)
                except Exception:
                    log.exception("room %s: refresh failed", pid)
            if ids and gap > 0:
                time.sleep(gap)

    def _listen(self) -> None:
        import psycopg

        assert self.app is not None
        url = self.app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://", 1)
        while True:
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.connected = True
                    from auctions import room as rooms

                    rooms.invalidate(list(rooms._rows))  # anything missed while (re)connecting
                    self.wake(list(self.rooms))
                    while True:  # each notice as it arrives; the generator ends after 5 s of silence
                        for n in conn.notifies(timeout=5.0):
                            if n.payload.isdigit():
                                self.wake((int(n.payload),))
            except Exception:
                log.exception("room LISTEN connection lost; reconnecting")
            finally:
                self.connected = False
            time.sleep(1.0)


hub = Hub()


# ------------------------------------------------------------------ one stream

def _event(seq: int, body: bytes) -> bytes:
    return b"id: %d\nevent: room\ndata: %s\n\n" % (seq, body)


def stream(app: Flask, pid: int, first: bytes, first_version: Any, personal=None) -> Iterator[bytes]:
    """The event stream of one connection: `first` (of `first_version`) at once, then the room on every change.
    `personal(version) -> bytes`, for a signed-in viewer, renders their own view instead of the shared one."""
    from auctions import room as rooms

    keepalive = float(app.config.get("TRADING_SSE_KEEPALIVE_SECONDS") or 15)
    deadline = time.monotonic() + float(app.config.get("TRADING_SSE_MAX_SECONDS") or 600)
    room = hub.subscribe(app, pid)
    try:
        with room.cond:
            sent, v, rendered = room.gen, room.version, room.rendered
        yield b"retry: 2000\n" + _event(first_version.seq, rooms.with_server_time(first))
        if v is not None and v != first_version and rendered is not None:  # it moved while we subscribed
            yield _event(v.seq, rooms.with_server_time(personal(v) if personal else rendered))
        while time.monotonic() < deadline:
            with room.cond:
                if room.gen == sent:
                    room.cond.wait(timeout=min(keepalive, max(0.0, deadline - time.monotonic())))
                gen, v, rendered = room.gen, room.version, room.rendered
            if gen != sent and rendered is not None:
                sent = gen
                yield _event(v.seq, rooms.with_server_time(personal(v) if personal else rendered))
            else:
                yield b": keepalive\n\n"
    finally:
        hub.unsubscribe(pid, room)
