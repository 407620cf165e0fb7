"""What tendering pushes to the provincial platform: outbox rows (trading.outbox.enqueue) written in the same
transaction as the event, so a refused or rolled-back step pushes nothing and the scheduler's push_outbox job
delivers them later. One stream per tender (the same "project:<code>" stream shape as trading.stats.push), so a
tender's messages arrive in order.

| event | when |
|---|---|
| announcement (招标公告) | staff approve the tender |
| clarification (澄清/修改) | the tenderee publishes a clarification |
| opening (开标记录) | a lot's prices are revealed |
| candidates (中标候选人公示) | staff publicise the candidates |
| award (中标结果公告) | a lot is awarded (also the next candidate after a winner's default) |
| failure (流标公告) | a lot fails (fewer than three bids, all rejected, the tender withdrawn) |
| contract (合同签订) | staff or the tenderee record the contract signed with the winner (tenders/contracts.py) |
"""

from __future__ import annotations

from tenders.opendata import unified_code_of
from trading import outbox
from trading.clock import isoformat, now
from trading.money import to_str

KIND_LABELS = {"construction": "工程建设", "procurement": "政府采购"}
METHOD_LABELS = {"open": "公开招标", "invited": "邀请招标"}
EVENT_LABELS = {"announcement": "招标公告", "clarification": "澄清答疑", "opening": "开标记录",
                "candidates": "中标候选人公示", "award": "中标结果公告", "failure": "流标公告",
                "contract": "合同签订"}
FAILURE_LABELS = {"fewer_than_three": "投标人不足三家", "all_rejected": "所有投标均被否决", "withdrawn": "招标项目撤回"}


def stream_of(code: str) -> str:
    return f"project:{code}"


def _push(tender, event: str, **extra) -> None:
    payload = {"统一交易标识码": unified_code_of(tender), "项目编号": tender.code, "项目名称": tender.title,
               "交易品种": KIND_LABELS.get(tender.kind, tender.kind),
               "交易方式": METHOD_LABELS.get(tender.method, tender.method),
               "信息类型": EVENT_LABELS[event], "发布时间": isoformat(now()), **extra}
    outbox.enqueue(stream_of(tender.code), event, payload)


def _lot(lot) -> dict:
    return {"标段编号": lot.no, "标段名称": lot.name, "预算金额": to_str(lot.budget)}


def announced(tender) -> None:
    _push(tender, "announcement", 项目地点=tender.location, 投标截止时间=isoformat(tender.bid_deadline),
          标段=[{**_lot(lot), "投标保证金": to_str(lot.security_amount)} for lot in tender.lots])


def clarification(tender, clar) -> None:
    _push(tender, "clarification", 澄清内容=clar.text, 投标截止时间=isoformat(tender.bid_deadline))


def opening(lot) -> None:
    _push(lot.tender, "opening", **_lot(lot), 开标记录=lot.opening_record, 开标记录摘要=lot.opening_record_sha256)


def candidates(lot, rows: list[dict]) -> None:
    _push(lot.tender, "candidates", **_lot(lot), 中标候选人=rows,
          公示截止时间=isoformat(lot.publicity_ends_at) if lot.publicity_ends_at else None)


def award(lot, winner: str) -> None:
    _push(lot.tender, "award", **_lot(lot), 中标人=winner, 中标价=to_str(lot.award_price),
          中标时间=isoformat(lot.awarded_at))


def failure(lot) -> None:
    _push(lot.tender, "failure", **_lot(lot), 流标原因=FAILURE_LABELS.get(lot.failure_reason or "", lot.failure_reason))


def contract(lot, winner: str, c) -> None:
    _push(lot.tender, "contract", **_lot(lot), 中标人=winner, 中标价=to_str(lot.award_price), 合同编号=c.number,
          合同金额=to_str(c.amount), 合同签订日期=c.signed_on.isoformat(), 合同登记时间=isoformat(c.recorded_at))
