"""What is pushed to the provincial platform: the receivers that turn published events into outbox messages.

Each receiver runs inside the transaction of the event (docs/architecture.md, signals) and only adds an
outbox row (trading.outbox.enqueue): the HTTP delivery happens later, in the scheduler, so a slow or failing
platform never slows or fails a request. One stream per project keeps its messages in order.

| event | sent when | signal |
|---|---|---|
| announcement (交易公告) | staff approve the project | projects.project_announced |
| termination (终止公告) | the project is withdrawn | projects.project_withdrawn |
| opening (开标记录) | a sealed-bid project is opened at its close | auctions.project_closed (method sealed) |
| award (成交结果公示) | bidding closes with a winner; after an annulment, the next-best bidder is awarded (递补) | auctions.project_closed, auctions.award_moved |
| failure (流拍公告) | bidding closes without a winner; an annulment leaves nobody to award | auctions.project_closed, auctions.award_moved |
| award_annulled (成交结果撤销) | an upheld objection annuls the award / the winner defaults (once: a default annuls the award, which sends award_annulled) | auctions.award_annulled |
| certificate (鉴证书/合同) | the certificate is issued (the deal is complete) | projects.deal_completed |

Clarifications (澄清/答疑) and candidate lists (中标候选人公示) belong to tendering: the tenders package adds
them with `trading.outbox.enqueue(stream_of(code), "clarification" | "candidates", payload)`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from auctions import signals as auction_signals
from guarantees import sm2
from trading import outbox
from trading.clock import isoformat, now
from trading.money import to_str
from trading.projects import signals as project_signals
from trading.projects.rules import KIND_LABELS, METHOD_LABELS
from trading.stats.dataspec import code_of

EVENT_LABELS = {"announcement": "交易公告", "termination": "终止公告", "clarification": "澄清答疑",
                "opening": "开标记录", "candidates": "中标候选人公示", "award": "成交结果公示",
                "failure": "流拍公告", "award_annulled": "成交结果撤销", "certificate": "交易鉴证书"}


def stream_of(code: str) -> str:
    return f"project:{code}"


def _base(project, event: str) -> dict:
    return {"统一交易标识码": code_of(project), "项目编号": project.code, "项目名称": project.title,
            "交易品种": KIND_LABELS.get(project.kind, project.kind),
            "交易方式": METHOD_LABELS.get(project.method, project.method),
            "信息类型": EVENT_LABELS[event], "发布时间": isoformat(now())}


def _push(project, event: str, **extra) -> None:
    outbox.enqueue(stream_of(project.code), event, {**_base(project, event), **extra})


def _announced(_sender, *, project, actor) -> None:
    _push(project, "announcement", 标的所在地=project.location, 起始价=to_str(project.start_price),
          保证金=to_str(project.deposit), 报名截止时间=isoformat(project.registration_end),
          竞价开始时间=isoformat(project.bidding_start), 竞价结束时间=isoformat(project.bidding_end))


def _withdrawn(_sender, *, project, actor, reason) -> None:
    _push(project, "termination", 终止原因=reason)


def _closed(_sender, *, project, winner, actor) -> None:
    if project.method == "sealed":
        _push(project, "opening", 开标时间=isoformat(project.closed_at), 有效报价数=project.bid_count)
    _outcome(project)


def _outcome(project) -> None:
    """The award (成交公告), or the failure (流拍公告), as the project now stands."""
    if project.final_price is not None and project.winner_id is not None and project.awarded_at is not None:
        _push(project, "award", 成交价格=to_str(project.final_price), 成交时间=isoformat(project.awarded_at),
              受让方=project.winner.name if project.winner else None, 出价次数=project.bid_count,
              公示截止时间=isoformat(project.publicity_ends_at))
    else:
        _push(project, "failure", 流拍时间=isoformat(project.closed_at), 原因=project.outcome_reason)


def _moved(_sender, *, project, registration, actor) -> None:
    """After an annulment: the next-best bidder's award (递补), or the failure."""
    _outcome(project)


def _annulled(_sender, *, registration, actor, reason) -> None:
    _push(registration.project, "award_annulled", 原因=reason)


def _completed(_sender, *, project, actor) -> None:
    from certificates.models import Certificate
    from trading.extensions import db

    cert = db.session.query(Certificate).filter_by(project_id=project.id).order_by(Certificate.id.desc()).first()
    _push(project, "certificate", 鉴证书编号=getattr(cert, "number_text", None),
          出具时间=isoformat(getattr(cert, "issued_at", None)), 成交价格=to_str(project.final_price),
          受让方=project.winner.name if project.winner else None)


RECEIVERS = ((project_signals.project_announced, _announced), (project_signals.project_withdrawn, _withdrawn),
             (auction_signals.project_closed, _closed), (auction_signals.award_annulled, _annulled),
             (auction_signals.award_moved, _moved),
             (project_signals.deal_completed, _completed))


@dataclass
class Sm2Signer:
    """SM3withSM2 (GB/T 32918, user ID 1234567812345678) over the signing input; the signature is the base64 of
    DER SEQUENCE{r, s}, verifiable with the center's SM2 public key (guarantees/sm2.py, the same code that checks
    SM2 guarantees)."""

    key: sm2.SM2PrivateKey
    algorithm: str = "sm3-sm2"

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self.key.sign(data)).decode("ascii")


def sm2_signer(cfg: dict) -> Sm2Signer:
    """TRADING_PUSH_SIGNER=sm3-sm2: the center's SM2 private key (PKCS#8 or SEC 1 PEM) at TRADING_PUSH_SM2_KEY."""
    path = cfg.get("TRADING_PUSH_SM2_KEY") or ""
    try:
        key = sm2.load_private_pem(Path(path).read_bytes()) if path else None
    except (OSError, sm2.SM2KeyError) as err:
        raise RuntimeError(f"TRADING_PUSH_SM2_KEY 无法读取为 SM2 私钥：{err}") from None
    if key is None:
        raise RuntimeError("TRADING_PUSH_SIGNER=sm3-sm2 需要 TRADING_PUSH_SM2_KEY 指向一个 SM2 私钥（PEM）")
    return Sm2Signer(key)


def connect() -> None:
    """Connecting the same function again is a no-op (blinker keys receivers by identity)."""
    outbox.SIGNERS["sm3-sm2"] = sm2_signer
    for signal, fn in RECEIVERS:
        signal.connect(fn)
