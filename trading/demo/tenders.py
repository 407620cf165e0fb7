"""The demo county's tenders (招标投标), one lot each, in every state a visitor should see: announced (bidding not
yet open), bidding, opening now (decryption running), evaluating (committee drawn), candidates in publicity,
awarded (signed award notice) and failed (fewer than three bids). Built through the public API like the rest of
the demo, with the clock moved through each tender's life; demo experts form the committees."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tenders import pool
from tenders.client import encrypt_bid
from trading.accounts.credit import make_uscc
from trading.accounts.models import User
from trading.accounts.services import create_org, create_user
from trading.clock import isoformat
from trading.extensions import db

PASSWORD = "tradehall2026"
ITERATIONS = 100000  # the server's minimum: the demo loads quickly (browsers use more)
EXPERTS = [("expert1", "覃志刚", "柳州市公路工程咨询有限公司"), ("expert2", "韦红梅", "广西交通设计集团有限公司"),
           ("expert3", "黄国华", "柳州市市政设计研究院"), ("expert4", "莫小兰", "广西华蓝工程管理有限公司"),
           ("expert5", "蓝天明", "柳州城建监理有限公司"), ("expert6", "梁俊", "广西建设工程造价咨询有限公司"),
           ("expert7", "陆永强", "桂林市路桥工程咨询有限公司")]
BIDDERS = ["co-hongxing", "co-guiyuan", "co-lvyin", "co-jinhe"]
ORGS = {"co-hongxing": "柳州红星建设工程有限公司", "co-guiyuan": "广西桂源农业开发有限公司",
        "co-lvyin": "鹿寨绿荫林业发展有限公司", "co-jinhe": "广西金禾生态农业有限公司"}
DAY = 86400


def experts() -> None:
    for i, (username, name, org_name) in enumerate(EXPERTS, start=1):
        if db.session.execute(select(User.id).where(User.username == username)).first():
            continue
        org = create_org(org_name, "company", make_uscc(400 + i), actor="demo")
        user = create_user(username, PASSWORD, "expert", display_name=f"评标专家·{name}", org=org, actor="demo")
        pool.add_profile(user, "road", "demo")
    db.session.commit()


def _body(title: str, location: str, announce, deadline, budget: str, *, kind: str = "construction") -> dict:
    security = f"{(int(budget.split('.')[0]) * 2 // 100):d}.00"
    return {"kind": kind, "title": title, "location": location, "description": f"{title}，详见招标文件。",
            "method": "open", "evaluation": "scoring", "announce_start": isoformat(announce),
            "bid_deadline": isoformat(deadline),
            "lots": [{"name": "施工" if kind == "construction" else "货物", "budget": budget,
                      "security_amount": security, "speciality": "road", "committee_size": 5, "price_points": "30",
                      "criteria": [{"code": "tech", "name": "技术方案", "max_points": "50"},
                                   {"code": "biz", "name": "商务", "max_points": "20"}]}]}


class TenderLife:
    """One tender's life through the API, the clock set at each step (days relative to the demo's now)."""

    def __init__(self, d, owner: str, title: str, location: str, budget: str, *, announce_days: float,
                 kind: str = "construction"):
        self.d = d
        self.keys: dict[str, str] = {}
        d.at(days=min(announce_days - 1, -0.05))
        announce = d.base + timedelta(days=announce_days)
        deadline = announce + timedelta(days=21)
        t = d.call("POST", "/api/v1/tenders", owner, _body(title, location, announce, deadline, budget, kind=kind))
        d.call("POST", f"/api/v1/tenders/{t['id']}/submit", owner)
        t = d.call("POST", f"/api/v1/tenders/{t['id']}/approve", "center")
        self.tender, self.lot = t, t["lots"][0]["id"]
        self.announce, self.deadline = announce, deadline

    def bids(self, prices: dict[str, str]) -> None:
        self.d.at(days=(self.announce - self.d.base).total_seconds() / DAY + 1)
        for bidder, price in prices.items():
            reg = self.d.call("POST", f"/api/v1/lots/{self.lot}/registrations", bidder,
                              {"security": {"type": "deposit"}})
            self.d.call("POST", f"/api/v1/registrations/{reg['id']}/confirm-deposit", "center")
            body, key = encrypt_bid(self.lot, bidder, f"演示口令-{bidder}", price, iterations=ITERATIONS)
            self.d.call("PUT", f"/api/v1/lots/{self.lot}/bid", bidder, body)
            self.keys[bidder] = key

    def after_deadline(self, minutes: float = 5) -> None:
        self.d.at(days=(self.deadline - self.d.base).total_seconds() / DAY, minutes=minutes)

    def decrypt(self, bidders: list[str]) -> None:
        for b in bidders:
            self.d.call("POST", f"/api/v1/lots/{self.lot}/bid/decrypt", b, {"key": self.keys[b]})

    def evaluate(self, tech: dict[str, str], *, submit: bool = True) -> None:
        members = [m["username"] for m in self.d.call("POST", f"/api/v1/lots/{self.lot}/committee", "center")["members"]]
        if not submit:
            return
        for m in members:
            self.d.call("PUT", f"/api/v1/lots/{self.lot}/scores", m,
                        {"bids": [{"bidder_org": ORGS[b], "points": {"tech": p, "biz": "15"}} for b, p in tech.items()]})
            self.d.call("POST", f"/api/v1/lots/{self.lot}/scores/submit", m)

    def publicize(self) -> None:
        self.d.call("POST", f"/api/v1/lots/{self.lot}/publicize", "center")

    def award(self, days_later: float = 3.01) -> None:
        from trading import clock

        moment = clock.now() + timedelta(days=days_later)
        self.d.at(days=(moment - self.d.base).total_seconds() / DAY)
        self.d.call("POST", f"/api/v1/lots/{self.lot}/award", "center")


def build(d) -> None:
    """Seven tenders, one per state, relative to the demo's now (d.base)."""
    experts()
    four = {"co-hongxing": "1860000.00", "co-guiyuan": "1905000.00", "co-lvyin": "1930000.00",
            "co-jinhe": "1958000.00"}
    tech = {"co-hongxing": "42", "co-guiyuan": "45", "co-lvyin": "38", "co-jinhe": "40"}
    # awarded: deadline 30 days ago, publicity over, award notice signed
    t = TenderLife(d, "village3", "中渡镇大兆村至长盛村公路改建工程", "鹿寨县中渡镇", "2000000.00", announce_days=-51)
    t.bids(four)
    t.after_deadline()
    t.decrypt(list(four))
    t.evaluate(tech)
    t.publicize()
    t.award()
    # candidates in publicity: evaluated and publicised at the deadline three days ago (3 days' publicity)
    t = TenderLife(d, "village1", "寨沙镇龙田村机耕道硬化工程", "鹿寨县寨沙镇龙田村", "850000.00", announce_days=-24)
    t.bids({"co-hongxing": "812000.00", "co-guiyuan": "798000.00", "co-jinhe": "826000.00"})
    t.after_deadline()
    t.decrypt(["co-hongxing", "co-guiyuan", "co-jinhe"])
    t.evaluate({"co-hongxing": "44", "co-guiyuan": "41", "co-jinhe": "39"})
    t.publicize()
    # evaluating: committee drawn, scoring under way
    t = TenderLife(d, "village5", "黄冕镇幽兰村人饮工程", "鹿寨县黄冕镇幽兰村", "620000.00", announce_days=-22)
    t.bids({"co-guiyuan": "598000.00", "co-lvyin": "605000.00", "co-jinhe": "611000.00"})
    t.after_deadline()
    t.decrypt(["co-guiyuan", "co-lvyin", "co-jinhe"])
    t.evaluate({}, submit=False)
    # failed: two bids only at the deadline three days ago
    t = TenderLife(d, "village4", "中渡镇长盛村灌溉渠道修复工程", "鹿寨县中渡镇长盛村", "430000.00", announce_days=-24)
    t.bids({"co-hongxing": "418000.00", "co-lvyin": "421000.00"})
    t.after_deadline()
    # opening now: the deadline passed ten minutes ago, two of four bidders have decrypted
    t = TenderLife(d, "village2", "寨沙镇大岭村村屯道路亮化工程", "鹿寨县寨沙镇大岭村", "380000.00", announce_days=-21 - 10 / 1440)
    t.bids({"co-hongxing": "361000.00", "co-guiyuan": "366500.00", "co-lvyin": "370000.00", "co-jinhe": "372800.00"})
    t.after_deadline(minutes=2)
    t.decrypt(["co-hongxing", "co-guiyuan"])
    # bidding: announced five days ago, two sealed bids in
    t = TenderLife(d, "village6", "黄冕镇石墨村村级活动中心建设工程", "鹿寨县黄冕镇石墨村", "1200000.00", announce_days=-5)
    t.bids({"co-guiyuan": "1150000.00", "co-jinhe": "1168000.00"})
    # announced: bidding opens in three days (a procurement tender)
    TenderLife(d, "village3", "中渡镇农村供水设备采购", "鹿寨县中渡镇", "280000.00", announce_days=3, kind="procurement")
    d.at(days=0)
