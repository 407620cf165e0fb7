"""Oversight's JSON API: deadlines (红黄牌) and ratings (docs/api.md "Credit, supervision, notifications, ratings")."""

from __future__ import annotations

from flask import Blueprint

from trading.accounts.guard import roles_required
from trading.accounts.models import Role
from trading.apiutil import jsonify
from trading.openapi import doc
from trading.oversight import deadlines

api = Blueprint("oversight_api", __name__, url_prefix="/api/v1")


@api.get("/deadlines")
@roles_required(Role.STAFF, Role.SUPERVISOR)
@doc("办理时限与红黄牌（工作人员、行政监督）", tag="oversight")
def list_deadlines():
    return jsonify({"items": [deadlines.serialize(i) for i in deadlines.open_items()]})
