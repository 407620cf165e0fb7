"""The credit list (信用, 失信惩戒对象名单): entries against organisations, the bar on registering, repair.

Any registration — a project's (auctions) or a tender lot's (tenders) — calls `ensure_not_barred(user)` before
it writes anything: 409 `credit_barred` with the entry's cause and bar_until. Every move is audited.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from trading import audit
from trading.accounts.credit import mask_if_personal
from trading.accounts.models import CreditEntry, Organisation
from trading.clock import BEIJING, DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE, now
from trading.db import lock
from trading.errors import Conflict, Invalid, NotFound
from trading.extensions import db

CAUSES = {"winner_default": "成交人违约（拒不签约）", "withdrawal_after_award": "成交后放弃",
          "forged_guarantee": "提供虚假或伪造保函", "collusion": "串通投标/竞买", "other": "其他失信行为"}
STATUS_LABELS = {"draft": "待确认", "active": "惩戒中", "repaired": "已信用修复"}
DEFAULT_BAR_DAYS = 365  # a draft opened by a default proposes one year; staff may change it on confirming


def today() -> date:
    """Today in Beijing: the day a bar is judged by."""
    return now().astimezone(BEIJING).date()


def org_by_code(code: str | None) -> Organisation | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    return db.session.execute(select(Organisation).where(Organisation.credit_code == code)).scalar_one_or_none()


def _date_errors(**dates: date | None) -> dict[str, str]:
    """Every date an entry takes lies in 2000-01-01 … 2099-12-31 (trading.clock's range for instants)."""
    return {name: DATE_RANGE_MESSAGE for name, d in dates.items()
            if d is not None and not EARLIEST_DATE <= d <= LATEST_DATE}


def _check_dates(bar_from: date, bar_until: date) -> None:
    if errors := _date_errors(bar_from=bar_from, bar_until=bar_until):
        raise Invalid("；".join(errors.values()), fields=errors)
    if bar_until < bar_from:
        raise Invalid("惩戒截止日期不能早于开始日期", fields={"bar_until": "不能早于 bar_from"})


def _entry_json(e: CreditEntry) -> dict:
    return {"org": e.org.name, "cause": e.cause, "bar_from": e.bar_from.isoformat(),
            "bar_until": e.bar_until.isoformat(), "project_code": e.project_code}


def record(*, org_code: str, cause: str, evidence: str, decided_on: date, bar_from: date, bar_until: date,
           project_code: str | None, actor: str) -> CreditEntry:
    """Staff record an entry; it is active at once."""
    errors = {}
    org = org_by_code(org_code)
    if org is None:
        errors["org_code"] = "未找到该统一社会信用代码（或身份证号）对应的组织"
    if cause not in CAUSES:
        errors["cause"] = "失信原因无效，可选：" + "、".join(CAUSES)
    if not (evidence or "").strip():
        errors["evidence"] = "请填写事实与证据"
    if bar_until < bar_from:
        errors["bar_until"] = "惩戒截止日期不能早于开始日期"
    errors.update(_date_errors(decided_on=decided_on, bar_from=bar_from, bar_until=bar_until))
    if errors:
        raise Invalid("；".join(errors.values()), fields=errors)
    assert org is not None
    e = CreditEntry(org_id=org.id, cause=cause, evidence=evidence.strip(), decided_on=decided_on,
                    bar_from=bar_from, bar_until=bar_until, project_code=project_code or None, status="active",
                    source="manual", created_by=actor, created_at=now(), confirmed_by=actor, confirmed_at=now())
    db.session.add(e)
    db.session.flush()
    audit.record("credit.record", f"credit:{e.id}", {**_entry_json(e), "status": e.status}, actor)
    return e


def open_draft(org_id: int, *, cause: str, evidence: str, project_code: str | None, actor: str,
               source: str) -> CreditEntry | None:
    """A winner default or a confirmed forged guarantee proposes an entry for staff to confirm (one per
    organisation, cause and project)."""
    existing = db.session.execute(select(CreditEntry.id).where(
        CreditEntry.org_id == org_id, CreditEntry.cause == cause, CreditEntry.project_code == project_code,
        CreditEntry.status.in_(["draft", "active"]))).first()
    if existing is not None:
        return None
    d = today()
    e = CreditEntry(org_id=org_id, cause=cause, evidence=evidence, decided_on=d, bar_from=d,
                    bar_until=d + timedelta(days=DEFAULT_BAR_DAYS), project_code=project_code, status="draft",
                    source=source, created_by=actor, created_at=now())
    db.session.add(e)
    db.session.flush()
    audit.record("credit.draft", f"credit:{e.id}", {**_entry_json(e), "source": source}, actor)
    return e


def _locked(entry_id: int) -> CreditEntry:
    e = lock(CreditEntry, entry_id)
    if e is None:
        raise NotFound("信用记录不存在", code="not_found")
    return e


def confirm(entry_id: int, actor: str, *, bar_from: date | None = None, bar_until: date | None = None) -> CreditEntry:
    e = _locked(entry_id)
    if e.status != "draft":
        raise Conflict("只有待确认的信用记录可以确认", code="invalid_state")
    e.bar_from, e.bar_until = bar_from or e.bar_from, bar_until or e.bar_until
    _check_dates(e.bar_from, e.bar_until)
    e.status, e.confirmed_by, e.confirmed_at = "active", actor, now()
    db.session.flush()
    audit.record("credit.confirm", f"credit:{e.id}", _entry_json(e), actor)
    return e


def repair(entry_id: int, reason: str, actor: str) -> CreditEntry:
    """信用修复: the entry ends today with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写信用修复理由", fields={"reason": "必填"})
    e = _locked(entry_id)
    if e.status != "active":
        raise Conflict("只有惩戒中的信用记录可以修复", code="invalid_state")
    e.status, e.repaired_by, e.repaired_at, e.repair_reason = "repaired", actor, now(), reason
    e.bar_until = min(e.bar_until, today())
    db.session.flush()
    audit.record("credit.repair", f"credit:{e.id}", {**_entry_json(e), "reason": reason}, actor)
    return e


def active_bar(org_id: int | None, on: date | None = None) -> CreditEntry | None:
    if org_id is None:
        return None
    on = on or today()
    return db.session.execute(select(CreditEntry).where(
        CreditEntry.org_id == org_id, CreditEntry.status == "active", CreditEntry.bar_from <= on,
        CreditEntry.bar_until >= on).order_by(CreditEntry.bar_until.desc()).limit(1)).scalar_one_or_none()


def ensure_not_barred(user) -> None:
    """Every registration (project or tender lot) calls this before writing: 409 credit_barred."""
    e = active_bar(getattr(user, "org_id", None))
    if e is not None:
        raise Conflict(f"您所在的组织已被列入失信惩戒名单（{CAUSES.get(e.cause, e.cause)}），"
                       f"惩戒期至 {e.bar_until.isoformat()}，期间不能报名参与交易", code="credit_barred")


def public_list(on: date | None = None) -> list[CreditEntry]:
    on = on or today()
    return list(db.session.execute(select(CreditEntry).where(
        CreditEntry.status == "active", CreditEntry.bar_from <= on, CreditEntry.bar_until >= on)
        .order_by(CreditEntry.bar_until.desc(), CreditEntry.id)).scalars())


def all_entries() -> list[CreditEntry]:
    return list(db.session.execute(select(CreditEntry).order_by(CreditEntry.id.desc())).scalars())


def serialize(e: CreditEntry, *, public: bool = True) -> dict:
    out = {"id": e.id, "org_name": e.org.name, "org_code": mask_if_personal(e.org.credit_code), "cause": e.cause,
           "bar_from": e.bar_from.isoformat(), "bar_until": e.bar_until.isoformat(), "status": e.status}
    if not public:
        out.update(evidence=e.evidence, decided_on=e.decided_on.isoformat(), project_code=e.project_code,
                   repair_reason=e.repair_reason, source=e.source)
    return out
