"""Reproduction datasets: synthetic but consistent data whose work report matches a published one.

`luzhai-2025h1` reproduces the figures of a county report (鹿寨县, 2025年上半年):
- public resources, 2025-01-01..2025-05-31: 69 deals, 2.82亿元, savings 581.57万元 — 63 procurement and
  construction deals are awarded tenders (one lot each: budget, award price, award date; luzhai_tenders.py), 6
  state-asset and land-use deals ascending auctions;
- rural property, 2025-01-01..2025-06-30: 21 listings, 44.27亩, 668.58万元 listed; 38 completed
  transfers, 111.87亩, 465.29万元; 3 certificates covering 99.92亩 and 104.12万元.
Rows are inserted directly with historic dates (the window checks apply to new listings only).
Amounts come from a seeded generator; one balancing row per figure makes each sum exact to the fen.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from trading.accounts.models import Organisation, User
from trading.clock import BEIJING
from trading.demo.bid_security import add_security
from trading.demo.luzhai import (
    CERTIFIED,
    PUBLIC_OWNERS,
    RURAL_ASSETS,
    RURAL_LISTING_EXTRA,
    RURAL_OWNERS,
    RURAL_SMALL_LAND,
    RURAL_WINNERS,
    SUPPLIERS,
    TARGETS,
    public_titles,
)
from trading.demo.luzhai_tenders import awarded_tender
from trading.extensions import db
from trading.money import quantize
from trading.projects.models import Project

MARKER = "LZ-"  # every project code of this dataset starts with it


def bj(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=BEIJING).astimezone(UTC)


class Loader:
    def __init__(self) -> None:
        self.rng = random.Random(20250630)
        self.users: dict[str, User] = {}
        self.n = {"GG": 0, "NC": 0, "ZB": 0}
        self.tender_rng = random.Random(20250531)  # the tenders' bids: the other figures' draws stay as they were
        self.projects: list[Project] = []
        self.pools: dict[bool, list[User]] = {True: [], False: []}  # bidders of public / rural projects

    # ------------------------------------------------------------------ people
    def user(self, username: str, name: str, role: str, kind: str, town: str | None = None) -> User:
        if username in self.users:
            return self.users[username]
        user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            org = Organisation(name=name, kind=kind, town=town)
            db.session.add(org)
            # unusable demo password: these accounts exist to own and win the historic deals
            user = User(username=username, role=role, display_name=name, org=org, active=False,
                        password_hash=generate_password_hash(f"disabled-{self.rng.random()}",
                                                             method="pbkdf2:sha256:1000"))
            db.session.add(user)
        self.users[username] = user
        return user

    # ----------------------------------------------------------------- tenders
    def tender(self, *, kind: str, title: str, location: str, owner: User, budget: Decimal, price: Decimal,
               awarded: datetime, winner: User, bids: int) -> None:
        """A procurement or construction deal: an awarded one-lot tender (budget, award price, award date); its
        draws from self.rng are the ones the descending project took, so every other row stays as it was."""
        self.n["ZB"] += 1
        awarded_tender(self.tender_rng, f"{MARKER}ZB-2025-{self.n['ZB']:04d}", kind=kind, title=title,
                       location=location, owner=owner, budget=quantize(budget), price=price, awarded=awarded,
                       winner=winner, bids=bids, bidders=self.pools[True])

    # ---------------------------------------------------------------- projects
    def project(self, prefix: str, *, kind: str, title: str, location: str, town: str, direction: str,
                start: Decimal, owner: User, approved: datetime, status: str, final: Decimal | None = None,
                awarded: datetime | None = None, winner: User | None = None, unit: str = "total",
                area: Decimal | None = None, term: int | None = None, budget: Decimal | None = None,
                method: str = "auction", bids: int = 0) -> Project:
        self.n[prefix] += 1
        code = f"{MARKER}{prefix}-2025-{self.n[prefix]:04d}"
        bidding_end = awarded or approved + timedelta(days=7, hours=1)
        bidding_start = bidding_end - timedelta(hours=1)
        closed = awarded or (bidding_end if status == "failed" else None)
        increment = quantize(max(Decimal("1.00"), (start * Decimal("0.005")).quantize(Decimal("1"))))
        p = Project(code=code, kind=kind, title=title, location=location, town=town, description=title,
                    method=method, direction=direction, price_unit=unit, area_mu=area, term_years=term,
                    start_price=quantize(start), budget=budget, increment=increment,
                    deposit=_deposit(kind, start),
                    extension_seconds=300, announce_start=approved, registration_end=bidding_start - timedelta(days=1),
                    bidding_start=bidding_start, bidding_end=bidding_end, status=status, owner=owner,
                    created_at=approved - timedelta(days=2), submitted_at=approved - timedelta(days=1),
                    approved_at=approved, ends_at=awarded or bidding_end, bid_count=bids, closed_at=closed)
        if final is not None:
            p.current_price = final
            p.final_price = final
            p.awarded_at = awarded
            p.winner = winner
            p.leader = winner
            p.publicity_ends_at = awarded + timedelta(days=5) if awarded else None
        if status == "failed":
            p.outcome_reason = "无人报价" if bids == 0 else "最高报价未达到保留价"
        if status == "withdrawn":
            p.withdraw_reason = "出让方申请终止挂牌"
        db.session.add(p)
        self.projects.append(p)
        return p


def _deposit(kind: str, start: Decimal) -> Decimal:
    """Bid security: 2% of the ceiling for public resources (招标投标法实施条例 §26 sets the 2 %; the 80万元 cap
    is 工程建设项目施工招标投标办法 (七部委30号令) §37), 10% of the start for rural property."""
    if kind in ("procurement", "construction", "state_asset", "land_use"):
        return quantize(min(start * Decimal("0.02"), Decimal("800000")).quantize(Decimal("1")))
    return quantize(max(start * Decimal("0.1"), Decimal("500")).quantize(Decimal("1")))


def _split(total: Decimal, weights: list[float]) -> list[Decimal]:
    """Split an amount by weights, to the fen; the last part takes the rounding remainder."""
    s = sum(weights)
    parts = [quantize(total * Decimal(str(w / s))) for w in weights[:-1]]
    parts.append(total - sum(parts))
    return parts


def _public(ld: Loader) -> None:
    rng = ld.rng
    owners = {k: ld.user(u, name, "collective", "company") for k, (u, name) in PUBLIC_OWNERS.items()}
    suppliers = [ld.user(u, name, "bidder", "company") for u, name in SUPPLIERS]
    ld.pools[True] = suppliers
    titles = public_titles(rng)
    # award instants over 1–5月 (Beijing); the last lands at 23:30 on 31 May, still inside the period
    days = sorted(bj(2025, rng.randint(1, 5), rng.randint(2, 28), rng.randint(9, 17)) for _ in range(68))
    days.append(bj(2025, 5, 31, 23, 30))
    kinds = ["construction"] * 30 + ["procurement"] * 33 + ["state_asset"] * 4 + ["land_use"] * 2
    rng.shuffle(kinds)
    T, S = TARGETS["public_total"], TARGETS["public_savings"]
    # ascending sales first: fixed, realistic amounts
    asc = {i: quantize(Decimal(rng.randint(600, 4800)) * 1000) for i, k in enumerate(kinds) if k == "state_asset"}
    land = [i for i, k in enumerate(kinds) if k == "land_use"]
    asc[land[0]] = Decimal("18620000.00")
    asc[land[1]] = Decimal("31260000.00")
    proc = {i: quantize(Decimal(rng.randint(80, 2400)) * 1000 + Decimal(rng.randint(0, 99999)) / 100)
            for i, k in enumerate(kinds) if k == "procurement"}
    cons_idx = [i for i, k in enumerate(kinds) if k == "construction"]
    cons_total = T - sum(asc.values()) - sum(proc.values())
    cons = dict(zip(cons_idx, _split(cons_total, [rng.uniform(0.3, 3.0) for _ in cons_idx]), strict=True))
    price = {**asc, **proc, **cons}
    desc_idx = sorted(proc) + sorted(cons)
    savings = dict(zip(desc_idx, _split(S, [float(price[i]) * rng.uniform(0.008, 0.05) for i in desc_idx]),
                       strict=True))
    for i, kind in enumerate(kinds):
        title, town = titles[kind][i % len(titles[kind])]
        owner = owners[kind]
        winner = suppliers[rng.randrange(len(suppliers))]
        awarded = days[i]
        approved = awarded - timedelta(days=rng.randint(12, 30))
        if kind in ("state_asset", "land_use"):
            start = (price[i] / Decimal(str(rng.uniform(1.02, 1.18))) / 1000).quantize(Decimal(1)) * 1000
            ld.project("GG", kind=kind, title=title, location=f"鹿寨县{town}", town=town, direction="ascending",
                       start=start, owner=owner, approved=approved, status="awarded",
                       final=price[i], awarded=awarded, winner=winner, bids=rng.randint(3, 40))
        else:  # a tender whose one lot was awarded at the deal's date (trading/demo/luzhai_tenders.py)
            ld.tender(kind=kind, title=title, location=f"鹿寨县{town}", owner=owner, budget=price[i] + savings[i],
                      price=price[i], awarded=awarded, winner=winner, bids=rng.randint(3, 18))
    # outside the count: the next Beijing day (still 31 May in UTC), a failed and a withdrawn listing
    ld.tender(kind="procurement", title="县融媒体中心演播室设备采购项目", location="鹿寨县鹿寨镇",
              owner=owners["procurement"], budget=Decimal("865000.00"), price=Decimal("842300.00"),
              awarded=bj(2025, 6, 1, 0, 10), winner=suppliers[0], bids=5)
    ld.project("GG", kind="construction", title="拉沟乡木龙村便民桥重建工程", location="鹿寨县拉沟乡", town="拉沟乡",
               direction="descending", start=Decimal("1280000.00"), budget=Decimal("1280000.00"),
               owner=owners["construction"], approved=bj(2025, 3, 3), status="failed", method="sealed", bids=0)
    ld.project("GG", kind="state_asset", title="县城投公司旧办公楼一层商铺租赁权", location="鹿寨县鹿寨镇", town="鹿寨镇",
               direction="ascending", start=Decimal("96000.00"), owner=owners["state_asset"],
               approved=bj(2025, 4, 8), status="withdrawn")


def _rural(ld: Loader) -> list[Project]:
    """Returns the three certified deals (their certificates are issued by _certificates)."""
    rng = ld.rng
    owners = {town_village: ld.user(u, f"鹿寨县{town_village}股份经济合作社", "collective", "village_collective",
                                    town_village[:3])
              for u, town_village in RURAL_OWNERS}
    owner_list = list(owners.values())
    winners = [ld.user(u, name, "bidder", kind) for u, name, kind in RURAL_WINNERS]
    ld.pools[False] = winners

    def where(i: int) -> tuple[str, str]:
        town_village = RURAL_OWNERS[i % len(RURAL_OWNERS)][1]
        return f"鹿寨县{town_village}", town_village[:3]

    certified = []
    # 3 large land transfers listed in December 2024, awarded in January, certified in February
    for i, (title, area, term, start, final, day) in enumerate(CERTIFIED):
        loc, town = where(i)
        certified.append(ld.project(
            "NC", kind="rural_land", title=title, location=loc, town=town, direction="ascending", start=start,
            unit="per_mu_year", area=area, term=term, owner=owner_list[i], approved=bj(2024, 12, 10 + i),
            status="awarded", final=final, awarded=bj(2025, 1, day, 10), winner=winners[i], bids=12 + i))
    deal_sum = sum(quantize(f * a * t) for _, a, t, _, f, _ in CERTIFIED)
    # 4 small land parcels listed and awarded in 2025 (11.95亩)
    listed_area, listed_amount = Decimal(0), Decimal(0)
    for i, (title, area, term, start, final, month) in enumerate(RURAL_SMALL_LAND):
        loc, town = where(i + 3)
        ld.project("NC", kind="rural_land", title=title, location=loc, town=town, direction="ascending",
                   start=start, unit="per_mu_year", area=area, term=term, owner=owner_list[(i + 3) % len(owner_list)],
                   approved=bj(2025, month, 5), status="awarded", final=final, awarded=bj(2025, month, 20, 15),
                   winner=winners[(i + 3) % len(winners)], bids=rng.randint(2, 9))
        listed_area += area
        listed_amount += quantize(start * area * term)
        deal_sum += quantize(final * area * term)
    # 31 collective-asset deals (no area): 8 listed in 2025, 23 listed late 2024; the last balances the sum
    target = TARGETS["rural_deal_amount"] - deal_sum
    weights = [rng.uniform(0.4, 2.5) for _ in range(31)]
    finals = _split(target, weights)
    for i, final in enumerate(finals):
        title = RURAL_ASSETS[i % len(RURAL_ASSETS)]
        loc, town = where(i + 7)
        in_2025 = i < 8
        if in_2025:
            approved = bj(2025, 1 + i % 5, 8 + i)
            awarded = approved + timedelta(days=rng.randint(9, 20), hours=5)
        else:  # listed in December 2024, completed in 1–3月
            approved = bj(2024, 12, 10 + i % 18)
            awarded = bj(2025, 1 + i % 3, 5 + i % 20, 15)
        start = quantize(final / Decimal(str(rng.uniform(1.0, 1.25))))
        ld.project("NC", kind="rural_asset", title=f"{town}{title}", location=loc, town=town, direction="ascending",
                   start=start, owner=owner_list[(i + 7) % len(owner_list)], approved=approved, status="awarded",
                   final=final, awarded=awarded, winner=winners[i % len(winners)], bids=rng.randint(1, 14))
        if in_2025:
            listed_amount += start
    # 9 more 2025 listings that were not awarded in 1–6月: they balance the listed area and amount
    extra_area = TARGETS["rural_listed_area"] - listed_area
    extra_amount = TARGETS["rural_listed_amount"] - listed_amount
    areas: list[Decimal | None] = [*_split(extra_area, [1.0, 1.4, 0.8, 1.2, 0.6, 1.0]), None, None, None]
    amounts = _split(extra_amount, [0.6, 0.9, 0.5, 0.7, 0.4, 0.6, 3.0, 1.8, 1.2])
    for i, ((title, kind, status, month, outcome_month), x_area, x_amount) in enumerate(
            zip(RURAL_LISTING_EXTRA, areas, amounts, strict=True)):
        loc, town = where(i + 11)
        x_awarded = bj(2025, outcome_month, 18) if status == "awarded" else None
        x_final = quantize(x_amount * Decimal("1.06")) if x_awarded else None
        ld.project("NC", kind=kind, title=title, location=loc, town=town, direction="ascending", start=x_amount,
                   area=x_area, owner=owner_list[(i + 11) % len(owner_list)], approved=bj(2025, month, 16),
                   status=status, final=x_final, awarded=x_awarded,
                   winner=winners[i % len(winners)] if x_awarded else None, bids=rng.randint(2, 8) if x_awarded else 0)
    return certified


def _certificates(projects: list[Project], staff: User) -> None:
    """Real certificates (signed facts and PDF) issued eight days after each award, once publicity is over.

    Issued through the certificates service with the clock frozen at the historic issue time; the
    center's keys are created first when missing (as `flask keys init` would).
    """
    from flask import current_app

    from certificates import keys
    from certificates.services import issue_certificate
    from trading import clock

    if not keys.available():
        keys.init_keys(current_app.config["TRADING_CENTER_NAME"])
    for p in projects:
        with clock.frozen(p.awarded_at + timedelta(days=8)):  # type: ignore[operator,arg-type]
            issue_certificate(staff, p.id)


def load_luzhai_2025h1() -> bool:
    """Load the dataset once; returns False when it is already there (idempotent)."""
    exists = db.session.execute(select(Project.id).where(Project.code.like(f"{MARKER}%")).limit(1)).first()
    if exists:
        return False
    ld = Loader()
    staff = ld.user("lz_center", "鹿寨县公共资源交易中心", "staff", "center")
    _public(ld)
    certified = _rural(ld)
    db.session.flush()
    add_security(ld.rng, ld.projects, ld.pools, {True: 0.62, False: 0.35})
    _certificates(certified, staff)
    db.session.commit()
    return True


DATASETS = {"luzhai-2025h1": load_luzhai_2025h1}


def load(name: str) -> bool:
    """`flask --app wsgi demo --dataset NAME` (trading/demo.py calls this). Unknown names → 422 with the list."""
    from trading.errors import Invalid

    if name not in DATASETS:
        raise Invalid(f"未知数据集“{name}”，可选：" + "、".join(DATASETS), fields={"dataset": "未知数据集"})
    return DATASETS[name]()
