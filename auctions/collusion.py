"""Collusion signals (串标/围标) for the staff qualification page.

A signal is a hint for staff, never a decision: different bidders who registered for one project
  - from the same IP address (same_ip),
  - from the same "device" — the same IP address and the same User-Agent (same_device),
  - with the same contact phone number (their own or their organisation's) (same_phone),
and pairs of bidders who always appear together: both registered in this project, at least
`min_shared` projects in common, and one of them never registered anywhere without the other
(always_together). `find_signals` is pure; `project_signals` loads its inputs from the database.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import select

from auctions.models import Registration, RegistrationStatus
from trading.accounts.models import Organisation, User
from trading.extensions import db
from trading.projects.models import Project

KIND_LABELS = {
    "same_ip": "同一IP地址报名",
    "same_device": "同一设备报名（IP与浏览器标识均相同）",
    "same_phone": "联系电话相同",
    "always_together": "多次共同报名",
}


@dataclass(frozen=True)
class RegInfo:
    """What the signals need to know about one registration."""

    registration_id: int
    bidder_id: int
    bidder_no: str
    ip: str | None = None
    user_agent: str | None = None
    phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Signal:
    kind: str
    evidence: str  # the shared IP, the shared device, the (masked) phone, or "N 个项目"
    bidder_nos: tuple[str, ...]
    bidder_ids: tuple[int, ...]

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def normalise_phone(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if len(digits) >= 7 else None


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 11 else phone[:2] + "***" + phone[-2:]


def _groups(regs: list[RegInfo], key) -> dict[str, list[RegInfo]]:
    found: dict[str, dict[int, RegInfo]] = defaultdict(dict)
    for r in regs:
        for k in key(r):
            if k:
                found[k].setdefault(r.bidder_id, r)
    return {k: sorted(v.values(), key=lambda r: r.bidder_no) for k, v in found.items() if len(v) > 1}


def _signal(kind: str, evidence: str, members: list[RegInfo]) -> Signal:
    return Signal(kind, evidence, tuple(r.bidder_no for r in members), tuple(r.bidder_id for r in members))


def find_signals(regs: list[RegInfo], history: dict[int, set[int]] | None = None,
                 min_shared: int = 3) -> list[Signal]:
    """Signals among one project's registrations; history maps bidder_id → every project id they registered in."""
    out: list[Signal] = []
    by_ip = _groups(regs, lambda r: [(r.ip or "").strip()])
    devices = _groups(regs, lambda r: [f"{r.ip}|{r.user_agent}" if r.ip and r.user_agent else ""])
    for ip, members in sorted(by_ip.items()):
        out.append(_signal("same_ip", ip, members))
    for dev, members in sorted(devices.items()):
        ip, ua = dev.split("|", 1)
        out.append(_signal("same_device", f"{ip} · {ua[:60]}", members))
    phones = _groups(regs, lambda r: sorted({p for p in (normalise_phone(x) for x in r.phones) if p}))
    for phone, members in sorted(phones.items()):
        out.append(_signal("same_phone", mask_phone(phone), members))
    history = history or {}
    bidders = {r.bidder_id: r for r in regs}
    for a, b in combinations(sorted(bidders), 2):
        pa, pb = history.get(a, set()), history.get(b, set())
        shared = len(pa & pb)
        if shared >= min_shared and shared == min(len(pa), len(pb)):
            members = sorted((bidders[a], bidders[b]), key=lambda r: r.bidder_no)
            out.append(_signal("always_together", f"共同报名 {shared} 个项目", members))
    return out


def project_signals(project: Project, min_shared: int = 3) -> list[Signal]:
    """Load the project's live registrations (withdrawn ones excluded) and each bidder's history."""
    rows = db.session.execute(
        select(Registration, User.phone, Organisation.phone).join(User, User.id == Registration.bidder_id)
        .outerjoin(Organisation, Organisation.id == User.org_id)
        .where(Registration.project_id == project.id, Registration.status != RegistrationStatus.WITHDRAWN)).all()
    regs = [RegInfo(r.id, r.bidder_id, r.bidder_no, r.ip, r.user_agent, tuple(p for p in (up, op) if p))
            for r, up, op in rows]
    ids = {r.bidder_id for r in regs}
    history: dict[int, set[int]] = defaultdict(set)
    if len(ids) > 1:
        for bidder_id, pid in db.session.execute(select(Registration.bidder_id, Registration.project_id).where(
                Registration.bidder_id.in_(ids), Registration.status != RegistrationStatus.WITHDRAWN)):
            history[bidder_id].add(pid)
    return find_signals(regs, history, min_shared)
