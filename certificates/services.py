"""Publicity, objections, certificate issue, verification and revocation. Services flush and audit; callers commit."""

from __future__ import annotations

import base64
import functools
import hashlib
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import aliased, joinedload

from auctions.registrations import registration_of
from auctions.services import annul_award
from certificates import rules, signals
from certificates.models import Certificate, CertificateStatus, Objection, ObjectionStatus
from trading import audit
from trading.accounts.credit import mask_personal_id
from trading.accounts.models import OrgKind, User
from trading.clock import isoformat, now, to_beijing
from trading.db import is_postgres, lock
from trading.errors import Conflict, Invalid, NotFound
from trading.extensions import db
from trading.money import capital, rate, rate_str, to_str
from trading.projects.models import Project
from trading.projects.rules import DIRECTION_LABELS, KIND_LABELS, METHOD_LABELS, UNIT_LABELS, total_amount
from trading.projects.signals import deal_completed
from trading.projects.states import ProjectStatus

# ------------------------------------------------------------------ publicity and objections

def publicity_end(project: Project) -> datetime | None:
    if project.publicity_ends_at is not None:
        return project.publicity_ends_at
    if project.awarded_at is not None:
        return project.awarded_at + timedelta(seconds=current_app.config["TRADING_PUBLICITY_SECONDS"])
    return None


def open_objections(project: Project) -> list[Objection]:
    stmt = select(Objection).where(Objection.project_id == project.id, Objection.status == ObjectionStatus.OPEN)
    return list(db.session.execute(stmt.order_by(Objection.id)).scalars())


def objections_of(project: Project) -> list[Objection]:
    stmt = select(Objection).where(Objection.project_id == project.id).order_by(Objection.id)
    return list(db.session.execute(stmt).scalars())


def lodge_objection(project: Project, *, user: User | None, name: str | None, phone: str | None,
                    grounds: str | None) -> Objection:
    """During publicity, a registered bidder or any member of the public (name + valid mobile) objects."""
    if project.status != ProjectStatus.AWARDED:
        raise Conflict("该项目当前没有处于公示期的成交结果", code="not_awarded")
    if not rules.in_publicity(now(), project.awarded_at, publicity_end(project)):
        raise Conflict("公示期已结束，不能再提出异议", code="publicity_closed")
    reg = registration_of(project.id, user.id) if user is not None else None
    name = (name or "").strip() or (user.name if reg is not None and user is not None else "")
    phone = (phone or "").strip() or ((user.phone or "") if reg is not None and user is not None else "")
    grounds = (grounds or "").strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 100:
        errors["name"] = "请填写姓名或单位名称（不超过100字）"
    if not rules.valid_mobile(phone):
        errors["phone"] = "请填写有效的11位手机号码"
    if len(grounds) < 10 or len(grounds) > 4000:
        errors["grounds"] = "请写明异议的事实和理由（10至4000字）"
    if errors:
        raise Invalid("以下字段有误：" + "、".join(errors), fields=errors)
    dup = select(Objection).where(Objection.project_id == project.id, Objection.phone == phone,
                                  Objection.status == ObjectionStatus.OPEN)
    if db.session.execute(dup).first() is not None:
        raise Conflict("您对该项目已有一件待处理的异议，请等待处理结果", code="objection_exists")
    obj = Objection(project_id=project.id, user_id=user.id if user else None,
                    registration_id=reg.id if reg is not None else None, name=name, phone=phone,
                    grounds=grounds, status=ObjectionStatus.OPEN, created_at=now())
    db.session.add(obj)
    db.session.flush()
    audit.record("objection.lodge", f"project:{project.id}",
                 {"objection": obj.id, "registered_bidder": reg is not None},
                 user.username if user else f"public:{phone[:3]}****{phone[-4:]}")
    return obj


def get_objection(objection_id: int) -> Objection:
    obj = db.session.get(Objection, objection_id)
    if obj is None:
        raise NotFound("异议不存在", code="not_found")
    return obj


def _resolvable(obj: Objection, reason: str) -> str:
    if obj.status != ObjectionStatus.OPEN:
        raise Conflict("该异议已处理，不能重复处理", code="objection_resolved")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写处理理由", fields={"reason": "必填项"})
    return reason


def dismiss_objection(actor: User, obj: Objection, reason: str) -> Objection:
    reason = _resolvable(obj, reason)
    obj.status, obj.resolution, obj.resolved_by, obj.resolved_at = (ObjectionStatus.DISMISSED, reason,
                                                                    actor.username, now())
    if obj.project_id is None:  # a tender lot's: its package records and reacts
        db.session.flush()
        signals.objection_resolved.send(obj, actor=actor, reason=reason, upheld=False)
        return obj
    audit.record("objection.dismiss", f"project:{obj.project_id}", {"objection": obj.id, "reason": reason},
                 actor.username)
    return obj


def uphold_objection(actor: User, obj: Objection, reason: str, *, award_next: bool) -> Objection:
    """Upheld: the award is annulled; the next-best bidder is awarded (递补) or the project fails."""
    if obj.project_id is None:  # a tender lot's: its package strikes the candidate (it locks the lot)
        reason = _resolvable(obj, reason)
        obj.status, obj.resolution, obj.resolved_by, obj.resolved_at = (ObjectionStatus.UPHELD, reason,
                                                                        actor.username, now())
        db.session.flush()
        signals.objection_resolved.send(obj, actor=actor, reason=reason, upheld=True)
        return obj
    project = lock(Project, obj.project_id)
    db.session.refresh(obj)  # re-read under the project's lock: a concurrent twin may have upheld it already, and
    reason = _resolvable(obj, reason)  # must not then annul the promoted runner-up as well (issue 12, finding 3)
    if project is None or project.status != ProjectStatus.AWARDED:
        raise Conflict("该项目的成交结果已不在可撤销状态", code="not_awarded")
    obj.status, obj.resolution, obj.resolved_by, obj.resolved_at = (ObjectionStatus.UPHELD, reason,
                                                                    actor.username, now())
    audit.record("objection.uphold", f"project:{project.id}",
                 {"objection": obj.id, "reason": reason, "award_next": award_next}, actor.username)
    db.session.flush()
    annul_award(project, reason=f"异议成立：{reason}", actor=actor.username, award_next=award_next)
    return obj


# ------------------------------------------------------------------ issuing

def get_certificate(number: str, *, staff: bool = False) -> Certificate:
    """By its ASCII number (which ends in a random token, so numbers cannot be walked); staff may also use the
    readable, sequential number (鹿农交鉴〔2026〕0001号)."""
    match = (or_(Certificate.number == number, Certificate.number_text == number) if staff
             else Certificate.number == number)
    stmt = select(Certificate).where(match)
    cert = db.session.execute(stmt).scalar_one_or_none()
    if cert is None:
        raise NotFound("鉴证书不存在，请核对编号", code="not_found")
    return cert


def certificate_of(project: Project) -> Certificate | None:
    return db.session.execute(select(Certificate).where(Certificate.project_id == project.id)).scalar_one_or_none()


def check_issuable(project: Project) -> None:
    """The refusals in docs/api.md order of meaning; each changes nothing."""
    # both existence checks in one round trip (the refusals are still raised in this order)
    has_certificate, has_open_objection = db.session.execute(select(
        select(Certificate.id).where(Certificate.project_id == project.id).exists(),
        select(Objection.id).where(Objection.project_id == project.id,
                                   Objection.status == ObjectionStatus.OPEN).exists(),
    )).one()
    if has_certificate:
        raise Conflict("该项目已出具鉴证书，不能重复出具", code="certificate_exists")
    if project.status != ProjectStatus.AWARDED or project.final_price is None or project.winner_id is None:
        raise Conflict("项目尚未成交（或成交结果尚未确认），不能出具鉴证书", code="not_awarded")
    end = publicity_end(project)
    if not rules.publicity_over(now(), end):
        shown = to_beijing(end).strftime("%Y-%m-%d %H:%M:%S") if end else "—"
        raise Conflict(f"结果公示期尚未结束（至 {shown}），不能出具鉴证书", code="publicity_not_over")
    if has_open_objection:
        raise Conflict("该项目有待处理的异议，须先处理异议", code="objection_pending")


def _party(user: User | None, role: str) -> dict[str, Any]:
    """A party as the signed (public) facts carry it: a person's ID number masked, an organisation's credit
    code whole. Staff read the full number through `queries.certificate_json(..., private=True)`."""
    org = user.org if user is not None else None
    code = org.credit_code if org is not None else None
    if org is not None and org.kind == OrgKind.INDIVIDUAL:
        code = mask_personal_id(code)
    return {"role": role, "name": user.name if user is not None else "—", "org_code": code}


def verify_path(number: str) -> str:
    return f"/certificates/{number}"


def certified_facts(project: Project, number: str, number_text: str, issued_at: datetime) -> dict[str, Any]:
    """The facts frozen at issue (all strings, ints, or nested dicts: canonical JSON)."""
    public = project.is_public_resource
    price = project.final_price
    assert price is not None
    total = total_amount(price, project.price_unit, project.area_mu, project.term_years)
    ror_role, ree_role = rules.PARTY_ROLES[public]
    # the project's own audit chain as it stands (everything about the project up to the issue), and the anchor
    # that covers that very head — appended now, in this transaction, when the scheduler has not yet
    chain = f"project:{project.id}"
    seq, head = audit.chain_head(chain)
    covering = audit.anchor_chain(chain)
    anchor_seq, anchor_hash = covering["seq"], covering["hash"]
    facts: dict[str, Any] = {
        "number": number, "number_text": number_text, "title": rules.TITLES[public],
        "center": current_app.config["TRADING_RURAL_CENTER_NAME" if not public else "TRADING_CENTER_NAME"],
        "public_resource": public,
        "project_code": project.code, "project_title": project.title, "kind": project.kind,
        "kind_label": KIND_LABELS.get(project.kind, project.kind), "location": project.location,
        "area_mu": to_str(project.area_mu), "term_years": project.term_years,
        "transferor": _party(project.owner, ror_role), "transferee": _party(project.winner, ree_role),
        "price": to_str(price), "price_unit": project.price_unit,
        "unit_label": UNIT_LABELS.get(project.price_unit, project.price_unit),
        "total_amount": to_str(total), "total_amount_capital": capital(total),
        "start_price": to_str(project.start_price),
        "method": project.method, "method_label": METHOD_LABELS.get(project.method, project.method),
        "direction": project.direction, "direction_label": DIRECTION_LABELS.get(project.direction, ""),
        "bid_count": project.bid_count,
        "bidding_start": isoformat(project.bidding_start),
        "bidding_end": isoformat(project.closed_at or project.ends_at or project.bidding_end),
        "awarded_at": isoformat(project.awarded_at),
        "publicity_start": isoformat(project.awarded_at), "publicity_end": isoformat(publicity_end(project)),
        "issued_at": isoformat(issued_at),
        "audit_head": {"chain": chain, "seq": seq, "hash": head},
        "audit_anchor": {"seq": anchor_seq, "hash": anchor_hash},
        "verify_url": current_app.config["TRADING_PUBLIC_URL"].rstrip("/") + verify_path(number),
    }
    if project.direction == "descending":
        budget = project.budget or project.start_price
        savings = budget - price
        facts.update(rate_kind="savings_rate", rate=rate_str(rate(savings, budget)), budget=to_str(budget),
                     savings=to_str(savings))
    else:
        facts.update(rate_kind="premium_rate", rate=rate_str(rate(price - project.start_price, project.start_price)))
    return facts


def _next_seq(public: bool, year: int) -> int:
    from trading.projects.services import next_code

    return int(next_code("CERT-GG" if public else "CERT-NC", year).rsplit("-", 1)[1])


@functools.cache
def _lock_statement(for_update: bool):
    """trading.db.lock(Project, id), with the owner and the winner (and their organisations, printed on the
    certificate) read in the same statement instead of four lazy loads. Only the project row is locked.
    Built once (the project id is a bound parameter): constructing the joined ORM statement cost ~0.3 ms."""
    owner, winner = aliased(User), aliased(User)
    stmt = (select(Project).where(Project.id == bindparam("project_id"))
            .options(joinedload(Project.owner.of_type(owner)).joinedload(owner.org),
                     joinedload(Project.winner.of_type(winner)).joinedload(winner.org))
            .execution_options(populate_existing=True))
    return stmt.with_for_update(of=Project) if for_update else stmt


def _lock_with_parties(project_id: int) -> Project | None:
    stmt = _lock_statement(is_postgres())
    return db.session.execute(stmt, {"project_id": project_id}).unique().scalar_one_or_none()


def issue_certificate(actor: User, project_id: int) -> Certificate:
    """Lock the project, check, number, freeze the facts, sign them, build and sign the PDF, record it.

    Everything happens in the caller's transaction: a failure rolls back the number and leaves no row.
    """
    from certificates import keys, pdf

    project = _lock_with_parties(project_id)
    if project is None:
        raise NotFound("项目不存在", code="not_found")
    check_issuable(project)
    material = keys.signing_material()  # 503 signing_unavailable when absent, before a number is taken
    pdf.register_font()
    issued_at = now()
    public = project.is_public_resource
    year = to_beijing(issued_at).year
    cfg = current_app.config
    number, number_text = rules.numbers(public, year, _next_seq(public, year),
                                        cfg.get("TRADING_CERT_PREFIX_RURAL", "鹿农交鉴"),
                                        cfg.get("TRADING_CERT_PREFIX_PUBLIC", "鹿公交确"), rules.new_token())
    facts = certified_facts(project, number, number_text, issued_at)
    body = rules.canonical(facts)
    signature = base64.b64encode(material.ed25519.sign(body)).decode("ascii")
    unsigned = pdf.build_pdf(rules.render_context(facts))
    signed = pdf.sign_pdf(unsigned, reason=f"{facts['title']} {number_text}", location=facts["center"],
                          name=facts["center"], signer=material.signer)
    digest = hashlib.sha256(signed).hexdigest()
    cert = Certificate(number=number, number_text=number_text, project_id=project.id, facts=body.decode("utf-8"),
                       signature=signature, public_key=material.public_key_b64, ca_cert=material.ca_pem, pdf=signed,
                       sha256=digest,
                       status=CertificateStatus.VALID, issued_at=issued_at, issued_by=actor.username)
    db.session.add(cert)
    from trading.projects.states import next_status

    project.status = next_status(project.status, "certify")
    db.session.flush()
    audit.record("certificate.issue", f"certificate:{number}",
                 {"project": project.code, "number_text": number_text, "sha256": digest,
                  "facts_sha256": hashlib.sha256(body).hexdigest()}, actor.username)
    # the winner's bid security is released or applied (guarantees receives it)
    deal_completed.send(None, project=project, actor=actor.username)
    return cert


# ------------------------------------------------------------------ revocation and verification

def revoke(actor: User, cert: Certificate, reason: str) -> Certificate:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写撤销理由", fields={"reason": "必填项"})
    if cert.status == CertificateStatus.REVOKED:
        raise Conflict("该鉴证书已被撤销", code="already_revoked")
    cert.status, cert.revoked_at, cert.revoked_by, cert.revoke_reason = (CertificateStatus.REVOKED, now(),
                                                                        actor.username, reason)
    audit.record("certificate.revoke", f"certificate:{cert.number}", {"reason": reason}, actor.username)
    return cert
