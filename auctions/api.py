"""JSON API: registrations, bidding, the live auction, results (docs/api.md "Registrations", "Bidding")."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request, session
from pydantic import BaseModel

from auctions import bidstore, events, room, sealing, serialize, services
from auctions import registrations as regs
from trading.accounts.guard import (
    bearer_user,
    reads_as_staff,
    require_principal,
    require_user,
    roles_required,
)
from trading.accounts.models import Role, User
from trading.apiutil import MAX_SEQ, commit_json, int_arg, json_body, jsonify, page_args, parse_body
from trading.clock import isoformat, now
from trading.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from trading.extensions import db
from trading.models import IdempotencyKey
from trading.money import MoneyError, parse_amount, to_str
from trading.openapi import PAGE_QUERY, SINCE_QUERY, doc, text_query
from trading.projects.services import get_project, visible_project
from trading.schemas import Body, Id, Page, ReasonIn

bp = Blueprint("auctions_api", __name__, url_prefix="/api/v1")


class RegistrationIn(Body):
    security: dict


class RegistrationOut(BaseModel):
    id: int
    status: str
    bidder_no: str


class BidIn(Body):
    amount: str


class BidOut(BaseModel):
    seq: int
    amount: str
    current_price: str | None
    ends_at: str
    server_time: str


class DefaultIn(ReasonIn):
    award_next: bool = False
    registration_id: Id  # the defaulting winner's registration: a repeat then answers the first result


def _client_ip() -> str | None:
    return request.remote_addr


@bp.post("/projects/<int:project_id>/registrations")
@roles_required(Role.BIDDER)
@doc("报名并提交竞买保证（电子保函或现金保证金）", body=RegistrationIn, response=RegistrationOut, status=201,
     tag="registrations")
def register(project_id: int):
    body = json_body()
    if not isinstance(body, dict):
        raise Invalid("请求体必须是 JSON 对象", fields={"body": "必须是 JSON 对象"})
    reg = regs.register(require_user(), project_id, body.get("security"), ip=_client_ip(),
                        user_agent=request.headers.get("User-Agent"))
    return commit_json(serialize.registration_json(reg), 201)


@bp.get("/projects/<int:project_id>/registrations")
@roles_required(Role.STAFF, Role.COLLECTIVE)
@doc("项目报名列表（工作人员；出让方在竞价结束后）", response=Page, tag="registrations",
     query=[*text_query("status"), *PAGE_QUERY])
def list_registrations(project_id: int):
    user = require_user()
    project = get_project(project_id)
    if not regs.can_list(user, project):
        raise Forbidden("竞价结束前只有交易中心工作人员可以查看报名情况", code="forbidden")
    page, per_page = page_args()
    rows = regs.list_for_project(project, request.args.get("status") or None)
    items = [serialize.registration_json(r, with_bidder=True) for r in rows[(page - 1) * per_page: page * per_page]]
    return jsonify({"items": items, "total": len(rows), "page": page})


@bp.get("/me/registrations")
@roles_required(Role.BIDDER)
@doc("我的报名", response=Page, tag="registrations")
def my_registrations():
    rows = regs.list_for_bidder(require_user())
    return jsonify({"items": [serialize.registration_json(r) for r in rows], "total": len(rows), "page": 1})


def _own_or_staff(reg, user: User) -> None:
    if not reads_as_staff(user) and reg.bidder_id != user.id:
        raise Forbidden("无权查看他人的报名", code="forbidden")


@bp.get("/registrations/<int:registration_id>")
@roles_required(Role.BIDDER, Role.STAFF)
@doc("报名详情", tag="registrations")
def get_registration(registration_id: int):
    user = require_user()
    reg = regs.get_registration(registration_id)
    _own_or_staff(reg, user)
    return jsonify(serialize.registration_json(reg, with_bidder=reads_as_staff(user)))


@bp.post("/registrations/<int:registration_id>/approve")
@roles_required(Role.STAFF)
@doc("资格审核通过", tag="registrations")
def approve(registration_id: int):
    reg = regs.approve(require_user(), regs.get_registration(registration_id))
    return commit_json(serialize.registration_json(reg, with_bidder=True))


@bp.post("/registrations/<int:registration_id>/reject")
@roles_required(Role.STAFF)
@doc("资格审核不通过", body=ReasonIn, tag="registrations")
def reject(registration_id: int):
    body = parse_body(ReasonIn)
    reg = regs.reject(require_user(), regs.get_registration(registration_id), body.reason)
    return commit_json(serialize.registration_json(reg, with_bidder=True))


@bp.post("/registrations/<int:registration_id>/confirm-deposit")
@roles_required(Role.STAFF)
@doc("确认保证金到账", tag="registrations")
def confirm_deposit(registration_id: int):
    reg = regs.confirm_deposit(require_user(), regs.get_registration(registration_id))
    return commit_json(serialize.registration_json(reg, with_bidder=True))


@bp.post("/registrations/<int:registration_id>/withdraw")
@roles_required(Role.BIDDER)
@doc("撤回报名（报名截止前）", tag="registrations")
def withdraw(registration_id: int):
    reg = regs.withdraw(require_user(), regs.get_registration(registration_id))
    return commit_json(serialize.registration_json(reg))


def parse_bid_amount(body: object):
    if not isinstance(body, dict) or "amount" not in body:
        raise Invalid("请填写报价金额 amount", code="invalid_amount", fields={"amount": "必填项"})
    try:
        return parse_amount(body["amount"], field="报价")
    except MoneyError as exc:
        raise Invalid(str(exc), code="invalid_amount", fields={"amount": str(exc)}) from None


def _end_unchanged() -> None:
    """End a bid transaction that only read (the auction under its lock, the bidder, an idempotency key) and
    wrote nothing: COMMIT and ROLLBACK are then the same for the database, and COMMIT releases the row lock
    while keeping the connection's prepared statements, which psycopg discards on every ROLLBACK (on the
    busiest endpoint, where most bids in a hot auction are refused as too low, that is PostgreSQL planning
    every statement again). With ORM changes pending, which this path never makes, it rolls back."""
    if db.session.new or db.session.dirty or db.session.deleted:
        db.session.rollback()
    else:
        db.session.commit()


def bid_response(project_id: int, user: Any, body: object, idem_key: str | None) -> tuple[int, dict]:
    """The bid use case at the request boundary, shared by the API and the live room's form.

    `user` needs `id` and `username` (an ORM user or a token's Principal)."""
    amount = parse_bid_amount(body)
    if idem_key and len(idem_key) > 128:
        raise Invalid("Idempotency-Key 过长（最多 128 个字符）", fields={"Idempotency-Key": "过长"})
    locked = bidstore.lock(project_id, user.id)  # serialises replays of one key with the bid itself
    request_hash = None
    if idem_key:
        request_hash = sealing.request_digest(f"{user.id}|{project_id}|".encode()
                                              + json.dumps(body, sort_keys=True, default=str).encode())
        prior = db.session.query(IdempotencyKey).filter_by(user_id=user.id, key=idem_key).one_or_none()
        if prior is not None:
            if prior.request_hash != request_hash:
                _end_unchanged()
                raise Conflict("该 Idempotency-Key 已用于另一笔不同的报价", code="idempotency_key_reused")
            _end_unchanged()
            first = json.loads(prior.body)
            if first.get("sealed"):  # stored without its amount: the same body carries the same amount
                first["amount"] = to_str(amount)
            return prior.status_code, first
    if locked.auction.method == "sealed":
        row = services.submit_sealed(project_id, user, amount)
        out = {"seq": row.id, "amount": to_str(amount), "current_price": None, "sealed": True,
               "revision": row.revision, "ends_at": isoformat(locked.auction.ends_at),
               "server_time": isoformat(now())}
    else:
        try:
            bid = services.place_bid(project_id, user, amount, ip=_client_ip(), locked=locked)
        except DomainError:
            _end_unchanged()  # a refused bid: the rules said no before anything was written
            raise
        out = {"seq": bid.seq, "amount": to_str(bid.amount), "current_price": to_str(bid.current_price),
               "ends_at": isoformat(bid.ends_at), "priority": bid.is_priority, "server_time": isoformat(now())}
    if idem_key:  # a sealed amount is never stored in clear: the replay puts it back from its own body
        stored = {k: v for k, v in out.items() if k != "amount"} if out.get("sealed") else out
        db.session.add(IdempotencyKey(user_id=user.id, key=idem_key, request_hash=request_hash, status_code=201,
                                      body=json.dumps(stored, ensure_ascii=False)))
    db.session.commit()
    return 201, out


@bp.post("/projects/<int:project_id>/bids")
@roles_required(Role.BIDDER, principal=True)
@doc("出价（网络竞价）或提交/替换密封报价；支持 Idempotency-Key", body=BidIn, response=BidOut, status=201,
     tag="bidding")
def place_bid(project_id: int):
    status, out = bid_response(project_id, require_principal(), json_body(),
                               request.headers.get("Idempotency-Key"))
    return jsonify(out, status)


def published_project(project_id: int, viewer: User | None):
    """The project, when the visibility rule lets `viewer` see it (as GET /projects/{id})."""
    return visible_project(project_id, viewer)


def _since() -> int | None:
    return int_arg("since", None, 0, MAX_SEQ)


def _anonymous() -> bool:
    """No token and no signed-in session: the body is the same for every such viewer."""
    return ("Authorization" not in request.headers and "remember_token" not in request.cookies
            and "_user_id" not in session)


def _etag_matches(etag: str) -> bool:
    return etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]


@bp.get("/projects/<int:project_id>/auction")
@doc("竞价实况（公开；ETag/If-None-Match，?since=seq）", auth=False, tag="bidding", query=SINCE_QUERY,
     responses={"304": "未变化（If-None-Match 与 ETag 相同）"})
def auction(project_id: int):
    since = _since()
    if _anonymous():
        # anonymous (every watcher): one indexed read of the room's version; 304 before anything else;
        # otherwise the JSON rendered once per version in this process (auctions.room)
        v = room.version(project_id)
        if v is not None and v.public:
            etag = v.etag(since)
            headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Authorization, Cookie",
                       "X-Server-Time": isoformat(now()) or ""}
            if _etag_matches(etag):
                return Response(status=304, headers=headers)
            return Response(room.with_server_time(room.body(v, since)), mimetype="application/json",
                            headers=headers)
    viewer = bearer_user()
    project = published_project(project_id, viewer)
    etag = serialize.auction_etag(project, viewer, since)
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Authorization, Cookie",
               "X-Server-Time": isoformat(now()) or ""}
    if _etag_matches(etag):
        return Response(status=304, headers=headers)
    return jsonify(serialize.auction_json(project, viewer, since), headers=headers)


@bp.get("/projects/<int:project_id>/auction/events")
@doc("竞价实况推送（server-sent events：事件 room 即 GET …/auction 的 JSON，id 为出价序号；Last-Event-ID 续传；"
     "每 15 秒注释保活）", auth=False, tag="bidding", media="text/event-stream")
def auction_events(project_id: int):
    viewer = None if _anonymous() else bearer_user()
    published_project(project_id, viewer)  # 404 / 403 for a draft, as GET …/auction
    last = request.headers.get("Last-Event-ID") or request.args.get("lastEventId") or ""
    since = int(last) if last.strip().isdigit() else None
    v = room.version(project_id)
    assert v is not None
    personal = None
    if viewer is None:
        first = room.body(v, since)
    else:  # their own standing in every event, as GET …/auction shows it to them
        app, uid = current_app._get_current_object(), viewer.id

        def render(_v: room.Version, since: int | None = None) -> bytes:
            with app.app_context():
                try:
                    return room.personal_body(project_id, db.session.get(User, uid), since)
                finally:
                    db.session.remove()

        personal = render
        first = room.personal_body(project_id, viewer, since)
    db.session.remove()  # give the connection back before the stream waits
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(events.stream(current_app._get_current_object(), project_id, first, v, personal),
                    mimetype="text/event-stream", headers=headers)


@bp.get("/projects/<int:project_id>/bids")
@doc("完整出价记录（公开，按时间先后）", response=Page, auth=False, tag="bidding", query=PAGE_QUERY)
def bids(project_id: int):
    page, per_page = page_args()
    return jsonify(serialize.bids_page(published_project(project_id, bearer_user()), page, per_page))


@bp.get("/projects/<int:project_id>/result")
@doc("竞价结果（结束后公开）", auth=False, tag="bidding")
def result(project_id: int):
    return jsonify(serialize.result_json(published_project(project_id, bearer_user())))


@bp.post("/projects/<int:project_id>/winner-default")
@roles_required(Role.STAFF)
@doc("认定成交人违约：没收保证金/索赔保函，递补或流拍", body=DefaultIn, tag="bidding")
def winner_default(project_id: int):
    body = parse_body(DefaultIn)
    project = get_project(project_id)
    if project is None:
        raise NotFound("项目不存在", code="not_found")
    services.winner_default(project, reason=body.reason, actor=require_user().username, award_next=body.award_next,
                            registration_id=body.registration_id)
    return commit_json(serialize.result_json(project))
