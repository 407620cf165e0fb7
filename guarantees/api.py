"""JSON API for guarantees (docs/api.md "Electronic guarantees"): guarantors, intake, reads, checks, claims, deposits."""

from __future__ import annotations

from flask import Blueprint, request
from sqlalchemy import select

from auctions.registrations import registration_of
from guarantees import claims, intake, queries, services
from guarantees.models import Guarantor, GuarantorKey
from guarantees.schemas import (
    CheckOut,
    ClaimOut,
    GuaranteeCreated,
    GuaranteeIn,
    GuaranteeOut,
    GuarantorIn,
    KeyIn,
    RetireIn,
)
from guarantees.serialize import claim_json, deposit_json, guarantee_json, guarantor_json, key_json
from trading.accounts.guard import require_user, roles_required
from trading.accounts.models import Role
from trading.apiutil import MAX_SEQ, commit_json, int_arg, json_body, jsonify, page_args, parse_body
from trading.errors import Forbidden, Invalid, NotFound
from trading.extensions import db
from trading.openapi import PAGE_QUERY, doc, flag_query, query_param, text_query
from trading.projects.models import Project
from trading.projects.visibility import is_published
from trading.schemas import ReasonIn

bp = Blueprint("guarantees_api", __name__, url_prefix="/api/v1")
TAG = "guarantees"


@bp.post("/guarantors")
@roles_required(Role.STAFF)
@doc("登记担保机构及其公钥", body=GuarantorIn, status=201, tag=TAG)
def create_guarantor():
    user = require_user()
    body = parse_body(GuarantorIn)
    g = intake.register_guarantor(body.code, body.name, body.public_key_pem, actor=user.username,
                                  key_valid_from=body.key_valid_from)
    return commit_json(guarantor_json(g), 201)


@bp.get("/guarantors")
@roles_required(Role.STAFF)
@doc("担保机构列表", tag=TAG)
def list_guarantors():
    rows = db.session.execute(select(Guarantor).order_by(Guarantor.code)).scalars().all()
    return jsonify({"items": [guarantor_json(g) for g in rows], "total": len(rows)})


@bp.get("/guarantors/<code>")
@roles_required(Role.STAFF, Role.GUARANTOR)
@doc("担保机构详情（含公钥）", tag=TAG)
def get_guarantor(code: str):
    user = require_user()
    g = intake.get_guarantor(code)
    if user.role == Role.GUARANTOR and user.org_id != g.org_id:
        raise Forbidden("只能查看本机构的信息", code="forbidden")
    return jsonify(guarantor_json(g))


@bp.post("/guarantors/<code>/keys")
@roles_required(Role.STAFF)
@doc("为担保机构增加公钥（密钥轮换）", body=KeyIn, status=201, tag=TAG)
def add_key(code: str):
    user = require_user()
    body = parse_body(KeyIn)
    key = intake.add_key(intake.get_guarantor(code), body.public_key_pem, valid_from=body.valid_from,
                         valid_until=body.valid_until, actor=user.username)
    return commit_json(key_json(key), 201)


@bp.post("/guarantors/<code>/keys/<int:key_id>/retire")
@roles_required(Role.STAFF)
@doc("停用公钥（此前签发的保函仍可验证）", body=RetireIn, tag=TAG)
def retire_key(code: str, key_id: int):
    user = require_user()
    body = parse_body(RetireIn)
    key = db.session.get(GuarantorKey, key_id)
    if key is None or key.guarantor.code != code:
        raise NotFound("公钥不存在", code="not_found")
    intake.retire_key(key, body.valid_until, user.username)
    return commit_json(key_json(key))


@bp.post("/guarantees")
@doc("提交电子保函（签名即认证，无需令牌）", body=GuaranteeIn, response=GuaranteeCreated, status=201, tag=TAG,
     auth=False)
def receive_guarantee():
    g = intake.receive(json_body())
    return commit_json({"guarantee_no": g.guarantee_no, "status": g.status}, 201)


@bp.get("/guarantees")
@roles_required(Role.STAFF, Role.GUARANTOR, Role.BIDDER)
@doc("保函列表（工作人员：全部；担保机构：本机构；竞买人：本人）", tag=TAG,
     query=[*text_query("status", "q", "issuer"), *PAGE_QUERY])
def list_guarantees():
    user = require_user()
    page, per_page = page_args()
    rows, total = queries.list_guarantees(user, status=request.args.get("status") or None,
                                          q=request.args.get("q") or None,
                                          issuer=request.args.get("issuer") or None, page=page, per_page=per_page)
    return jsonify({"items": [guarantee_json(g, full=False) for g in rows], "total": total, "page": page})


@bp.get("/guarantees/<no>")
@roles_required(Role.BIDDER, Role.GUARANTOR, Role.STAFF)
@doc("保函详情（申请人、签发机构用户、工作人员）", response=GuaranteeOut, tag=TAG)
def get_guarantee(no: str):
    user = require_user()
    g = services.get_guarantee(no)
    if not services.can_view(g, user):
        raise Forbidden("只有保函申请人、签发机构和交易中心可以查看该保函", code="forbidden")
    return jsonify(guarantee_json(g))


@bp.get("/guarantees/<no>/check")
@roles_required(Role.BIDDER)
@doc("报名前即时核验保函（不占用）：?project_id=", response=CheckOut, tag=TAG,
     query=[query_param("project_id", {"type": "integer", "minimum": 0, "maximum": MAX_SEQ}, required=True)])
def check_guarantee(no: str):
    user = require_user()
    project_id = int_arg("project_id", None, 0, MAX_SEQ)
    if project_id is None:
        raise Invalid("缺少 project_id", fields={"project_id": "必填，整数"})
    project = db.session.get(Project, project_id)
    if project is None or not is_published(project):
        raise NotFound("项目不存在", code="not_found")
    # a bidder who withdrew may take back the guarantee its own registration held
    reg = registration_of(project.id, user.id)
    reg_id = reg.id if reg is not None else None
    try:
        g = services.check_guarantee(no, bidder=user.username, project=project, registration_id=reg_id)
    except Invalid as err:
        return jsonify({"ok": False, "code": err.code, "message": err.message})
    return jsonify({"ok": True, "code": None, "message": f"保函有效：{g.guarantor.name}出具，金额 {g.amount} 元",
                    "guarantee_no": g.guarantee_no})


@bp.post("/guarantees/<no>/claims")
@roles_required(Role.STAFF)
@doc("对违约持有人的保函提出索赔", body=ReasonIn, response=ClaimOut, status=201, tag=TAG)
def file_claim(no: str):
    user = require_user()
    body = parse_body(ReasonIn)
    claim = claims.file_claim(services.get_guarantee(no), body.reason, user.username)
    return commit_json(claim_json(claim), 201)


@bp.post("/guarantees/<no>/repudiate")
@roles_required(Role.GUARANTOR)
@doc("担保机构否认出具该保函（伪造保函），等待交易中心确认", body=ReasonIn, response=GuaranteeOut, tag=TAG)
def repudiate(no: str):
    user = require_user()
    body = parse_body(ReasonIn)
    g = services.repudiate(no, body.reason, user)
    return commit_json(guarantee_json(g))


@bp.post("/guarantees/<no>/confirm-forged")
@roles_required(Role.STAFF)
@doc("确认伪造保函（出具机构否认后）：保函作废，所担保的报名被驳回，生成待确认的失信记录", body=ReasonIn,
     response=GuaranteeOut, tag=TAG)
def confirm_forged(no: str):
    user = require_user()
    body = parse_body(ReasonIn)
    g = services.confirm_forged(no, body.reason, user.username)
    return commit_json(guarantee_json(g))


@bp.get("/claims")
@roles_required(Role.STAFF, Role.GUARANTOR)
@doc("索赔列表", tag=TAG, query=[*text_query("status"), *PAGE_QUERY])
def list_claims():
    user = require_user()
    page, per_page = page_args()
    rows, total = queries.list_claims(user, status=request.args.get("status") or None, page=page,
                                      per_page=per_page)
    return jsonify({"items": [claim_json(c) for c in rows], "total": total, "page": page})


@bp.post("/claims/<int:claim_id>/pay")
@roles_required(Role.GUARANTOR)
@doc("担保机构赔付索赔", response=ClaimOut, tag=TAG)
def pay_claim(claim_id: int):
    claim = claims.pay_claim(claim_id, require_user())
    return commit_json(claim_json(claim))


@bp.post("/claims/<int:claim_id>/reject")
@roles_required(Role.GUARANTOR)
@doc("担保机构拒付（提出异议）", body=ReasonIn, response=ClaimOut, tag=TAG)
def reject_claim(claim_id: int):
    user = require_user()
    body = parse_body(ReasonIn)
    claim = claims.reject_claim(claim_id, user, body.reason)
    return commit_json(claim_json(claim))


@bp.get("/deposits")
@roles_required(Role.STAFF)
@doc("现金保证金台账：?status=&due=1（待退还清单）", tag=TAG,
     query=[*text_query("status"), flag_query("due", "只看到期待退还的"), *PAGE_QUERY])
def list_deposits():
    page, per_page = page_args()
    rows, total = queries.list_deposits(status=request.args.get("status") or None,
                                        due=request.args.get("due") in ("1", "true"), page=page, per_page=per_page)
    return jsonify({"items": [deposit_json(d) for d in rows], "total": total, "page": page})


@bp.post("/deposits/<int:deposit_id>/refund")
@roles_required(Role.STAFF)
@doc("登记保证金已退还", tag=TAG)
def refund_deposit(deposit_id: int):
    dep = services.mark_refunded(deposit_id, require_user().username)
    return commit_json(deposit_json(dep))
