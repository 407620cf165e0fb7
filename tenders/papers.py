"""Signed papers of a lot — the evaluation report (评标报告) and the award notice (中标通知书) — built and signed
with the certificates package's keys and PDF code (Ed25519 over the canonical facts + PAdES), and recognised by
POST /api/v1/certificates/verify through certificates.signals.verify_unrecognised."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from tenders.models import Lot, TenderPaper
from trading import audit
from trading.clock import isoformat, now, to_beijing
from trading.errors import NotFound
from trading.extensions import db

KIND_TITLES = {"evaluation_report": "评标报告", "award_notice": "中标通知书"}
KIND_SUFFIX = {"evaluation_report": "R", "award_notice": "N"}


def verify_path(number: str) -> str:
    return f"/api/v1/tender-papers/{number}"


def issue(lot: Lot, kind: str, rows: list[tuple[str, str]], statement: str, actor: str,
          extra: dict[str, Any] | None = None) -> TenderPaper:
    """Number, freeze the facts, sign them, build and sign the PDF, record it — in the caller's transaction
    (503 signing_unavailable without keys, before anything is written)."""
    from certificates import keys, pdf

    material = keys.signing_material()
    pdf.register_font()
    count = db.session.execute(select(func.count()).select_from(TenderPaper).where(
        TenderPaper.lot_id == lot.id, TenderPaper.kind == kind)).scalar_one()
    number = f"{lot.tender.code}-{lot.no}{KIND_SUFFIX[kind]}{count + 1}"
    issued_at = now()
    center = current_app.config["TRADING_CENTER_NAME"]
    # like a certificate: the tender's own audit chain as it stands, and the anchor that covers that head
    chain = f"tender:{lot.tender_id}"
    head_seq, head_hash = audit.chain_head(chain)
    covering = audit.anchor_chain(chain)
    anchor_seq, anchor_hash = covering["seq"], covering["hash"]
    facts = {"kind": kind, "number": number, "title": KIND_TITLES[kind], "tender": lot.tender.code,
             "tender_title": lot.tender.title, "lot": lot.no, "lot_name": lot.name, "center": center,
             "rows": [[label, value] for label, value in rows], "statement": statement,
             "issued_at": issued_at.isoformat(), "audit_head": {"chain": chain, "seq": head_seq, "hash": head_hash},
             "audit_anchor": {"seq": anchor_seq, "hash": anchor_hash},
             **(extra or {})}
    body = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    signature = base64.b64encode(material.ed25519.sign(body)).decode("ascii")
    d = to_beijing(issued_at)
    render = {**facts, "number_text": number, "rows": [tuple(r) for r in facts["rows"]], "seal_text": "交易专用章",
              "issue_date": f"{d.year}年{d.month}月{d.day}日",
              "verify_url": current_app.config["TRADING_PUBLIC_URL"].rstrip("/") + verify_path(number)}
    unsigned = pdf.build_pdf(render)
    signed = pdf.sign_pdf(unsigned, reason=f"{KIND_TITLES[kind]} {number}", location=center, name=center,
                          signer=material.signer)
    digest = hashlib.sha256(signed).hexdigest()
    paper = TenderPaper(number=number, kind=kind, lot_id=lot.id, facts=body.decode("utf-8"), signature=signature,
                        public_key=material.public_key_b64, ca_cert=material.ca_pem, pdf=signed, sha256=digest,
                        status="valid", issued_at=issued_at)
    db.session.add(paper)
    db.session.flush()
    audit.record(f"lot.{kind}", f"lot:{lot.id}", {"number": number, "sha256": digest,
                                                  "facts_sha256": hashlib.sha256(body).hexdigest()}, actor)
    return paper


def get_paper(number: str) -> TenderPaper:
    paper = db.session.execute(select(TenderPaper).where(TenderPaper.number == number)).scalar_one_or_none()
    if paper is None:
        raise NotFound("文书不存在", code="not_found")
    return paper


def latest(lot: Lot, kind: str) -> TenderPaper | None:
    return db.session.execute(select(TenderPaper).where(TenderPaper.lot_id == lot.id, TenderPaper.kind == kind)
                              .order_by(TenderPaper.id.desc())).scalars().first()


def revoke(paper: TenderPaper, reason: str, actor: str) -> None:
    paper.status, paper.revoked_at, paper.revoke_reason = "revoked", now(), reason
    db.session.flush()
    audit.record("lot.paper_revoke", f"lot:{paper.lot_id}", {"number": paper.number, "reason": reason}, actor)


def paper_json(paper: TenderPaper) -> dict:
    return {"number": paper.number, "kind": paper.kind, "title": KIND_TITLES[paper.kind], "status": paper.status,
            "facts": json.loads(paper.facts), "sha256": paper.sha256,
            "signature": {"algorithm": "Ed25519", "value": paper.signature, "public_key": paper.public_key},
            "issued_at": isoformat(paper.issued_at), "revoked_at": isoformat(paper.revoked_at),
            "revoke_reason": paper.revoke_reason, "url": verify_path(paper.number),
            "pdf_url": verify_path(paper.number) + "/pdf", "audit_anchor": _covering_anchor(json.loads(paper.facts))}


def _covering_anchor(facts: dict) -> dict | None:
    """The anchor covering the tender chain's head the paper carries (None until the scheduler writes it)."""
    head = facts.get("audit_head") or {}
    if not head.get("seq") or not head.get("chain"):
        return None
    return audit.covering_anchor(head["chain"], int(head["seq"]))


def verify_receiver(data: bytes, digest: str, **_kw) -> dict | None:
    """certificates.signals.verify_unrecognised: a byte-exact award notice or report, with a valid PAdES
    signature by the center, not revoked."""
    from certificates import pdf
    from trading.errors import Unavailable

    paper = db.session.execute(select(TenderPaper).where(TenderPaper.sha256 == digest)).scalar_one_or_none()
    if paper is None:
        return None
    try:
        ok, why, _ = pdf.validate_pades(data, (paper.ca_cert,))
    except Unavailable:
        ok, why = False, "中心签章证书不可用，无法校验电子签名"
    title = KIND_TITLES[paper.kind]
    if not ok:
        return {"valid": False, "number": paper.number, "status": paper.status, "reason": why, "kind": paper.kind}
    if paper.status != "valid":
        return {"valid": False, "number": paper.number, "status": paper.status, "kind": paper.kind,
                "reason": f"该{title}已被撤销：{paper.revoke_reason}"}
    return {"valid": True, "number": paper.number, "status": paper.status, "kind": paper.kind,
            "reason": f"文件与中心签发的{title}原件逐字节一致，电子签名有效"}


def can_open(paper: TenderPaper, user) -> bool:
    """Who may open a paper's own page (/tenders/papers/<number>): an award notice is public; an evaluation report
    only for those who may see the lot's evaluation (owner, staff, supervisor, committee members; the lot's bidders
    once the candidates' publicity has started) — the rule the page itself applies."""
    if paper.kind != "evaluation_report":
        return True
    from tenders.evaluation import can_see_evaluation

    lot = db.session.get(Lot, paper.lot_id)
    return lot is not None and can_see_evaluation(user, lot)


def _viewer():
    from flask_login import current_user

    return current_user._get_current_object() if current_user and current_user.is_authenticated else None


def paper_page(number: str, **_kw) -> dict | None:
    """certificates.signals.paper_page: the verification page links a recognised paper to its own page — only where
    the viewer may open it (else "url" is None: the verdict is shown without a link that would answer 404)."""
    from flask import url_for

    found = db.session.execute(select(TenderPaper).where(TenderPaper.number == number)).scalar_one_or_none()
    if found is None:
        return None
    url = url_for("tenders.paper", number=number) if can_open(found, _viewer()) else None
    return {"url": url, "title": KIND_TITLES[found.kind]}
