"""JSON API of docs/api.md's "Tenders" section. Handlers call services and commit once; errors roll back."""

from __future__ import annotations

from flask import Blueprint, Response, request
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from tenders import bidding, evaluation, papers, serialize, services
from tenders.models import TenderBid
from trading.accounts.guard import bearer_user, require_user, roles_required
from trading.accounts.models import Role
from trading.apiutil import commit_json, json_body, jsonify, page_args
from trading.clock import isoformat, now
from trading.errors import Forbidden, Invalid, NotFound
from trading.extensions import db
from trading.money import to_str
from trading.openapi import doc

bp = Blueprint("tenders_api", __name__, url_prefix="/api/v1")
STAFF_READ = (Role.STAFF, Role.SUPERVISOR)


def _reason() -> str:
    body = json_body()
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 2000:
        raise Invalid("请填写原因（不超过2000字）", fields={"reason": "必填项"})
    return reason.strip()


def _tender_for(tender_id: int):
    tender = services.get_tender(tender_id)
    services.require_view(tender, bearer_user())
    return tender


def _lot_for(lot_id: int):
    lot = services.get_lot(lot_id)
    services.require_view(lot.tender, bearer_user())
    return lot


# ------------------------------------------------------------------ tenders

@bp.post("/tenders")
@roles_required(Role.COLLECTIVE, Role.STAFF)
@doc("发布招标项目（草稿）", status=201, tag="tenders")
def create_tender():
    user = require_user()
    tender = services.create_tender(user, json_body())
    return commit_json(serialize.tender_json(tender, user), 201)


@bp.get("/tenders")
@doc("招标项目列表", auth=False, tag="tenders")
def list_tenders():
    page, per_page = page_args()
    user = bearer_user()
    mine = request.args.get("mine") == "1" and user is not None
    rows, total = services.list_tenders(kind=request.args.get("kind") or None, q=request.args.get("q") or None,
                                        status=request.args.get("status") or None, owner=user if mine else None,
                                        page=page, per_page=per_page)
    return jsonify({"items": [serialize.tender_json(t, user) for t in rows], "total": total, "page": page})


@bp.get("/tenders/<int:tender_id>")
@doc("招标项目详情", auth=False, tag="tenders")
def get_tender(tender_id: int):
    return jsonify(serialize.tender_json(_tender_for(tender_id), bearer_user()))


@bp.post("/tenders/<int:tender_id>/submit")
@roles_required(Role.COLLECTIVE)
@doc("提交审核", tag="tenders")
def submit(tender_id: int):
    user = require_user()
    tender = services.submit(user, services.get_tender(tender_id))
    return commit_json(serialize.tender_json(tender, user))


@bp.post("/tenders/<int:tender_id>/approve")
@roles_required(Role.STAFF)
@doc("审核通过并发布招标公告", tag="tenders")
def approve(tender_id: int):
    user = require_user()
    tender = services.approve(user, services.get_tender(tender_id))
    return commit_json(serialize.tender_json(tender, user))


@bp.post("/tenders/<int:tender_id>/reject")
@roles_required(Role.STAFF)
@doc("退回招标项目", tag="tenders")
def reject(tender_id: int):
    user = require_user()
    tender = services.reject(user, services.get_tender(tender_id), _reason())
    return commit_json(serialize.tender_json(tender, user))


@bp.post("/tenders/<int:tender_id>/withdraw")
@roles_required(Role.COLLECTIVE, Role.STAFF)
@doc("撤回招标项目（投标截止前）", tag="tenders")
def withdraw(tender_id: int):
    user = require_user()
    tender = services.get_tender(tender_id)
    services.require_view(tender, user)
    tender = services.withdraw(user, tender, _reason())
    return commit_json(serialize.tender_json(tender, user))


# ------------------------------------------------------------------ documents and clarifications

@bp.post("/tenders/<int:tender_id>/documents")
@roles_required(Role.COLLECTIVE, Role.STAFF)
@doc("上传招标文件（multipart：file = PDF ≤ 20 MB，title）", status=201, tag="tenders",
     raw_body="multipart/form-data")
def upload_document(tender_id: int):
    user = require_user()
    tender = services.get_tender(tender_id)
    services.require_view(tender, user)
    request.max_content_length = services.MAX_DOCUMENT_BYTES + 256 * 1024  # the multipart envelope besides
    try:
        upload = request.files.get("file")
        title = request.form.get("title", "")
    except RequestEntityTooLarge:
        raise Invalid("文件过大：招标文件不能超过 20 MB", code="file_too_large", status=413,
                      fields={"file": "不能超过 20 MB"}) from None
    if upload is None:
        raise Invalid("请以 multipart 字段 file 上传 PDF 文件", fields={"file": "必填"})
    try:
        data = upload.read(services.MAX_DOCUMENT_BYTES + 1)
    finally:
        for stream in request.files.values():
            stream.close()
    document = services.add_document(user, tender, title=title, filename=upload.filename or "", data=data)
    return commit_json(serialize.document_json(document), 201)


@bp.get("/tenders/<int:tender_id>/documents")
@doc("招标文件列表", auth=False, tag="tenders")
def list_documents(tender_id: int):
    tender = _tender_for(tender_id)
    return jsonify({"items": [serialize.document_json(d) for d in services.documents_of(tender)]})


@bp.get("/tenders/<int:tender_id>/documents/<int:document_id>")
@doc("下载招标文件（原始字节）", auth=False, tag="tenders")
def download_document(tender_id: int, document_id: int):
    document = services.get_document(_tender_for(tender_id), document_id)
    return Response(document.data, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=tender-{tender_id}-{document.id}.pdf",
        "X-Content-SHA256": document.sha256, "X-Content-Type-Options": "nosniff"})


@bp.post("/tenders/<int:tender_id>/clarifications")
@roles_required(Role.COLLECTIVE, Role.STAFF)
@doc("发布澄清/修改（可顺延投标截止时间）", status=201, tag="tenders")
def clarify(tender_id: int):
    user = require_user()
    tender = services.get_tender(tender_id)
    services.require_view(tender, user)
    body = json_body()
    if not isinstance(body, dict):
        raise Invalid("请求体必须是 JSON 对象", fields={"body": "必须是 JSON 对象"})
    clar = services.add_clarification(user, tender, body.get("text"), body.get("bid_deadline"), body.get("answers"))
    return commit_json(serialize.clarification_json(clar), 201)


@bp.get("/tenders/<int:tender_id>/clarifications")
@doc("澄清/修改列表", auth=False, tag="tenders")
def list_clarifications(tender_id: int):
    tender = _tender_for(tender_id)
    return jsonify({"items": [serialize.clarification_json(c) for c in services.clarifications_of(tender)]})


@bp.post("/tenders/<int:tender_id>/questions")
@roles_required(Role.BIDDER)
@doc("投标人提问（答疑，匿名）", status=201, tag="tenders")
def ask(tender_id: int):
    user = require_user()
    tender = _tender_for(tender_id)
    body = json_body()
    if not isinstance(body, dict):
        raise Invalid("请求体必须是 JSON 对象", fields={"body": "必须是 JSON 对象"})
    q = services.ask_question(user, tender, body.get("text"))
    return commit_json({"id": q.id, "text": q.text, "asked_at": isoformat(q.asked_at), "status": q.status}, 201)


@bp.get("/tenders/<int:tender_id>/questions")
@roles_required(Role.COLLECTIVE, Role.STAFF, Role.SUPERVISOR, Role.BIDDER)
@doc("答疑问题列表（不显示提问人）", tag="tenders")
def list_questions(tender_id: int):
    user = require_user()
    tender = _tender_for(tender_id)
    if not services.can_read_questions(tender, user):
        raise Forbidden("只有招标人、工作人员和已报名的投标人可以查看答疑", code="not_registered"
                        if user.role == Role.BIDDER else "forbidden")
    return jsonify({"items": [serialize.question_json(q) for q in services.questions_of(tender)]})


# ------------------------------------------------------------------ lots: registration, bids, opening

@bp.get("/lots/<int:lot_id>")
@doc("标段详情", auth=False, tag="tenders")
def get_lot(lot_id: int):
    lot = _lot_for(lot_id)
    out = serialize.lot_json(lot)
    out.update(tender_id=lot.tender_id, tender_code=lot.tender.code, server_time=isoformat(now()))
    if lot.publicity_starts_at is not None:  # published: the candidates, and once awarded the winner and notice
        out.update({k: v for k, v in _lot_result(lot).items() if k in ("candidates", "winner", "award_notice")})
    user = bearer_user()
    if user is not None and user.role == Role.BIDDER:
        reg = bidding.lot_registration(lot.id, user.id)
        bid = bidding.my_bid(user, lot.id)
        out["my_registration"] = _registration_json(reg) if reg else None
        out["my_bid"] = serialize.bid_receipt_json(bid) if bid else None
    return jsonify(out)


def _registration_json(reg) -> dict:
    from guarantees.services import security_ready

    return {"id": reg.id, "status": reg.status, "bidder_no": reg.bidder_no, "security_type": reg.security_type,
            "security_ready": security_ready(reg), "created_at": isoformat(reg.created_at)}


@bp.post("/lots/<int:lot_id>/registrations")
@roles_required(Role.BIDDER)
@doc("标段报名（投标保证金：电子保函或现金）", status=201, tag="tenders")
def register(lot_id: int):
    user = require_user()
    body = json_body()
    if not isinstance(body, dict):
        raise Invalid("请求体必须是 JSON 对象", fields={"body": "必须是 JSON 对象"})
    reg = bidding.register(user, lot_id, body.get("security"), ip=request.remote_addr)
    return commit_json({**_registration_json(reg), "lot_id": lot_id}, 201)


@bp.get("/lots/<int:lot_id>/registrations")
@roles_required(Role.STAFF, Role.COLLECTIVE, Role.SUPERVISOR)
@doc("标段报名列表（工作人员；招标人在投标截止后）", tag="tenders")
def list_registrations(lot_id: int):
    user = require_user()
    lot = services.get_lot(lot_id)
    if user.role == Role.COLLECTIVE and (user.id != lot.tender.owner_id or now() < lot.tender.bid_deadline):
        raise Forbidden("招标人在投标截止后才能查看报名名单", code="forbidden")
    items = []
    for reg in bidding.registrations_of(lot):
        items.append({**_registration_json(reg), "bidder": {"username": reg.bidder.username,
                                                            "name": serialize.org_name(reg.bidder)}})
    return jsonify({"items": items, "total": len(items)})


@bp.put("/lots/<int:lot_id>/bid")
@roles_required(Role.BIDDER)
@doc("递交或替换密封投标文件（投标截止前）", tag="tenders")
def put_bid(lot_id: int):
    user = require_user()
    bid = bidding.put_bid(user, lot_id, json_body())
    return commit_json(serialize.bid_receipt_json(bid))


@bp.get("/lots/<int:lot_id>/bid")
@roles_required(Role.BIDDER)
@doc("我的投标回执", tag="tenders")
def get_bid(lot_id: int):
    bid = bidding.my_bid(require_user(), lot_id)
    if bid is None:
        raise NotFound("您在该标段没有投标文件", code="not_found")
    out = serialize.bid_receipt_json(bid)
    if bid.status == "decrypted":
        out.update(price=to_str(bid.price), decrypted_at=isoformat(bid.decrypted_at))
    return jsonify(out)


@bp.delete("/lots/<int:lot_id>/bid")
@roles_required(Role.BIDDER)
@doc("撤回投标文件（投标截止前）", tag="tenders")
def delete_bid(lot_id: int):
    bid = bidding.withdraw_bid(require_user(), lot_id)
    return commit_json(serialize.bid_receipt_json(bid))


@bp.post("/lots/<int:lot_id>/bid/decrypt")
@roles_required(Role.BIDDER)
@doc("开标解密：提交本人投标文件的 32 字节密钥", tag="tenders")
def decrypt(lot_id: int):
    user = require_user()
    body = json_body()
    bid = bidding.decrypt(user, lot_id, body.get("key") if isinstance(body, dict) else None)
    return commit_json({"price": to_str(bid.price), "decrypted_at": isoformat(bid.decrypted_at)})


@bp.get("/lots/<int:lot_id>/opening")
@doc("开标大厅：解密进度与开标记录", auth=False, tag="tenders")
def opening(lot_id: int):
    lot = _lot_for(lot_id)
    user = bearer_user()
    revealed = services.prices_public(lot)
    allowed = revealed or (user is not None and (
        user.role in STAFF_READ or user.id == lot.tender.owner_id
        or bidding.lot_registration(lot.id, user.id) is not None))
    if not allowed:
        if user is None:
            from trading.errors import Unauthorized

            raise Unauthorized("开标前仅投标人、招标人和工作人员可查看，请先登录", code="not_authenticated")
        raise Forbidden("开标前仅投标人、招标人和工作人员可查看", code="forbidden")
    status = services.lot_status(lot)
    bids = []
    if status == "opening" or lot.opened_at is not None:  # names only once the lot opens (never if it did not)
        for bid in bidding.bids_of(lot):
            bids.append({"bidder_org": serialize.org_name(bid.bidder),
                         "price": to_str(bid.price) if revealed else None, "decrypted": bid.status == "decrypted",
                         "decrypted_at": isoformat(bid.decrypted_at), "status": bid.status,
                         "rejection": bid.rejection if revealed else None, "receipt": bid.receipt})
    return jsonify({"status": status, "bids": bids, "server_time": isoformat(now()),
                    "bid_deadline": isoformat(lot.tender.bid_deadline), "decrypt_ends_at": isoformat(lot.decrypt_ends_at),
                    "budget": to_str(lot.budget) if revealed else None,
                    "record": lot.opening_record, "record_sha256": lot.opening_record_sha256})


# ------------------------------------------------------------------ committee and scores

def _member_json(m) -> dict:
    return {"username": m.user.username, "name": m.user.display_name or m.user.username,
            "organisation": serialize.org_name(m.user)}


@bp.post("/lots/<int:lot_id>/committee")
@roles_required(Role.STAFF)
@doc("随机抽取评标委员会", status=201, tag="tenders")
def draw(lot_id: int):
    members, info = evaluation.draw_committee(require_user(), lot_id)
    return commit_json({"members": [_member_json(m) for m in members],
                    "draw": {"seed": info["seed"], "pool_size": info["pool_size"], "pool": info["pool"],
                             "excluded_orgs": info["excluded_orgs"]}}, 201)


@bp.get("/lots/<int:lot_id>/committee")
@roles_required(Role.STAFF, Role.COLLECTIVE, Role.EXPERT, Role.SUPERVISOR)
@doc("评标委员会名单", tag="tenders")
def committee(lot_id: int):
    user = require_user()
    lot = services.get_lot(lot_id)
    if user.role not in STAFF_READ and user.id != lot.tender.owner_id and not evaluation.is_member(user, lot):
        raise Forbidden("无权查看评标委员会名单", code="forbidden")
    return jsonify({"members": [_member_json(m) | {"submitted": m.submitted_at is not None}
                                for m in evaluation.members_of(lot)], "seed": lot.draw_seed})


def _my_sheets_json(lot, member) -> dict:
    sheets = {s.bid_id: s for s in evaluation.sheets_of(member)}
    bids = []
    for bid in evaluation.valid_bids(lot):
        s = sheets.get(bid.id)
        bids.append({"bidder_org": serialize.org_name(bid.bidder), "price": to_str(bid.price),
                     "points": s.points if s else {}, "reject": s.reject if s else False,
                     "reject_reason": s.reject_reason if s else None})
    return {"criteria": lot.criteria, "price_points": to_str(lot.price_points), "bids": bids,
            "submitted": member.submitted_at is not None, "submitted_at": isoformat(member.submitted_at)}


@bp.get("/lots/<int:lot_id>/scores")
@roles_required(Role.EXPERT)
@doc("我的评分表（仅本人）", tag="tenders")
def my_scores(lot_id: int):
    user = require_user()
    lot = services.get_lot(lot_id)
    return jsonify(_my_sheets_json(lot, evaluation.membership(user, lot)))


@bp.put("/lots/<int:lot_id>/scores")
@roles_required(Role.EXPERT)
@doc("保存评分表（草稿）", tag="tenders")
def put_scores(lot_id: int):
    user = require_user()
    evaluation.put_scores(user, lot_id, json_body())
    lot = services.get_lot(lot_id)
    return commit_json(_my_sheets_json(lot, evaluation.membership(user, lot)))


@bp.post("/lots/<int:lot_id>/scores/submit")
@roles_required(Role.EXPERT)
@doc("提交评分（最终）", tag="tenders")
def submit_scores(lot_id: int):
    user = require_user()
    evaluation.submit_scores(user, lot_id)
    lot = services.get_lot(lot_id)
    return commit_json(_my_sheets_json(lot, evaluation.membership(user, lot)) | {"lot_status": lot.status})


@bp.get("/lots/<int:lot_id>/evaluation")
@roles_required(Role.STAFF, Role.COLLECTIVE, Role.EXPERT, Role.BIDDER, Role.SUPERVISOR)
@doc("评标结果与排名", tag="tenders")
def get_evaluation(lot_id: int):
    user = require_user()
    lot = services.get_lot(lot_id)
    if not evaluation.can_see_evaluation(user, lot):
        raise Forbidden("无权查看评标结果（投标人在中标候选人公示开始后可见）", code="forbidden")
    if lot.evaluated_at is None:
        from trading.errors import Conflict

        raise Conflict("评标尚未完成", code="not_evaluated")
    return jsonify({"ranking": evaluation.ranking_rows(lot), "members": evaluation.member_sheets(lot),
                    "status": services.lot_status(lot), "failure_reason": lot.failure_reason,
                    "candidates": evaluation.candidates_rows(lot),
                    "report_url": f"/api/v1/lots/{lot.id}/evaluation/report.pdf"})


@bp.get("/lots/<int:lot_id>/evaluation/report.pdf")
@roles_required(Role.STAFF, Role.COLLECTIVE, Role.EXPERT, Role.BIDDER, Role.SUPERVISOR)
@doc("评标报告（签章 PDF）", tag="tenders")
def evaluation_report(lot_id: int):
    user = require_user()
    lot = services.get_lot(lot_id)
    if not evaluation.can_see_evaluation(user, lot):
        raise Forbidden("无权查看评标报告", code="forbidden")
    paper = evaluation.evaluation_report(user.username, lot_id)
    db.session.commit()
    return Response(paper.pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename={paper.number}.pdf"})


# ------------------------------------------------------------------ publicity, objections, award

def _lot_result(lot) -> dict:
    out = serialize.lot_json(lot)
    out["candidates"] = evaluation.candidates_rows(lot)
    notice = papers.latest(lot, "award_notice")
    if notice is not None and lot.status == "awarded":
        out["award_notice"] = {"number": notice.number, "url": papers.verify_path(notice.number),
                               "pdf_url": papers.verify_path(notice.number) + "/pdf"}
        bid = db.session.get(TenderBid, lot.winner_bid_id)
        out["winner"] = {"bidder_org": serialize.org_name(bid.bidder) if bid else None,
                         "registration_id": bid.registration_id if bid else None}  # name it in a winner-default
    from tenders.contracts import contract_json  # 合同签订 (tenders/contracts.py): null until recorded

    out["contract"] = contract_json(lot)
    return out


@bp.post("/lots/<int:lot_id>/publicize")
@roles_required(Role.STAFF)
@doc("中标候选人公示", tag="tenders")
def publicize(lot_id: int):
    lot = evaluation.publicize(require_user(), lot_id)
    return commit_json(_lot_result(lot))


@bp.post("/lots/<int:lot_id>/objections")
@roles_required(Role.BIDDER)
@doc("对中标候选人提出异议", status=201, tag="tenders")
def object_(lot_id: int):
    obj = evaluation.lodge_objection(require_user(), lot_id, _reason())
    return commit_json({"id": obj.id, "status": obj.status, "lot_id": lot_id, "created_at": isoformat(obj.created_at)},
                   201)


@bp.get("/lots/<int:lot_id>/objections")
@roles_required(Role.STAFF, Role.SUPERVISOR)
@doc("标段异议列表", tag="tenders")
def list_objections(lot_id: int):
    from certificates.models import Objection
    from tenders.models import LotObjection

    rows = db.session.execute(select(Objection).join(LotObjection, LotObjection.objection_id == Objection.id)
                              .where(LotObjection.lot_id == lot_id).order_by(Objection.id)).scalars()
    return jsonify({"items": [{"id": o.id, "status": o.status, "grounds": o.grounds, "name": o.name,
                               "created_at": isoformat(o.created_at), "resolution": o.resolution}
                              for o in rows]})


@bp.post("/lots/<int:lot_id>/award")
@roles_required(Role.STAFF)
@doc("确定中标人并签发中标通知书", tag="tenders")
def award(lot_id: int):
    lot = evaluation.award(require_user(), lot_id)
    return commit_json(_lot_result(lot))


@bp.post("/lots/<int:lot_id>/winner-default")
@roles_required(Role.STAFF)
@doc("中标人违约：递补下一中标候选人并向保函索赔", tag="tenders")
def winner_default(lot_id: int):
    body = json_body()
    named = body.get("registration_id") if isinstance(body, dict) else None
    if named is not None and (isinstance(named, bool) or not isinstance(named, int) or not 0 < named < 2**31):
        raise Invalid("registration_id 须为中标人的投标登记编号（正整数）", fields={"registration_id": "须为正整数"})
    lot = evaluation.winner_default(require_user(), lot_id, _reason(), registration_id=named)
    return commit_json(_lot_result(lot))


@bp.get("/tender-papers/<number>")
@doc("中标通知书 / 评标报告的签名事实", auth=False, tag="tenders")
def paper(number: str):
    found = papers.get_paper(number)
    if found.kind == "evaluation_report":
        evaluation_lot = services.get_lot(found.lot_id)
        if not evaluation.can_see_evaluation(bearer_user(), evaluation_lot):
            raise NotFound("文书不存在", code="not_found")
    return jsonify(papers.paper_json(found))


@bp.get("/tender-papers/<number>/pdf")
@doc("中标通知书 / 评标报告 PDF", auth=False, tag="tenders")
def paper_pdf(number: str):
    found = papers.get_paper(number)
    if found.kind == "evaluation_report" and not evaluation.can_see_evaluation(
            bearer_user(), services.get_lot(found.lot_id)):
        raise NotFound("文书不存在", code="not_found")
    return Response(found.pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename={found.number}.pdf"})


# ------------------------------------------------------------------ notices and the expert pool

@bp.get("/me/tender-notices")
@doc("我的招投标通知", tag="tenders")
def my_notices():
    user = require_user()
    items = services.notices_for(user, unread_only=request.args.get("unread") == "1")
    return jsonify({"items": [serialize.notice_json(n) for n in items],
                    "unread": sum(1 for n in items if n.read_at is None)})


@bp.get("/experts")
@roles_required(Role.STAFF, Role.SUPERVISOR)
@doc("评标专家库", tag="tenders")
def experts():
    from tenders import pool

    return jsonify({"items": [pool.expert_json(p) for p in pool.list_experts(request.args.get("speciality"))]})


@bp.post("/experts/<username>/suspend")
@roles_required(Role.STAFF)
@doc("暂停专家（不再被抽取）", tag="tenders")
def suspend_expert(username: str):
    from tenders import pool

    profile = pool.suspend(require_user().username, username, _reason())
    return commit_json(pool.expert_json(profile))


@bp.post("/experts/<username>/resume")
@roles_required(Role.STAFF)
@doc("恢复专家", tag="tenders")
def resume_expert(username: str):
    from tenders import pool

    profile = pool.resume(require_user().username, username)
    return commit_json(pool.expert_json(profile))
