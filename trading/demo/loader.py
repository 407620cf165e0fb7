"""Demo data: a realistic county, loaded through the public API with the clock moved through time.

Everything goes through the same endpoints integrators use (docs/api.md), so the demo is also a smoke test
of the whole flow: listing → review → registration with guarantee or deposit → qualification → live
bidding → close → publicity → certificate. Idempotent: a second run finds the center's staff account
and stops.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import func, select

from trading import clock
from trading.accounts.credit import make_resident_id, make_uscc
from trading.accounts.models import Organisation, User
from trading.accounts.services import create_org, create_user
from trading.errors import DomainError
from trading.extensions import db
from trading.jobs import sweep
from trading.projects.models import Project

PASSWORD = "tradehall2026"
TOWNS = ["寨沙镇", "中渡镇", "黄冕镇"]
VILLAGES = [("寨沙镇", "龙田村"), ("寨沙镇", "大岭村"), ("中渡镇", "大兆村"), ("中渡镇", "长盛村"),
            ("黄冕镇", "幽兰村"), ("黄冕镇", "石墨村")]
BIDDERS = [
    ("coop-longtian", "鹿寨县龙田果蔬种植专业合作社", "cooperative"),
    ("coop-liangfeng", "鹿寨县粮丰农机专业合作社", "cooperative"),
    ("farm-wei", "韦氏家庭农场（韦建华）", "individual"),
    ("farm-qin", "覃氏家庭农场（覃丽娟）", "individual"),
    ("co-guiyuan", "广西桂源农业开发有限公司", "company"),
    ("co-hongxing", "柳州红星建设工程有限公司", "company"),
    ("co-lvyin", "鹿寨绿荫林业发展有限公司", "company"),
    ("co-jinhe", "广西金禾生态农业有限公司", "company"),
]
GUARANTOR = ("GXRCB", "广西鹿寨农村商业银行股份有限公司")


class Demo:
    def __init__(self):
        self.app = current_app._get_current_object()  # type: ignore[attr-defined]
        self.client = self.app.test_client()
        self.tokens: dict[str, str] = {}
        self.base = clock.now().replace(microsecond=0)

    # ------------------------------------------------------------------ plumbing
    def at(self, **delta) -> datetime:
        moment = self.base + timedelta(**delta)
        clock.freeze(moment)
        return moment

    def token(self, username: str) -> str:
        if username not in self.tokens:
            r = self.client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            if r.status_code != 200:
                raise click.ClickException(f"demo login failed for {username}: {r.get_data(as_text=True)}")
            self.tokens[username] = r.get_json()["token"]
        return self.tokens[username]

    def call(self, method: str, url: str, user: str | None = None, body=None, expect=(200, 201)):
        headers = {"Authorization": f"Bearer {self.token(user)}"} if user else {}
        r = self.client.open(url, method=method, json=body, headers=headers)
        if r.status_code == 401 and user:  # the token expired while the demo moved the clock
            self.tokens.pop(user, None)
            headers = {"Authorization": f"Bearer {self.token(user)}"}
            r = self.client.open(url, method=method, json=body, headers=headers)
        if r.status_code not in expect:
            raise click.ClickException(f"demo: {method} {url} → {r.status_code} {r.get_data(as_text=True)[:300]}")
        return r.get_json()

    # ------------------------------------------------------------------ people
    def people(self) -> None:
        center = create_org(current_app.config["TRADING_CENTER_NAME"], "center", make_uscc(1), actor="demo")
        create_user("center", PASSWORD, "staff", display_name="交易中心·李敏", org=center, actor="demo")
        create_user("center2", PASSWORD, "staff", display_name="交易中心·黄志强", org=center, actor="demo")
        for i, (town, village) in enumerate(VILLAGES, start=1):
            org = create_org(f"鹿寨县{town}{village}股份经济合作社", "village_collective", make_uscc(100 + i),
                             town=town, actor="demo")
            create_user(f"village{i}", PASSWORD, "collective", display_name=f"{village}村委", org=org, actor="demo")
        for i, (username, name, kind) in enumerate(BIDDERS, start=1):
            code = make_resident_id(i) if kind == "individual" else make_uscc(200 + i)
            org = create_org(name, kind, code, actor="demo", phone=f"1390772{i:04d}")
            create_user(username, PASSWORD, "bidder", display_name=name, org=org, actor="demo",
                        phone=f"1390772{i:04d}")
        db.session.commit()

    def guarantor(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key_path = Path(current_app.instance_path) / "demo-guarantor-ed25519.pem"
        if key_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        else:
            key = Ed25519PrivateKey.generate()
            key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
            key_path.chmod(0o600)
        self.guarantor_key = key
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        code, name = GUARANTOR
        self.call("POST", "/api/v1/guarantors", "center", {"code": code, "name": name, "public_key_pem": pem})
        org = db.session.execute(select(Organisation).where(Organisation.code == code)).scalar_one()
        create_user("bank-gxrcb", PASSWORD, "guarantor", display_name="农商行保函部·陈静", org=org, actor="demo")
        db.session.commit()
        self.guarantee_seq = 0

    def guarantee(self, bidder: str, project: dict) -> str:
        self.guarantee_seq += 1
        code, name = GUARANTOR
        t = clock.now()
        doc = {
            "guarantee_no": f"{code}-BH-{clock.to_beijing(t).year}-{self.guarantee_seq:06d}",
            "issuer": code, "type": "bid_bond", "applicant": bidder,
            "beneficiary": current_app.config["TRADING_RURAL_CENTER_NAME"], "project_code": project["code"],
            "amount": project["deposit"], "currency": "CNY",
            "valid_from": clock.isoformat(t), "valid_until": clock.isoformat(
                clock.parse_rfc3339(project["bidding_end"]) + timedelta(days=90)),
            "issued_at": clock.isoformat(t),
        }
        canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        sig = base64.b64encode(self.guarantor_key.sign(canonical)).decode()
        self.call("POST", "/api/v1/guarantees", None, {"document": doc, "signature": sig})
        return doc["guarantee_no"]

    # ------------------------------------------------------------------ projects
    def listing(self, owner: str, *, title: str, kind: str = "rural_land", location: str, area: str | None = None,
                years: int | None = None, start: str, unit: str = "per_mu_year", reserve: str | None = None,
                increment: str, deposit: str, method: str = "auction", direction: str = "ascending",
                budget: str | None = None, bidding_in: timedelta, bidding_for: timedelta = timedelta(hours=1),
                description: str = "", priority: list[str] | None = None, stage: str = "announced") -> dict:
        t = clock.now()
        body = {"kind": kind, "title": title, "location": location, "description": description,
                "method": method, "direction": direction, "price_unit": unit, "start_price": start,
                "increment": increment, "deposit": deposit, "extension_seconds": 300,
                "announce_start": clock.isoformat(t),
                "registration_end": clock.isoformat(t + bidding_in - timedelta(hours=2)),
                "bidding_start": clock.isoformat(t + bidding_in),
                "bidding_end": clock.isoformat(t + bidding_in + bidding_for)}
        for k, v in (("area_mu", area), ("term_years", years), ("reserve_price", reserve), ("budget", budget),
                     ("priority_holders", priority)):
            if v is not None:
                body[k] = v
        p = self.call("POST", "/api/v1/projects", owner, body)
        if stage == "draft":
            return p
        p = self.call("POST", f"/api/v1/projects/{p['id']}/submit", owner)
        if stage == "pending_review":
            return p
        return self.call("POST", f"/api/v1/projects/{p['id']}/approve", "center")

    def register(self, project: dict, bidder: str, security: str = "guarantee") -> dict:
        if security == "guarantee":
            body = {"security": {"type": "guarantee", "guarantee_no": self.guarantee(bidder, project)}}
        else:
            body = {"security": {"type": "deposit"}}
        reg = self.call("POST", f"/api/v1/projects/{project['id']}/registrations", bidder, body)
        if security == "deposit":
            self.call("POST", f"/api/v1/registrations/{reg['id']}/confirm-deposit", "center")
        self.call("POST", f"/api/v1/registrations/{reg['id']}/approve", "center")
        return reg

    def bid(self, project: dict, bidder: str, amount: str) -> dict:
        return self.call("POST", f"/api/v1/projects/{project['id']}/bids", bidder, {"amount": amount})

    def close(self, project: dict) -> None:
        sweep()


def _past_auction(d: Demo, start_days_ago: float, owner: str, bidders: list[tuple[str, str]],
                  bids: list[tuple[str, str]], **listing) -> dict:
    """List, register and bid in the past, then let the scheduler close it at the right moment."""
    d.at(days=-start_days_ago - 6)
    p = d.listing(owner, bidding_in=timedelta(days=6), **listing)
    d.at(days=-start_days_ago - 5)
    for bidder, security in bidders:
        d.register(p, bidder, security)
    d.at(days=-start_days_ago, minutes=5)
    for i, (bidder, amount) in enumerate(bids):
        d.at(days=-start_days_ago, minutes=5 + i * 3)
        d.bid(p, bidder, amount)
    d.at(days=-start_days_ago, hours=3)
    d.close(p)
    return p


def load(dataset: str | None = None, if_empty: bool = False) -> None:
    if dataset:
        from trading.demo import datasets

        datasets.load(dataset)
        return
    if db.session.execute(select(User.id).where(User.username == "center")).first():
        if not if_empty:
            click.echo("演示数据已存在，跳过。")
        _print_logins()
        return
    if if_empty and db.session.execute(select(func.count(User.id))).scalar_one() > 0:
        click.echo("数据库已有数据，不加载演示数据。")
        return
    d = Demo()
    limits = current_app.config.get("RATELIMIT_ENABLED", True)
    current_app.config["RATELIMIT_ENABLED"] = False  # the loader logs in many times a second
    try:
        _build(d)
    except (DomainError, click.ClickException):
        db.session.rollback()
        raise
    finally:
        clock.freeze(None)
        current_app.config["RATELIMIT_ENABLED"] = limits
    click.echo(f"已加载演示数据：{db.session.execute(select(func.count(Project.id))).scalar_one()} 个项目。")
    _print_logins()


def _build(d: Demo) -> None:
    d.at(days=-40)
    d.people()
    d.guarantor()
    # ---- certified deals (30+ days ago), rural and public resource
    p = _past_auction(d, 30, "village1", [("coop-longtian", "guarantee"), ("farm-wei", "deposit"),
                                          ("co-guiyuan", "guarantee")],
                      [("coop-longtian", "800.00"), ("farm-wei", "820.00"), ("co-guiyuan", "850.00"),
                       ("coop-longtian", "880.00")],
                      title="龙田村耕地经营权出租（44.27亩）", location="鹿寨县寨沙镇龙田村", area="44.27", years=5,
                      start="800.00", reserve="850.00", increment="10.00", deposit="5000.00",
                      description="水田，机耕路到田边，灌溉渠完好，适合水稻、蔬菜种植。")
    certified = [p]
    p = _past_auction(d, 28, "village5", [("co-lvyin", "guarantee"), ("co-jinhe", "guarantee")],
                      [("co-lvyin", "120000.00"), ("co-jinhe", "125000.00"), ("co-lvyin", "131000.00")],
                      kind="rural_forest", title="幽兰村集体林地经营权流转（320亩）", location="鹿寨县黄冕镇幽兰村",
                      area="320.00", years=15, unit="total", start="120000.00", increment="1000.00",
                      deposit="10000.00", description="杉木、松木混交林，林道通达。")
    certified.append(p)
    p = _past_auction(d, 26, "village3", [("co-hongxing", "guarantee"), ("co-guiyuan", "deposit")],
                      [("co-hongxing", "1960000.00"), ("co-guiyuan", "1940000.00"), ("co-hongxing", "1925000.00")],
                      kind="construction", title="大兆村村道硬化工程施工", location="鹿寨县中渡镇大兆村",
                      unit="total", direction="descending", start="2000000.00", budget="2000000.00",
                      increment="5000.00", deposit="20000.00", description="村道硬化4.6公里，工期120天。")
    certified.append(p)
    # ---- failed: no bids; below reserve
    _past_auction(d, 20, "village2", [("farm-qin", "deposit")], [],
                  kind="rural_asset", title="大岭村集体仓库出租", location="鹿寨县寨沙镇大岭村", unit="total",
                  start="36000.00", increment="500.00", deposit="2000.00", description="砖混仓库600平方米，租期3年。")
    _past_auction(d, 18, "village4", [("coop-liangfeng", "guarantee")], [("coop-liangfeng", "600.00")],
                  title="长盛村旱地经营权出租（86亩）", location="鹿寨县中渡镇长盛村", area="86.00", years=8,
                  start="600.00", reserve="650.00", increment="10.00", deposit="4000.00",
                  description="旱地，适合甘蔗、柑橘种植。")
    # ---- awarded, publicity running
    _past_auction(d, 2, "village6", [("coop-longtian", "guarantee"), ("farm-qin", "guarantee")],
                  [("farm-qin", "500.00"), ("coop-longtian", "520.00"), ("farm-qin", "540.00")],
                  title="石墨村坡地经营权出租（58.6亩）", location="鹿寨县黄冕镇石墨村", area="58.60", years=10,
                  start="500.00", increment="20.00", deposit="3000.00", description="坡地，适合种植沃柑。")
    _past_auction(d, 1, "village3", [("co-guiyuan", "guarantee"), ("co-jinhe", "deposit")],
                  [("co-jinhe", "295000.00"), ("co-guiyuan", "290000.00")],
                  kind="procurement", title="中渡镇农田水利设施维修材料采购", location="鹿寨县中渡镇",
                  unit="total", direction="descending", start="300000.00", budget="320000.00",
                  increment="1000.00", deposit="5000.00", description="水泥、砂石、管材等维修材料。")
    # ---- certificates for the first three (publicity is over by now)
    d.at(days=-10)
    for p in certified:
        d.call("POST", f"/api/v1/projects/{p['id']}/certificate", "center")
    # ---- running now: listed 6 days ago, bidding opened 10 minutes ago
    d.at(days=-6, minutes=-10)
    live = d.listing("village2", title="大岭村水田经营权出租（63.5亩）", location="鹿寨县寨沙镇大岭村",
                     area="63.50", years=6, start="700.00", increment="10.00", deposit="4000.00",
                     bidding_in=timedelta(days=6), bidding_for=timedelta(hours=2), reserve="720.00",
                     priority=["farm-wei"], description="现承包户享有同等条件下的优先权。")
    live2 = d.listing("village1", kind="rural_other", title="龙田村鱼塘承包经营权（12亩）", location="鹿寨县寨沙镇龙田村",
                      area="12.00", years=5, start="1500.00", increment="50.00", deposit="2000.00",
                      bidding_in=timedelta(days=6), bidding_for=timedelta(hours=3), description="鱼塘两口，水源充足。")
    sealed = d.listing("village4", kind="rural_construction_land", title="长盛村集体经营性建设用地使用权出让",
                       location="鹿寨县中渡镇长盛村", area="5.20", unit="total", start="780000.00",
                       increment="1000.00", deposit="50000.00", method="sealed",
                       bidding_in=timedelta(days=6), bidding_for=timedelta(days=1), description="密封报价，价高者得。")
    d.at(days=-5)
    for b, s in (("farm-wei", "guarantee"), ("coop-longtian", "guarantee"), ("co-guiyuan", "deposit")):
        d.register(live, b, s)
    for b, s in (("farm-qin", "guarantee"), ("coop-liangfeng", "deposit")):
        d.register(live2, b, s)
    for b, s in (("co-guiyuan", "guarantee"), ("co-jinhe", "guarantee")):
        d.register(sealed, b, s)
    d.at(minutes=-8)
    d.bid(live, "coop-longtian", "700.00")
    d.at(minutes=-6)
    d.bid(live, "co-guiyuan", "720.00")
    d.at(minutes=-3)
    d.bid(live2, "farm-qin", "1500.00")
    d.at(minutes=-2)
    d.bid(sealed, "co-guiyuan", "800000.00")
    # ---- starting soon: listed five days ago
    d.at(days=-5, hours=1)
    soon = d.listing("village5", title="幽兰村茶园经营权出租（25亩）", location="鹿寨县黄冕镇幽兰村", area="25.00",
                     years=10, start="900.00", increment="20.00", deposit="3000.00",
                     bidding_in=timedelta(days=5, minutes=40), description="成龄茶园，配套加工房。")
    d.at(days=-4)
    d.register(soon, "coop-longtian", "guarantee")
    d.register(soon, "farm-qin", "deposit")
    # ---- open for registration, pending review, drafts, withdrawn
    d.at(hours=-1)
    for owner, title, loc, area, start in (
        ("village6", "石墨村水田经营权出租（30.8亩）", "鹿寨县黄冕镇石墨村", "30.80", "750.00"),
        ("village3", "大兆村撂荒地经营权出租（120亩）", "鹿寨县中渡镇大兆村", "120.00", "300.00"),
        ("village1", "龙田村果园经营权出租（18.5亩）", "鹿寨县寨沙镇龙田村", "18.50", "1100.00"),
    ):
        d.listing(owner, title=title, location=loc, area=area, years=8, start=start, increment="10.00",
                  deposit="3000.00", bidding_in=timedelta(days=7), description="详见挂牌公告附件。")
    d.listing("village2", kind="state_asset", title="寨沙镇闲置办公楼租赁权", location="鹿寨县寨沙镇",
              unit="total", start="96000.00", increment="1000.00", deposit="10000.00",
              bidding_in=timedelta(days=8), description="三层砖混办公楼，租期5年。")
    d.listing("village4", title="长盛村耕地经营权出租（40亩）", location="鹿寨县中渡镇长盛村", area="40.00", years=5,
              start="680.00", increment="10.00", deposit="3000.00", bidding_in=timedelta(days=9),
              stage="pending_review")
    d.listing("village5", kind="procurement", title="黄冕镇农村人居环境整治设备采购", location="鹿寨县黄冕镇",
              unit="total", direction="descending", start="450000.00", budget="480000.00", increment="1000.00",
              deposit="8000.00", bidding_in=timedelta(days=10), stage="pending_review")
    d.listing("village6", kind="rural_asset", title="石墨村集体厂房出租", location="鹿寨县黄冕镇石墨村",
              unit="total", start="52000.00", increment="500.00", deposit="3000.00", bidding_in=timedelta(days=12),
              stage="draft")
    w = d.listing("village3", title="大兆村林下经济用地出租", location="鹿寨县中渡镇大兆村", area="15.00", years=5,
                  start="400.00", increment="10.00", deposit="1000.00", bidding_in=timedelta(days=8))
    d.call("POST", f"/api/v1/projects/{w['id']}/withdraw", "village3", {"reason": "村民代表会议决定暂缓流转"})
    from trading.demo import tenders

    tenders.build(d)
    _oversight(d, certified, soon)
    clock.freeze(None)


def _offset_for(card: str, limit_key: str, now: datetime) -> timedelta:
    """How long before `now` an item must have started for its card to be `card` (weekends and holidays vary)."""
    from trading.oversight import rules

    limit = rules.parse_limit(current_app.config[limit_key])
    for hours in range(1, 24 * 40):
        start = now - timedelta(hours=hours)
        if rules.card(start, rules.due_at(start, limit), now) == card:
            return timedelta(hours=hours + (6 if card == "red" else 0))
    raise click.ClickException(f"demo: no start gives a {card} card")


def _oversight(d: Demo, certified: list[dict], soon: dict) -> None:
    """The supervisor, credit entries (one active, one repaired), yellow and red deadline items, ratings with
    one answered complaint, and a notice in every inbox."""
    from trading.accounts.models import Notification
    from trading.accounts.notifications import notify
    from trading.oversight import deadlines

    d.at(days=-21)
    office = create_org("鹿寨县公共资源交易监督管理办公室", "center", make_uscc(9), actor="demo")
    create_user("supervisor", PASSWORD, "supervisor", display_name="县交易监管办·陈静", org=office, actor="demo")
    db.session.commit()
    codes = {u.username: u.org.credit_code for u in db.session.execute(select(User)).scalars() if u.org}
    today = clock.to_beijing(d.base).date()
    e = d.call("POST", "/api/v1/credit", "center", {
        "org_code": codes["coop-liangfeng"], "cause": "withdrawal_after_award", "project_code": certified[0]["code"],
        "evidence": "成交后以资金周转为由放弃签约（见2026年第12号违约认定书）",
        "decided_on": (today - timedelta(days=21)).isoformat(), "bar_from": (today - timedelta(days=21)).isoformat(),
        "bar_until": (today + timedelta(days=160)).isoformat()})
    d.at(days=-2)
    d.call("POST", f"/api/v1/credit/{e['id']}/repair", "center",
           {"reason": "已足额赔偿出让方损失并作出公开信用承诺，经中心审核同意信用修复"})
    d.at(days=-3)
    d.call("POST", "/api/v1/credit", "center", {
        "org_code": codes["co-hongxing"], "cause": "collusion", "project_code": certified[2]["code"],
        "evidence": "与另一投标人使用同一IP地址和同一设备报名，经县交易监管办调查认定串通投标",
        "decided_on": (today - timedelta(days=3)).isoformat(), "bar_from": (today - timedelta(days=3)).isoformat(),
        "bar_until": (today + timedelta(days=362)).isoformat()})
    # ratings after the certified deals: praise, one complaint answered, one waiting for an answer
    d.at(days=-9)
    d.call("POST", f"/api/v1/projects/{certified[0]['id']}/rating", "village1",
           {"stars": 5, "comment": "从挂牌到出证全程网上办，村里少跑了很多趟。"})
    r = d.call("POST", f"/api/v1/projects/{certified[0]['id']}/rating", "coop-longtian",
               {"stars": 2, "comment": "签合同时材料清单前后说法不一致，来回跑了三次。"})
    d.call("POST", f"/api/v1/projects/{certified[1]['id']}/rating", "co-lvyin", {"stars": 4, "comment": "流程清楚。"})
    d.at(days=-7)
    d.call("POST", f"/api/v1/ratings/{r['id']}/answer", "center",
           {"answer": "已制定签约材料一次性告知清单并在办事指南公开，经办人员已接受培训。感谢您的监督。"})
    d.at(days=-1)
    d.call("POST", f"/api/v1/projects/{certified[2]['id']}/rating", "village3",
           {"stars": 1, "comment": "鉴证书出具比公示结束晚了好几天，影响开工。"})
    # deadline items: a bidder's registration left unqualified (red), listings waiting for review (yellow, red)
    d.at(days=-4, hours=2)
    reg = d.call("POST", f"/api/v1/projects/{soon['id']}/registrations", "co-jinhe", {"security": {"type": "deposit"}})
    assert reg["status"] == "pending"
    for card, title in (("yellow", "大岭村荒山经营权出租（200亩）"), ("red", "幽兰村集体鱼塘承包经营权")):
        clock.freeze(d.base - _offset_for(card, "TRADING_LIMIT_LISTING_REVIEW", d.base))
        d.listing("village2" if card == "yellow" else "village5", title=title, location="鹿寨县", area="20.00",
                  years=5, start="300.00", increment="10.00", deposit="1000.00", bidding_in=timedelta(days=12),
                  stage="pending_review")
    d.at(minutes=1)
    deadlines.sweep()
    # a notice in every inbox
    for u in db.session.execute(select(User).order_by(User.id)).scalars().all():
        if db.session.execute(select(Notification.id).where(Notification.user_id == u.id)).first() is None:
            notify(u.id, "system", "消息中心已开通", "报名审核、竞价提醒、成交结果、预警等消息会发送到这里；"
                   "可在“通知方式”中选择同时接收邮件或短信。")
    db.session.commit()


def _print_logins() -> None:
    click.echo(f"\n演示账号（密码均为 {PASSWORD}）：")
    click.echo("  交易中心工作人员  center / center2")
    click.echo("  村集体（出让方）  village1 … village6")
    click.echo("  竞买人            " + " / ".join(b[0] for b in BIDDERS))
    click.echo("  担保机构          bank-gxrcb（广西鹿寨农村商业银行）")
    click.echo("  行政监督          supervisor（县交易监管办）")
    click.echo("  评标专家          expert1 … expert7")
