"""Storage for the bid transaction (docs/architecture.md): read the auction under its row lock, write an accepted bid.

The rules stay in `auctions.rules`; this module only moves rows. Two implementations of the same two steps:

- PostgreSQL: plain SQL on the session's own connection, inside the request's transaction. `lock` is ONE
  `SELECT … FOR UPDATE OF p` that also reads the bidder's registration and priority right; `record` is ONE
  statement whose data-modifying CTEs update the auction, insert the bid and append the audit entry
  (`trading.audit.APPEND_CTES`: the project's own audit chain). With COMMIT that is three round trips and no ORM on the
  busiest path of the system; the auction row is locked from the first statement to the commit.
- every other backend (SQLite, whose transactions already hold the write lock): the ORM, row by row.

The whole test suite runs on both backends, so both implementations are held to the same behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, select

from auctions import events, rules
from auctions.models import Bid, Registration, RegistrationStatus
from trading import audit
from trading.db import driver_cursor, is_postgres
from trading.db import lock as orm_lock
from trading.errors import NotFound
from trading.extensions import db
from trading.projects.models import Project, ProjectPriorityHolder


@dataclass(frozen=True)
class Locked:
    """The auction row and the bidder's standing in it, read under the row lock."""

    project_id: int
    auction: rules.Auction
    bidder: rules.Bidder
    registration_id: int | None
    bidder_no: str | None


def _not_found() -> NotFound:
    return NotFound("项目不存在", code="not_found")


# ------------------------------------------------------------------ PostgreSQL: plain SQL

_LOCK_PG = """
SELECT p.method, p.direction, p.status, p.start_price, p.increment, p.bidding_start,
       coalesce(p.ends_at, p.bidding_end) AS ends_at, coalesce(p.extension_seconds, 0) AS extension_seconds,
       p.max_extensions, p.reserve_price, p.current_price, p.leader_id,
       coalesce(p.leader_is_priority, false) AS leader_is_priority, coalesce(p.bid_count, 0) AS bid_count,
       coalesce(p.extensions_used, 0) AS extensions_used, r.id AS registration_id,
       r.status AS registration_status, r.bidder_no,
       EXISTS (SELECT 1 FROM project_priority_holders h WHERE h.project_id = p.id AND h.user_id = %(uid)s)
         AS priority
  FROM projects p LEFT JOIN registrations r ON r.project_id = p.id AND r.bidder_id = %(uid)s
 WHERE p.id = %(pid)s
   FOR UPDATE OF p
"""

_RECORD_PG = """
WITH bid_upd AS (
  UPDATE projects SET current_price = %(price)s, leader_id = %(uid)s, leader_is_priority = %(prio)s,
         bid_count = %(seq)s, ends_at = %(ends_at)s, extensions_used = %(ext)s
   WHERE id = %(pid)s),
bid_ins AS (
  INSERT INTO bids (project_id, seq, registration_id, bidder_id, amount, is_priority, at, ends_at_after, ip)
  VALUES (%(pid)s, %(seq)s, %(reg)s, %(uid)s, %(amount)s, %(prio)s, %(at)s, %(ends_at)s, %(ip)s)),
""" + audit.APPEND_CTES.rstrip() + """,
       pg_notify('""" + events.CHANNEL + """', %(pid_text)s) AS room_notified
"""  # noqa: S608 -- constant SQL; every value is a bound parameter. The room's NOTIFY rides in the same statement
# (delivered on COMMIT, like one sent before it): no round trip of its own on the hot path.


_AUCTION_FIELDS = tuple(f.name for f in dataclass_fields(rules.Auction))


def _lock_pg(project_id: int, user_id: int) -> Locked:
    with driver_cursor(dict_rows=True) as cur:
        cur.execute(_LOCK_PG, {"pid": project_id, "uid": user_id})
        row = cur.fetchone()
    if row is None:
        raise _not_found()
    fields = {f: row[f] for f in _AUCTION_FIELDS}  # by column name: the SELECT's order is free to change
    fields["bidding_start"] = fields["bidding_start"].astimezone(UTC)
    fields["ends_at"] = fields["ends_at"].astimezone(UTC)
    reg_id = row["registration_id"]
    qualified = reg_id is not None and row["registration_status"] == RegistrationStatus.QUALIFIED
    return Locked(project_id, rules.Auction(**fields), rules.Bidder(user_id, qualified, bool(row["priority"])),
                  reg_id, row["bidder_no"])


def _record_pg(locked: Locked, user_id: int, res: rules.Accepted, at: datetime, ip: str | None,
               entry: dict[str, Any]) -> bool:
    """The bid's rows and audit entry in one statement; True when that statement also sent the room's NOTIFY."""
    after = res.after
    params = {"pid": locked.project_id, "uid": user_id, "price": after.current_price,
              "prio": after.leader_is_priority, "seq": after.bid_count, "ends_at": after.ends_at,
              "ext": after.extensions_used, "reg": locked.registration_id, "amount": res.amount, "at": at,
              "ip": ip, **audit.append_params(**entry, chain=f"project:{locked.project_id}")}
    params["pid_text"] = str(locked.project_id)
    with driver_cursor() as cur:
        cur.execute(_RECORD_PG, params)
        appended = cur.fetchone() is not None
    if not appended:  # the project's chain has no head row yet: the bid rows are written, append alone
        audit.append_pg(params)  # (and the NOTIFY, which rode on the returned row, is sent at COMMIT)
    return appended


# ------------------------------------------------------------------ other backends: the ORM

def snapshot(p: Project) -> rules.Auction:
    return rules.Auction(
        method=p.method, direction=p.direction, status=p.status, start_price=p.start_price,
        increment=p.increment, bidding_start=p.bidding_start, ends_at=p.ends_at or p.bidding_end,
        extension_seconds=p.extension_seconds or 0, max_extensions=p.max_extensions,
        reserve_price=p.reserve_price, current_price=p.current_price, leader_id=p.leader_id,
        leader_is_priority=bool(p.leader_is_priority), bid_count=p.bid_count or 0,
        extensions_used=p.extensions_used or 0)


def is_priority_holder(project_id: int, user_id: int) -> bool:
    return db.session.get(ProjectPriorityHolder, (project_id, user_id)) is not None


def standing(project_id: int, user_id: int) -> tuple[rules.Bidder, Registration | None]:
    """ORM: the bidder's registration and priority right, read in one round trip."""
    holder = exists().where(ProjectPriorityHolder.project_id == project_id, ProjectPriorityHolder.user_id == user_id)
    row = db.session.execute(select(Registration, holder.label("priority")).where(
        Registration.project_id == project_id, Registration.bidder_id == user_id)).one_or_none()
    reg, priority = (row[0], bool(row[1])) if row is not None else (None, is_priority_holder(project_id, user_id))
    qualified = reg is not None and reg.status == RegistrationStatus.QUALIFIED
    return rules.Bidder(user_id, qualified, priority), reg


def _lock_orm(project_id: int, user_id: int) -> Locked:
    p = orm_lock(Project, project_id)
    if p is None:
        raise _not_found()
    bidder, reg = standing(project_id, user_id)
    return Locked(project_id, snapshot(p), bidder, reg.id if reg is not None else None,
                  reg.bidder_no if reg is not None else None)


def _record_orm(locked: Locked, user_id: int, res: rules.Accepted, at: datetime, ip: str | None,
                entry: dict[str, Any]) -> None:
    after = res.after
    project = db.session.get(Project, locked.project_id)  # in the identity map since _lock_orm
    assert project is not None
    assert locked.registration_id is not None
    project.current_price, project.leader_id = after.current_price, after.leader_id
    project.leader_is_priority, project.bid_count = after.leader_is_priority, after.bid_count
    project.ends_at, project.extensions_used = after.ends_at, after.extensions_used
    db.session.add(Bid(project_id=locked.project_id, seq=after.bid_count, registration_id=locked.registration_id,
                       bidder_id=user_id, amount=res.amount, is_priority=res.is_priority, at=at,
                       ends_at_after=after.ends_at, ip=ip))
    audit.record(**entry, chain=f"project:{locked.project_id}")
    db.session.flush()


# ------------------------------------------------------------------ the interface services use

def lock(project_id: int, user_id: int) -> Locked:
    """Lock the auction row for the rest of the transaction and read it with the bidder's standing."""
    return _lock_pg(project_id, user_id) if is_postgres() else _lock_orm(project_id, user_id)


def record(locked: Locked, user_id: int, res: rules.Accepted, at: datetime, ip: str | None,
           entry: dict[str, Any]) -> None:
    """Store an accepted bid: the auction's new state, the bid row and its audit entry (`entry` holds
    `audit.record`'s keyword arguments)."""
    notified = False
    if is_postgres():
        notified = _record_pg(locked, user_id, res, at, ip, entry)
    else:
        _record_orm(locked, user_id, res, at, ip, entry)
    events.changed(locked.project_id, notified=notified)  # watchers are told on COMMIT
