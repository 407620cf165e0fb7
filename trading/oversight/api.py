"""Oversight's JSON API: deadlines (红黄牌) and ratings (docs/api.md "Credit, supervision, notifications, ratings")."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from pydantic import Field

from trading.accounts.guard import require_user, roles_required
from trading.accounts.models import Role
from trading.apiutil import commit_json, jsonify, parse_body
from trading.openapi import doc
from trading.oversight import deadlines, ratings
from trading.schemas import Body

api = Blueprint("oversight_api", __name__, url_prefix="/api/v1")


@api.get("/deadlines")
@roles_required(Role.STAFF, Role.SUPERVISOR)
@doc("办理时限与红黄牌（工作人员、行政监督）", tag="oversight")
def list_deadlines():
    return jsonify({"items": [deadlines.serialize(i) for i in deadlines.open_items()]})


class RatingIn(Body):
    stars: Any = None
    comment: str | None = Field(default=None, max_length=2000)


@api.post("/projects/<int:project_id>/rating")
@roles_required(Role.BIDDER, Role.COLLECTIVE)
@doc("交易完成后评价交易中心的服务（1–5 星，一次）", body=RatingIn, status=201, tag="oversight")
def rate_project(project_id: int):
    body = parse_body(RatingIn)
    r = ratings.rate_project(require_user(), project_id, body.stars, body.comment)
    return commit_json(ratings.serialize(r), 201)


@api.post("/lots/<int:lot_id>/rating")
@roles_required(Role.BIDDER, Role.COLLECTIVE)
@doc("标段确定中标人后评价交易中心的服务（1–5 星，一次）", body=RatingIn, status=201, tag="oversight")
def rate_lot(lot_id: int):
    body = parse_body(RatingIn)
    r = ratings.rate_lot(require_user(), lot_id, body.stars, body.comment)
    return commit_json(ratings.serialize(r), 201)


class AnswerIn(Body):
    answer: str = Field(min_length=1, max_length=5000)


@api.post("/ratings/<int:rating_id>/answer")
@roles_required(Role.STAFF)
@doc("答复差评（差评整改）", body=AnswerIn, tag="oversight")
def answer_rating(rating_id: int):
    body = parse_body(AnswerIn)
    r = ratings.answer(rating_id, body.answer, require_user())
    return commit_json(ratings.serialize(r))
