"""Append-only, hash-chained audit log: hash = sha256(prev_hash ‖ canonical(entry))."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select

from trading.clock import now
from trading.db import driver_cursor
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


# PostgreSQL: lock the head, advance it and insert the entry in ONE statement, so the global head lock is
# held for one round trip and the commit. The hash is entry_hash's exactly: "seq" sorts last among the
# canonical keys, so the hashed bytes are prev_hash ‖ body_head ‖ str(seq) ‖ "}" (UTF-8).
# The CTEs are public so that a hot path can prepend its own data-modifying CTEs and write its rows and their
# audit entry in one statement (auctions.bidstore); parameters come from append_params (psycopg style).
APPEND_CTES = """
audit_old AS (SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE),
audit_new AS (
  UPDATE audit_head AS h
     SET seq = audit_old.seq + 1,
         hash = encode(sha256(convert_to(audit_old.hash || %(audit_body_head)s || (audit_old.seq + 1)::text || '}',
                                         'UTF8')), 'hex')
    FROM audit_old WHERE h.id = 1
  RETURNING h.seq AS seq, h.hash AS hash, audit_old.hash AS prev_hash)
INSERT INTO audit_log (seq, at, actor, action, object, data, prev_hash, hash)
SELECT seq, %(audit_at)s, %(audit_actor)s, %(audit_action)s, %(audit_object)s, CAST(%(audit_data)s AS JSON),
       prev_hash, hash FROM audit_new
RETURNING seq, prev_hash, hash
"""
_APPEND_PG = "WITH " + APPEND_CTES


def append_params(action: str, obj: str, data: dict | None = None, actor: str | None = None) -> dict[str, Any]:
    """The parameters of APPEND_CTES for one entry (the same normalisation as record)."""
    data_json = canonical(data or {}).decode("utf-8")
    actor = actor or "system"
    at = now()
    body = canonical({"at": at.isoformat(), "actor": actor, "action": action, "object": obj,
                      "data": json.loads(data_json)})
    return {"audit_body_head": body[:-1].decode("utf-8") + ',"seq":', "audit_at": at, "audit_actor": actor,
            "audit_action": action, "audit_object": obj, "audit_data": data_json}


def _append_pg(action: str, obj: str, data: dict | None, actor: str) -> AuditEntry | None:
    params = append_params(action, obj, data, actor)
    db.session.flush()  # the caller's pending rows first, as the ORM path's autoflush does
    with driver_cursor() as cur:
        cur.execute(_APPEND_PG, params)
        row = cur.fetchone()
    if row is None:  # no head row (a hand-made schema): the ORM path creates it
        return None
    return AuditEntry(seq=row[0], at=params["audit_at"], actor=actor, action=action, object=obj,
                      data=json.loads(params["audit_data"]), prev_hash=row[1], hash=row[2])


def record(action: str, obj: str, data: dict | None = None, actor: str | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction; the head lock gives the chain one order."""
    actor = actor or "system"
    if db.engine.dialect.name == "postgresql" and (entry := _append_pg(action, obj, data, actor)) is not None:
        return entry  # a detached copy of the stored row (append_params normalises the data once)
    data = json.loads(canonical(data or {}))  # store exactly what was hashed
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
    row = db.session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one_or_none()
    return (row.seq, row.hash) if row else (0, GENESIS)


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
    row = db.session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one_or_none()
    if ok and row is not None and (row.seq != count or row.hash != prev):
        ok = False
    return {"ok": ok, "entries": count, "head": row.hash if row else GENESIS}
