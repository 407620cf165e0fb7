"""Guarantors, their keys, and the intake of signed guarantee documents (API.md "Electronic guarantees")."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from guarantees import crypto
from guarantees.models import Guarantee, Guarantor, GuarantorKey
from guarantees.rules import DocumentError, key_valid_at, parse_document
from guarantees.states import GuaranteeStatus
from trading import audit
from trading.accounts import create_org
from trading.clock import now
from trading.errors import Conflict, Invalid, NotFound
from trading.extensions import db
from trading.models import Organisation, OrgKind

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def get_guarantor(code: str) -> Guarantor:
    g = db.session.execute(select(Guarantor).where(Guarantor.code == code)).scalar_one_or_none()
    if g is None:
        raise NotFound(f"担保机构 {code} 未登记", code="not_found")
    return g


def _check_key(pem: object) -> tuple[str, str, str]:
    if not isinstance(pem, str) or not pem.strip():
        raise Invalid("请提供 PEM 格式的公钥", fields={"public_key_pem": "必填"})
    try:
        algorithm, key, fingerprint = crypto.load_public_key(pem)
    except crypto.UnusableKey as exc:
        raise Invalid(str(exc), fields={"public_key_pem": str(exc)}) from None
    if db.session.execute(select(GuarantorKey.id).where(GuarantorKey.fingerprint == fingerprint)).first():
        raise Conflict("该公钥已登记", code="duplicate_key")
    return algorithm, crypto.normalise_pem(key), fingerprint


def add_key(guarantor: Guarantor, public_key_pem: str, *, valid_from: datetime | None = None,
            valid_until: datetime | None = None, actor: str) -> GuarantorKey:
    """Add a public key for documents received in [valid_from, valid_until) (and dated no earlier than
    valid_from); guarantees received under older keys stay valid."""
    algorithm, pem, fingerprint = _check_key(public_key_pem)
    valid_from = valid_from or EPOCH
    if valid_until is not None and valid_until <= valid_from:
        raise Invalid("密钥有效期截止须晚于起始", fields={"valid_until": "须晚于 valid_from"})
    key = GuarantorKey(guarantor_id=guarantor.id, algorithm=algorithm, public_key_pem=pem,
                       fingerprint=fingerprint, valid_from=valid_from, valid_until=valid_until)
    db.session.add(key)
    db.session.flush()
    audit.record("guarantor.key_add", f"guarantor:{guarantor.code}",
                 {"key": key.id, "algorithm": algorithm, "fingerprint": fingerprint,
                  "valid_from": valid_from.isoformat(),
                  "valid_until": valid_until.isoformat() if valid_until else None}, actor)
    return key


def retire_key(key: GuarantorKey, until: datetime, actor: str) -> GuarantorKey:
    """A key stops signing at `until`: documents received from then on are refused whatever date they carry;
    guarantees received before stay valid."""
    if until <= key.valid_from:
        raise Invalid("停用时间须晚于密钥生效时间", fields={"valid_until": "须晚于 valid_from"})
    key.valid_until = until
    db.session.flush()
    audit.record("guarantor.key_retire", f"guarantor:{key.guarantor.code}",
                 {"key": key.id, "valid_until": until.isoformat()}, actor)
    return key


def register_guarantor(code: str, name: str, public_key_pem: str, *, actor: str,
                       key_valid_from: datetime | None = None) -> Guarantor:
    """A guarantee institution, its Organisation(kind=guarantor) and its first public key.

    A bad key raises after the organisation was flushed; the request's rollback leaves nothing behind.
    """
    code, name = (code or "").strip(), (name or "").strip()
    errors = {}
    if not CODE_PATTERN.match(code):
        errors["code"] = "机构代码须为1至32位字母、数字、下划线或连字符"
    if not name or len(name) > 200:
        errors["name"] = "机构名称必填，且不超过200字"
    if errors:
        raise Invalid("；".join(errors.values()), fields=errors)
    if db.session.execute(select(Organisation.id).where(Organisation.code == code)).first():
        raise Conflict(f"机构代码 {code} 已登记", code="duplicate_guarantor")
    org = create_org(name, OrgKind.GUARANTOR, None, code=code, actor=actor)
    guarantor = Guarantor(code=code, name=name, org_id=org.id)
    db.session.add(guarantor)
    db.session.flush()
    audit.record("guarantor.register", f"guarantor:{code}", {"name": name}, actor)
    add_key(guarantor, public_key_pem, valid_from=key_valid_from, actor=actor)
    return guarantor


def _refuse(message: str, code: str, fields: dict | None = None) -> Invalid:
    return Invalid(message, code=code, fields=fields)


def receive(body: object) -> Guarantee:
    """Intake: the signature first (over the document exactly as received), then the document itself.

    Refusals (422): unknown_issuer, bad_signature, invalid_document, duplicate_guarantee; nothing is stored.
    """
    if not isinstance(body, dict) or not isinstance(body.get("document"), dict):
        raise _refuse("请求体须为 {\"document\": {...}, \"signature\": \"...\"}", "invalid_document",
                      {"document": "必须是 JSON 对象"})
    document: dict = body["document"]
    issuer = document.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise _refuse("保函文件缺少签发机构（issuer）", "invalid_document", {"issuer": "必填"})
    guarantor = db.session.execute(select(Guarantor).where(Guarantor.code == issuer)).scalar_one_or_none()
    if guarantor is None:
        raise _refuse(f"签发机构“{issuer}”未在本平台登记", "unknown_issuer")
    signature = crypto.decode_signature(body.get("signature"))
    if signature is None:
        raise _refuse("签名须为 Base64 编码的字符串", "bad_signature")
    try:
        message = crypto.canonical(document)
    except (TypeError, ValueError):
        raise _refuse("保函文件含有无法规范化的值", "invalid_document") from None
    key = next((k for k in guarantor.keys if crypto.verify(k.algorithm, k.public_key_pem, message, signature)), None)
    if key is None:
        raise _refuse("签名验证失败：文件已被改动，或不是该机构的密钥签发", "bad_signature")
    received_at = now()
    try:
        doc = parse_document(document, received_at)
    except DocumentError as exc:
        raise _refuse(str(exc), "invalid_document", exc.fields) from None
    if not key_valid_at(key.valid_from, key.valid_until, issued_at=doc.issued_at, received_at=received_at):
        raise _refuse("签名密钥已停用或尚未生效（以平台收到保函的时间为准）", "bad_signature")
    if db.session.execute(select(Guarantee.id).where(Guarantee.guarantee_no == doc.guarantee_no)).first():
        raise _refuse(f"保函 {doc.guarantee_no} 已提交过，不能重复提交", "duplicate_guarantee")
    g = Guarantee(guarantee_no=doc.guarantee_no, guarantor_id=guarantor.id, key_id=key.id, type=doc.type,
                  applicant=doc.applicant, beneficiary=doc.beneficiary, project_code=doc.project_code,
                  amount=doc.amount, currency=doc.currency, valid_from=doc.valid_from,
                  valid_until=doc.valid_until, issued_at=doc.issued_at, document=message.decode("utf-8"),
                  sha256=crypto.sha256_hex(message), signature=body["signature"],
                  status=GuaranteeStatus.ISSUED, received_at=received_at)
    try:
        with db.session.begin_nested():
            db.session.add(g)
            db.session.flush()
    except IntegrityError:  # a concurrent submission of the same number won
        raise _refuse(f"保函 {doc.guarantee_no} 已提交过，不能重复提交", "duplicate_guarantee") from None
    audit.record("guarantee.receive", f"guarantee:{g.guarantee_no}",
                 {"issuer": issuer, "applicant": g.applicant, "project": g.project_code, "amount": g.amount,
                  "sha256": g.sha256, "key": key.id}, "guarantor:" + issuer)
    return g
