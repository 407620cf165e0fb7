"""Append-only, hash-chained audit log, partitioned into chains and anchored (docs/architecture.md).

Each entry belongs to one chain and is linked to the entry before it in that chain:
`hash = sha256(prev_hash ‖ canonical(entry))` with `entry = {action, actor, at, chain, data, object, seq}`
(`seq` = the position in the chain). Chains:

- `project:<id>` (and `tender:<id>`): everything about one project — its auction, bids, registrations, deposits
  and attached guarantees, objections, its certificate. An append locks only that chain's head row, which the
  writer of a bid already serialises on (the auction row lock), so different projects share no lock.
- `accounts` (users, organisations), `guarantors` (the guarantor registry, unattached guarantees, claims),
  `system` (anything else).
- `legacy`: the single global chain written before partitioning (migration 0007), kept byte for byte with its
  original hash format (no "chain" key), so every hash quoted before the migration still verifies.
- `anchor`: every second the scheduler (`anchor()`) appends one entry holding the heads `(chain, seq, hash)` of
  the chains that moved since the last anchor and their Merkle root. Deleting or editing any entry, the last
  entries of a chain, or a whole chain, then breaks either a chain's links, its head row, or an anchored leaf.

`entry_hash` is the one definition of the hash; the PostgreSQL append computes the same bytes in SQL
(`APPEND_CTES`), and tests check the two against each other.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select, text

from trading import jobs
from trading.clock import now
from trading.db import driver_cursor, is_postgres
from trading.extensions import db
from trading.models import AuditAnchored, AuditChain, AuditEntry

GENESIS = "0" * 64
LEGACY = "legacy"
ANCHOR = "anchor"
ACCOUNTS = "accounts"
GUARANTORS = "guarantors"
SYSTEM = "system"


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, obj: str, data: dict,
               chain: str | None = None) -> str:
    """The hash of one entry. `chain` None (or LEGACY) is the pre-partition format, without a "chain" key."""
    body: dict[str, Any] = {"seq": seq, "at": at, "actor": actor, "action": action, "object": obj, "data": data}
    if chain is not None and chain != LEGACY:
        body["chain"] = chain
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(body)).hexdigest()


# ------------------------------------------------------------------ which chain an entry belongs to

_OWN_CHAIN = ("project", "tender")
_ACCOUNTS = ("user", "org", "token")
_GUARANTORS = ("guarantor", "claim")
# objects that belong to one project: the lookup of their project (PK / unique-key reads, usually cached pages)
_PROJECT_OF = {
    "registration": "SELECT project_id FROM registrations WHERE id = :k",
    "deposit": "SELECT r.project_id FROM deposits d JOIN registrations r ON r.id = d.registration_id "
               "WHERE d.id = :k",
    "guarantee": "SELECT r.project_id FROM guarantees g JOIN registrations r ON r.id = g.registration_id "
                 "WHERE g.guarantee_no = :k",
    "certificate": "SELECT project_id FROM certificates WHERE number = :k",
    "objection": "SELECT project_id FROM objections WHERE id = :k",
}
_INT_KEY = {"registration", "deposit", "objection"}


# objects owned by something a feature package defines (a tender's lots, its registrations…): the package
# registers a lookup returning the owning chain's name (register_owner); consulted when no project owns the object
_OWNER_OF: dict[str, list[str]] = {}


def register_owner(kind: str, sql: str) -> None:
    """Let entries about `kind:<key>` go to the chain `sql` names (one row, one text column; `:k` is the key: an
    integer id, or the string key of a guarantee or certificate). Registered once per kind and statement (init_app may run for several apps)."""
    if sql not in _OWNER_OF.setdefault(kind, []):
        _OWNER_OF[kind].append(sql)


def _key(kind: str, key: str) -> int | str | None:
    """The lookup parameter: the string key of a guarantee or certificate, an integer id for every other kind
    (None when the key is not one: such an entry goes to the system chain)."""
    if kind in _PROJECT_OF and kind not in _INT_KEY:
        return key
    return int(key) if key.isascii() and key.isdigit() and len(key) < 19 else None


def chain_for(obj: str) -> str:
    """The chain an entry about `obj` ("kind:key") is appended to."""
    kind, _, key = obj.partition(":")
    if kind in _OWN_CHAIN:
        return obj
    if kind in _ACCOUNTS:
        return ACCOUNTS
    k = _key(kind, key) if key else None
    if k is None and (kind in _PROJECT_OF or kind in _OWNER_OF):
        return SYSTEM
    if kind in _PROJECT_OF:
        pid = db.session.execute(text(_PROJECT_OF[kind]), {"k": k}).scalar()
        if pid is not None:
            return f"project:{pid}"
    for sql in _OWNER_OF.get(kind, ()):
        owner = db.session.execute(text(sql), {"k": k}).scalar()
        if owner:
            return str(owner)
    if kind == "guarantee" or kind in _GUARANTORS:
        return GUARANTORS
    return SYSTEM


# ------------------------------------------------------------------ PostgreSQL: one statement per append

# Lock the chain's head, advance it and insert the entry in ONE statement. The hash is entry_hash's exactly:
# "seq" sorts last among the canonical keys, so the hashed bytes are prev_hash ‖ body_head ‖ str(seq) ‖ "}".
# The CTEs are public so that a hot path can prepend its own data-modifying CTEs and write its rows and their
# audit entry in one statement (auctions.bidstore); parameters come from append_params (psycopg style).
# The statement returns no row when the chain has no head row yet (its first entry): ensure_chain, then again.
APPEND_CTES = """
audit_old AS (SELECT seq, hash FROM audit_chains WHERE chain = %(audit_chain)s FOR UPDATE),
audit_new AS (
  UPDATE audit_chains AS h
     SET seq = audit_old.seq + 1,
         hash = encode(sha256(convert_to(audit_old.hash || %(audit_body_head)s || (audit_old.seq + 1)::text || '}',
                                         'UTF8')), 'hex')
    FROM audit_old WHERE h.chain = %(audit_chain)s
  RETURNING h.seq AS seq, h.hash AS hash, audit_old.hash AS prev_hash)
INSERT INTO audit_log (chain, chain_seq, at, actor, action, object, data, prev_hash, hash)
SELECT %(audit_chain)s, seq, %(audit_at)s, %(audit_actor)s, %(audit_action)s, %(audit_object)s,
       CAST(%(audit_data)s AS JSON), prev_hash, hash FROM audit_new
RETURNING seq AS audit_seq, chain_seq AS audit_chain_seq, prev_hash AS audit_prev_hash, hash AS audit_hash
"""
_APPEND_PG = "WITH " + APPEND_CTES
_ENSURE_PG = "INSERT INTO audit_chains (chain, seq, hash) VALUES (%(audit_chain)s, 0, %(genesis)s) " \
             "ON CONFLICT (chain) DO NOTHING"


def append_params(action: str, obj: str, data: dict | None = None, actor: str | None = None, *,
                  chain: str | None = None) -> dict[str, Any]:
    """The parameters of APPEND_CTES for one entry (the same normalisation as record)."""
    data_json = canonical(data or {}).decode("utf-8")
    actor = actor or "system"
    chain = chain or chain_for(obj)
    at = now()
    body = canonical({"at": at.isoformat(), "actor": actor, "action": action, "object": obj, "chain": chain,
                      "data": json.loads(data_json)})
    return {"audit_body_head": body[:-1].decode("utf-8") + ',"seq":', "audit_at": at, "audit_actor": actor,
            "audit_action": action, "audit_object": obj, "audit_data": data_json, "audit_chain": chain}


def ensure_chain_pg(chain: str) -> None:
    with driver_cursor() as cur:
        cur.execute(_ENSURE_PG, {"audit_chain": chain, "genesis": GENESIS})


def append_pg(params: dict[str, Any]) -> AuditEntry:
    """Run APPEND_CTES alone with `params` (creating the chain on its first entry)."""
    db.session.flush()  # the caller's pending rows first, as the ORM path's autoflush does
    for _ in range(2):
        with driver_cursor(dict_rows=True) as cur:
            cur.execute(_APPEND_PG, params)
            row = cur.fetchone()
        if row is not None:
            return AuditEntry(seq=row["audit_seq"], chain=params["audit_chain"], chain_seq=row["audit_chain_seq"],
                              at=params["audit_at"], actor=params["audit_actor"], action=params["audit_action"],
                              object=params["audit_object"], data=json.loads(params["audit_data"]),
                              prev_hash=row["audit_prev_hash"], hash=row["audit_hash"])
        ensure_chain_pg(params["audit_chain"])
    raise RuntimeError(f"audit chain {params['audit_chain']!r} could not be created")


# ------------------------------------------------------------------ other backends: the ORM

def _head_orm(chain: str) -> AuditChain:
    # SQLite: the write transaction already holds the database's write lock (BEGIN IMMEDIATE)
    head = db.session.execute(select(AuditChain).where(AuditChain.chain == chain)
                              .execution_options(populate_existing=True)).scalar_one_or_none()
    if head is None:
        head = AuditChain(chain=chain, seq=0, hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    return head


def _append_orm(action: str, obj: str, data: dict | None, actor: str, chain: str) -> AuditEntry:
    data = json.loads(canonical(data or {}))  # store exactly what was hashed
    head = _head_orm(chain)
    at = now()
    seq = head.seq + 1
    h = entry_hash(head.hash, seq, at.isoformat(), actor, action, obj, data, chain)
    entry = AuditEntry(chain=chain, chain_seq=seq, at=at, actor=actor, action=action, object=obj, data=data,
                       prev_hash=head.hash, hash=h)
    db.session.add(entry)
    head.seq, head.hash = seq, h
    db.session.flush()
    return entry


def record(action: str, obj: str, data: dict | None = None, actor: str | None = None, *,
           chain: str | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction to the chain of `obj` (or `chain`); that chain's head lock
    gives it one order. Returns the stored entry (on PostgreSQL a detached copy)."""
    actor = actor or "system"
    chain = chain or chain_for(obj)
    if is_postgres():
        return append_pg(append_params(action, obj, data, actor, chain=chain))
    return _append_orm(action, obj, data, actor, chain)


def chain_head(chain: str) -> tuple[int, str]:
    row = db.session.execute(select(AuditChain.seq, AuditChain.hash).where(AuditChain.chain == chain)).one_or_none()
    return (row.seq, row.hash) if row else (0, GENESIS)


def current_head(obj: str | None = None) -> tuple[int, str]:
    """(seq, hash) of the chain of `obj`; without one, of the anchor chain (which covers every chain)."""
    return chain_head(chain_for(obj) if obj else ANCHOR)


# ------------------------------------------------------------------ anchors

def _leaf(chain: str, seq: int, h: str) -> bytes:
    return hashlib.sha256(canonical([chain, seq, h])).digest()


def merkle_root(heads: list[list]) -> str:
    """Merkle root over the leaves sha256(canonical([chain, seq, hash])), in the order given (sorted by chain);
    an odd node is paired with itself."""
    level = [_leaf(c, s, h) for c, s, h in heads]
    if not level:
        return GENESIS
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0].hex()


def anchor() -> int:
    """Append one anchor entry with the heads that moved since the last anchor (a scheduler job, every second).

    Several schedulers: the anchor chain's head row is taken with SKIP LOCKED, so one of them anchors and the
    others skip this second; what moved is re-read under that lock, so nothing is anchored twice. Only the
    anchor job writes audit_anchored, and it never locks a chain's head row: it cannot hold up a bid."""
    if is_postgres():
        ensure_chain_pg(ANCHOR)
        db.session.commit()
        got = db.session.execute(text("SELECT 1 FROM audit_chains WHERE chain = :c FOR UPDATE SKIP LOCKED"),
                                 {"c": ANCHOR}).first()
        if got is None:
            db.session.rollback()
            return 0
    moved = db.session.execute(text(
        "SELECT c.chain, c.seq, c.hash FROM audit_chains c LEFT JOIN audit_anchored a ON a.chain = c.chain "
        "WHERE c.chain <> :anchor AND c.seq > 0 AND (a.seq IS NULL OR c.seq > a.seq) ORDER BY c.chain"),
        {"anchor": ANCHOR}).all()
    if not moved:
        db.session.rollback()
        return 0
    heads = [[r.chain, int(r.seq), r.hash] for r in moved]
    record("audit.anchor", "audit:anchor", {"heads": heads, "root": merkle_root(heads)}, "system", chain=ANCHOR)
    for c, s, _h in heads:
        row = db.session.get(AuditAnchored, c)
        if row is None:
            db.session.add(AuditAnchored(chain=c, seq=s))
        else:
            row.seq = s
    db.session.commit()
    return 1


jobs.register("audit.anchor", anchor)


def anchor_chain(chain: str) -> dict:
    """The anchor that covers `chain` as it stands in the caller's transaction, appended now when none does yet —
    for a signed paper (certificate, award notice, evaluation report) that must carry the anchor covering the
    head it names, in the paper's own transaction. It waits for the anchor chain's head (the job holds it for
    a moment each second) and never locks another chain's head, so it cannot deadlock with the job or a bid.
    Returns {"seq", "hash", "root", "head": {"chain", "seq", "hash"}} like covering_anchor."""
    seq, head = chain_head(chain)
    if seq == 0:
        return {"seq": 0, "hash": GENESIS, "root": GENESIS, "head": {"chain": chain, "seq": 0, "hash": GENESIS}}
    found = covering_anchor(chain, seq)
    if found is not None and found["head"]["seq"] == seq:
        return found
    heads = [[chain, seq, head]]
    root = merkle_root(heads)
    entry = record("audit.anchor", "audit:anchor", {"heads": heads, "root": root}, "system", chain=ANCHOR)
    row = db.session.get(AuditAnchored, chain, populate_existing=True)  # as committed by the job before our lock
    if row is None:
        db.session.add(AuditAnchored(chain=chain, seq=seq))
    elif row.seq < seq:
        row.seq = seq
    db.session.flush()
    return {"seq": entry.chain_seq, "hash": entry.hash, "root": root, "head": {"chain": chain, "seq": seq, "hash": head}}


def covering_anchor(chain: str, seq: int) -> dict | None:
    """The first anchor whose heads include `chain` at `seq` or later (a hash chain: a later head covers every
    earlier entry); None until the scheduler has anchored it (within about a second)."""
    like = f'%"{chain}"%'
    for entry in db.session.execute(select(AuditEntry).where(AuditEntry.chain == ANCHOR,
                                                             AuditEntry.object == "audit:anchor")
                                    .where(text("CAST(audit_log.data AS TEXT) LIKE :like"))
                                    .params(like=like).order_by(AuditEntry.chain_seq)).scalars():
        for c, s, h in (entry.data or {}).get("heads", []):
            if c == chain and s >= seq:
                return {"seq": entry.chain_seq, "hash": entry.hash, "root": entry.data["root"],
                        "head": {"chain": c, "seq": s, "hash": h}}
    return None


# ------------------------------------------------------------------ verification

def verify() -> dict:
    """Walk every chain and check every anchor. `ok` is false if any entry was edited, inserted or deleted, a
    chain lost its last entries or vanished after being anchored, or a head row disagrees with its chain."""
    errors: list[str] = []
    heads = {r.chain: (int(r.seq), r.hash) for r in db.session.execute(
        select(AuditChain.chain, AuditChain.seq, AuditChain.hash))}
    anchors = [(e.chain_seq, e.data or {}) for e in db.session.execute(
        select(AuditEntry).where(AuditEntry.chain == ANCHOR).order_by(AuditEntry.chain_seq)).scalars()]
    wanted: dict[tuple[str, int], str] = {}
    for aseq, data in anchors:
        leaves = data.get("heads") or []
        if merkle_root(leaves) != data.get("root"):
            errors.append(f"anchor {aseq}: Merkle root does not match its heads")
        for c, s, h in leaves:
            wanted[(c, int(s))] = h
    found: set[tuple[str, int]] = set()
    tails: dict[str, tuple[int, str]] = {}
    count = 0
    chain = None
    prev, expected = GENESIS, 1
    broken: set[str] = set()
    stmt = select(AuditEntry).order_by(AuditEntry.chain, AuditEntry.chain_seq)
    for e in db.session.execute(stmt).scalars().yield_per(2000):
        count += 1
        if e.chain != chain:
            chain, prev, expected = e.chain, GENESIS, 1
        if e.chain in broken:
            continue
        if e.chain_seq != expected or e.prev_hash != prev:
            errors.append(f"chain {e.chain}: entry {expected} missing or out of order (found {e.chain_seq})")
            broken.add(e.chain)
            continue
        h = entry_hash(prev, e.chain_seq, e.at.isoformat(), e.actor, e.action, e.object, e.data or {}, e.chain)
        if h != e.hash:
            errors.append(f"chain {e.chain}: entry {e.chain_seq} was altered")
            broken.add(e.chain)
            continue
        if (e.chain, e.chain_seq) in wanted:
            found.add((e.chain, e.chain_seq))
            if wanted[(e.chain, e.chain_seq)] != h:
                errors.append(f"chain {e.chain}: entry {e.chain_seq} differs from its anchored hash")
        tails[e.chain] = (e.chain_seq, h)
        prev, expected = h, expected + 1
    for c in sorted(set(heads) | set(tails)):
        if c in broken:
            continue
        head = heads.get(c)
        if head is None:
            errors.append(f"chain {c}: head row missing")
        elif head != tails.get(c, (0, GENESIS)):
            errors.append(f"chain {c}: head row (seq {head[0]}) does not match the chain's last entry")
    for (c, s) in sorted(set(wanted) - found):
        if c not in broken:
            errors.append(f"chain {c}: anchored entry {s} is missing" + ("" if c in tails else " (whole chain)"))
    return {"ok": not errors, "entries": count, "head": heads.get(ANCHOR, (0, GENESIS))[1],
            "chains": len(set(heads) | set(tails)), "anchors": len(anchors), "errors": errors[:20]}

