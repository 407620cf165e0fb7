"""JSON API for publicity, objections and certificates (API.md "Certificates")."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.routing import BaseConverter

from certificates import queries, services
from certificates.rules import MAX_UPLOAD
from trading.apiutil import (
    bearer_user,
    commit_json,
    jsonify,
    page_args,
    parse_body,
    require_user,
    roles_required,
)
from trading.clock import isoformat, now
from trading.errors import DomainError, Invalid
from trading.openapi import PAGE_QUERY, doc, text_query
from trading.schemas import ReasonIn
from trading.services import effective_status, get_project


class CertificateNumber(BaseConverter):
    """`<certno:number>`: any path segment except the fixed paths beside it (/certificates/verify takes only POST,
    and must answer a GET with 405 and `Allow: POST`, not with a lookup of a certificate numbered "verify")."""

    regex = r"(?!(?:verify|signing-keys)(?:/|$))[^/]+"


bp = Blueprint("certificates_api", __name__, url_prefix="/api/v1")


class ObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=20)
    grounds: str = Field(max_length=4000)


class UpholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)
    award_next: bool = False


class IssuedOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    number: str
    url: str
    pdf_url: str


class VerifyOut(BaseModel):
    valid: bool
    number: str | None
    status: str | None
    reason: str


class UnsupportedMedia(DomainError):
    status = 415
    code = "unsupported_media_type"


class TooLarge(DomainError):
    status = 413
    code = "payload_too_large"


def _base() -> str:
    return current_app.config["TRADING_PUBLIC_URL"].rstrip("/")


def objection_json(obj, *, private: bool) -> dict:
    out = {"id": obj.id, "project_id": obj.project_id, "status": obj.status, "grounds": obj.grounds,
           "registered_bidder": obj.registration_id is not None, "created_at": isoformat(obj.created_at),
           "resolution": obj.resolution, "resolved_at": isoformat(obj.resolved_at)}
    if private:
        out.update(name=obj.name, phone=obj.phone, resolved_by=obj.resolved_by)
    return out


@bp.get("/projects/<int:project_id>/publicity")
@doc("成交结果公示状态", auth=False, tag="certificates")
def publicity(project_id: int):
    project = get_project(project_id)
    end = services.publicity_end(project)
    cert = services.certificate_of(project)
    return jsonify({"project_id": project.id, "status": effective_status(project).value,
                    "awarded_at": isoformat(project.awarded_at), "publicity_ends_at": isoformat(end),
                    "in_publicity": project.status == "awarded" and end is not None and now() < end,
                    "open_objections": len(services.open_objections(project)),
                    "certificate": cert.number if cert else None, "server_time": isoformat(now())})


@bp.post("/projects/<int:project_id>/objections")
@doc("公示期内提出异议（竞买人或公众，须填姓名和手机号）", body=ObjectionIn, status=201, auth=False,
     tag="certificates")
def lodge(project_id: int):
    user = bearer_user()
    body = parse_body(ObjectionIn)
    obj = services.lodge_objection(get_project(project_id), user=user, name=body.name, phone=body.phone,
                                   grounds=body.grounds)
    return commit_json(objection_json(obj, private=True), 201)


@bp.get("/projects/<int:project_id>/objections")
@roles_required("staff")
@doc("项目的异议列表", tag="certificates")
def list_objections(project_id: int):
    items = services.objections_of(get_project(project_id))
    return jsonify({"items": [objection_json(o, private=True) for o in items], "total": len(items)})


@bp.post("/objections/<int:objection_id>/dismiss")
@roles_required("staff")
@doc("驳回异议", body=ReasonIn, tag="certificates")
def dismiss(objection_id: int):
    user = require_user()
    body = parse_body(ReasonIn)
    obj = services.dismiss_objection(user, services.get_objection(objection_id), body.reason)
    return commit_json(objection_json(obj, private=True))


@bp.post("/objections/<int:objection_id>/uphold")
@roles_required("staff")
@doc("异议成立：撤销成交结果，递补或流拍", body=UpholdIn, tag="certificates")
def uphold(objection_id: int):
    user = require_user()
    body = parse_body(UpholdIn)
    obj = services.uphold_objection(user, services.get_objection(objection_id), body.reason,
                                    award_next=body.award_next)
    return commit_json(objection_json(obj, private=True))


@bp.post("/projects/<int:project_id>/certificate")
@roles_required("staff")
@doc("出具交易鉴证书 / 成交确认书", response=IssuedOut, status=201, tag="certificates")
def issue(project_id: int):
    user = require_user()
    cert = services.issue_certificate(user, project_id)
    out = queries.certificate_json(cert, _base())
    return commit_json({"number": cert.number, "number_text": cert.number_text, "url": out["url"],
                    "pdf_url": out["pdf_url"], "sha256": cert.sha256}, 201)


@bp.get("/certificates")
@roles_required("staff")
@doc("鉴证书登记簿（检索、分页）", tag="certificates", query=[*text_query("q"), *PAGE_QUERY])
def register():
    page, per_page = page_args()
    items, total = queries.register_search(request.args.get("q"), page, per_page)
    return jsonify({"items": [queries.certificate_json(c, _base(), private=True) for c in items], "total": total,
                    "page": page})


@bp.get("/certificates/signing-keys")
@doc("中心的验签公钥与根证书", auth=False, tag="certificates")
def signing_keys():
    from certificates import keys

    p = keys.key_paths()
    if not keys.available():
        raise DomainError("签章密钥尚未配置", code="signing_unavailable", status=503)
    return jsonify({"ed25519_public_key": keys.public_key_b64(), "ca_certificate_pem": p.ca_cert.read_text()})


@bp.get("/certificates/<certno:number>")
@doc("查询鉴证书：认证事实、状态、PDF 的 sha256 与签名", auth=False, tag="certificates")
def show(number: str):
    user = bearer_user()
    staff = user is not None and user.role == "staff"
    return jsonify(queries.certificate_json(services.get_certificate(number, staff=staff), _base(), private=staff))


@bp.get("/certificates/<certno:number>/pdf")
@doc("下载已签名的鉴证书 PDF", auth=False, tag="certificates")
def pdf(number: str):
    cert = services.get_certificate(number)
    return Response(cert.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{cert.number}.pdf"', "X-Content-SHA256": cert.sha256})


@bp.post("/certificates/verify")
@doc("核验 PDF 文件真伪（请求体为 PDF 字节）", response=VerifyOut, auth=False, raw_body="application/pdf",
     tag="certificates")
def verify():
    if request.mimetype != "application/pdf":
        raise UnsupportedMedia("请以 Content-Type: application/pdf 提交 PDF 文件的原始字节")
    if request.content_length is not None and request.content_length > MAX_UPLOAD:
        raise TooLarge("文件超过 10 MB，不予核验")
    data = request.get_data(cache=False)
    if len(data) > MAX_UPLOAD:
        raise TooLarge("文件超过 10 MB，不予核验")
    if not data:
        raise Invalid("请求体为空：请提交 PDF 文件内容", code="empty_body")
    return jsonify(queries.verify_pdf(data))


@bp.post("/certificates/<certno:number>/revoke")
@roles_required("staff")
@doc("撤销鉴证书", body=ReasonIn, tag="certificates")
def revoke(number: str):
    user = require_user()
    body = parse_body(ReasonIn)
    cert = services.revoke(user, services.get_certificate(number, staff=True), body.reason)
    return commit_json(queries.certificate_json(cert, _base(), private=True))
