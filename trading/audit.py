"""Append-only, hash-chained audit log: hash = sha256(prev_hash ‖ canonical(entry))."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select

from trading.clock import now
from trading.extensions import db
from trading.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, obj: str, data: dict) -> str:
    body = canonical({"seq": seq, "at": at, "actor": actor, "action": action, "object": obj, "data": data})
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


def _head() -> AuditHead:
    stmt = select(AuditHead).where(AuditHead.id == 1)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    head = db.session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()
    if head is None:
        # created by the first migration; recreate defensively for a hand-made schema
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    return head


def record(action: str, obj: str, data: dict | None = None, actor: str | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction; the head lock gives the chain one order."""
    data = json.loads(canonical(data or {}))  # store exactly what was hashed
    actor = actor or "system"
    head = _head()
    at = now()
    seq = head.seq + 1
    h = entry_hash(head.hash, seq, at.isoformat(), actor, action, obj, data)
    entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, object=obj, data=data,
                       prev_hash=head.hash, hash=h)
    db.session.add(entry)
    head.seq, head.hash = seq, h
    db.session.flush()
    return entry


def current_head() -> tuple[int, str]:
    head = db.session.get(AuditHead, 1)
    return (head.seq, head.hash) if head else (0, GENESIS)


def verify() -> dict:
    """Walk the chain; any edited, inserted or deleted entry makes ok false."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    ok = True
    for entry in db.session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().yield_per(1000):
        count += 1
        if entry.seq != expected_seq or entry.prev_hash != prev:
            ok = False
            break
        h = entry_hash(prev, entry.seq, entry.at.isoformat(), entry.actor, entry.action, entry.object,
                       entry.data or {})
        if h != entry.hash:
            ok = False
            break
        prev = h
        expected_seq += 1
    head = db.session.get(AuditHead, 1)
    if ok and head is not None and (head.seq != count or head.hash != prev):
        ok = False
    return {"ok": ok, "entries": count, "head": head.hash if head else GENESIS}
