"""Reads: certificate JSON, signature and PDF verification, staff lists. No writes."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from sqlalchemy import func, or_, select

from certificates.models import Certificate, CertificateStatus, Objection, ObjectionStatus
from certificates.services import verify_path
from trading.clock import isoformat, now, to_beijing
from trading.credit import mask_personal_id
from trading.errors import Unavailable
from trading.extensions import db
from trading.models import OrgKind, Project
from trading.states import ProjectStatus


def _parties(cert: Certificate) -> dict[str, Any]:
    project = cert.project
    return {"transferor": project.owner, "transferee": project.winner}


def facts_of(cert: Certificate) -> dict[str, Any]:
    """The certified facts as public output shows them. Certificates issued since issue 12 sign a person's ID
    number already masked; on older ones it is masked here (their stored, signed facts are unchanged)."""
    facts = json.loads(cert.facts)
    for key, user in _parties(cert).items():
        party = facts.get(key)
        if isinstance(party, dict) and user is not None and user.org is not None and \
                user.org.kind == OrgKind.INDIVIDUAL:
            party["org_code"] = mask_personal_id(party.get("org_code"))
    return facts


def party_codes(cert: Certificate) -> dict[str, str | None]:
    """The parties' full credit codes / ID numbers, for staff (and the banks they answer) only."""
    return {key: (user.org.credit_code if user is not None and user.org is not None else None)
            for key, user in _parties(cert).items()}


def check_signature(cert: Certificate) -> bool:
    """The Ed25519 signature over the stored canonical facts, with the published public key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(cert.public_key)).verify(
            base64.b64decode(cert.signature), cert.facts.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


def _revoked_reason(cert: Certificate) -> str:
    when = to_beijing(cert.revoked_at).strftime("%Y-%m-%d %H:%M") if cert.revoked_at else ""
    return f"该鉴证书已于 {when} 被撤销：{cert.revoke_reason}"


def verify_pdf(data: bytes) -> dict[str, Any]:
    """{"valid", "number", "status", "reason"}: byte-exact hash, PAdES signature, revocation."""
    from certificates import pdf

    if not data.startswith(b"%PDF-"):
        return {"valid": False, "number": None, "status": None, "reason": "文件不是 PDF，无法核验"}
    digest = hashlib.sha256(data).hexdigest()
    cert = db.session.execute(select(Certificate).where(Certificate.sha256 == digest)).scalar_one_or_none()
    claimed_number = pdf.number_in(data)
    claimed = None
    if cert is None and claimed_number:
        claimed = db.session.execute(select(Certificate).where(Certificate.number == claimed_number)
                                     ).scalar_one_or_none()
    recorded = cert or claimed
    try:
        ok, why, _ = pdf.validate_pades(data, (recorded.ca_cert,) if recorded is not None else ())
    except Unavailable:
        ok, why = False, "中心签章证书不可用，无法校验电子签名"
    if cert is not None:
        if not ok:
            return {"valid": False, "number": cert.number, "status": cert.status, "reason": why}
        if cert.status == CertificateStatus.REVOKED:
            return {"valid": False, "number": cert.number, "status": cert.status, "reason": _revoked_reason(cert)}
        return {"valid": True, "number": cert.number, "status": cert.status,
                "reason": "文件与中心签发的鉴证书原件逐字节一致，电子签名有效，鉴证书有效"}
    if claimed is not None:
        reason = f"文件与编号 {claimed.number} 的鉴证书原件不一致，可能已被篡改"
        if not ok:
            reason += f"（{why}）"
        return {"valid": False, "number": claimed.number, "status": claimed.status, "reason": reason}
    from certificates.signals import verify_unrecognised

    for _receiver, answer in verify_unrecognised.send(data, digest=digest):
        if answer:
            return answer
    reason = "不是本中心签发的鉴证书文件" + ("" if ok else f"（{why}）")
    return {"valid": False, "number": None, "status": None, "reason": reason}


# ------------------------------------------------------------------ staff lists

def awaiting_certificate(page: int = 1, per_page: int = 20) -> tuple[list[Project], int]:
    """Awarded, publicity over, no open objection, no certificate."""
    has_open = select(Objection.id).where(Objection.project_id == Project.id,
                                          Objection.status == ObjectionStatus.OPEN).exists()
    has_cert = select(Certificate.id).where(Certificate.project_id == Project.id).exists()
    stmt = select(Project).where(Project.status == ProjectStatus.AWARDED, Project.publicity_ends_at <= now(),
                                 ~has_open, ~has_cert)
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.session.execute(stmt.order_by(Project.publicity_ends_at, Project.id)
                              .limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return list(rows), total


def in_publicity_projects(limit: int = 50) -> list[Project]:
    stmt = select(Project).where(Project.status == ProjectStatus.AWARDED, Project.publicity_ends_at > now())
    return list(db.session.execute(stmt.order_by(Project.publicity_ends_at).limit(limit)).scalars())


def pending_objections(limit: int = 100) -> list[Objection]:
    stmt = select(Objection).where(Objection.status == ObjectionStatus.OPEN).order_by(Objection.id).limit(limit)
    return list(db.session.execute(stmt).scalars())


def register_search(q: str | None = None, page: int = 1, per_page: int = 20) -> tuple[list[Certificate], int]:
    stmt = select(Certificate).join(Project, Project.id == Certificate.project_id)
    if q and q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Certificate.number.like(like), Certificate.number_text.like(like),
                              Project.code.like(like), Project.title.like(like), Project.location.like(like)))
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.session.execute(stmt.order_by(Certificate.issued_at.desc(), Certificate.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return list(rows), total


def certificate_json(cert: Certificate, base_url: str = "", *, private: bool = False) -> dict[str, Any]:
    """`private` (staff only) adds `party_codes`: the full codes the public facts mask for a person."""
    out = {
        "number": cert.number, "number_text": cert.number_text, "project_id": cert.project_id,
        "status": cert.status, "facts": facts_of(cert), "sha256": cert.sha256,
        "signature": {"algorithm": "Ed25519", "value": cert.signature, "public_key": cert.public_key,
                      "signed_data": "facts 的规范 JSON（sort_keys，separators=(',',':')，ensure_ascii=False，UTF-8）",
                      "valid": check_signature(cert)},
        "pades": {"subfilter": "ETSI.CAdES.detached", "ca_certificate_pem": cert.ca_cert},
        "issued_at": isoformat(cert.issued_at), "issued_by": cert.issued_by,
        "revoked_at": isoformat(cert.revoked_at), "revoke_reason": cert.revoke_reason,
        "url": f"{base_url}{verify_path(cert.number)}", "pdf_url": f"{base_url}/api/v1/certificates/{cert.number}/pdf",
    }
    if private:
        out["party_codes"] = party_codes(cert)
    return out

