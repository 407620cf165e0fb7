"""Errors: JSON envelopes under /api, Chinese pages elsewhere; a failed request always rolls back."""

from __future__ import annotations

import logging

from flask import Flask, flash, redirect, render_template, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from trading.apiutil import error_response, jsonify
from trading.errors import DomainError
from trading.extensions import db
from trading.redirects import back

log = logging.getLogger("tradehall")

HTTP_MESSAGES = {
    400: ("bad_request", "请求无效"),
    401: ("not_authenticated", "请先登录"),
    403: ("forbidden", "无权访问"),
    404: ("not_found", "请求的资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "上传内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    429: ("rate_limited", "请求过于频繁，请稍后再试"),
    500: ("internal_error", "服务器内部错误，请稍后再试"),
    503: ("unavailable", "服务暂时不可用，请稍后再试"),
}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        db.session.rollback()
        if _is_api():
            return error_response(err)
        flash(err.message, "danger")
        return redirect(back("/"))

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        db.session.rollback()
        code = err.code or 500
        key, message = HTTP_MESSAGES.get(code, ("error", err.description or "请求错误"))
        if code == 400 and "CSRF" in (err.description or ""):
            key, message = "csrf_failed", "表单已过期或缺少安全令牌（CSRF），请刷新页面后重试"
        # werkzeug's own headers stay: a 405 lists the methods the resource takes (Allow, RFC 9110 §15.5.6),
        # a 429 may say when to retry
        headers = {k: v for k, v in err.get_headers() if k.lower() != "content-type"}
        if _is_api():
            return jsonify({"error": {"code": key, "message": message}}, code, headers=headers)
        return render_template("error.html", code=code, message=message), code, headers

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def db_down(err: Exception):
        db.session.rollback()
        log.error("database error: %s", type(err).__name__)
        message = "数据库暂时不可用，请稍后重试"
        if _is_api():
            return jsonify({"error": {"code": "unavailable", "message": message}}, 503)
        return render_template("error.html", code=503, message=message), 503

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        db.session.rollback()
        log.exception("unhandled error")
        key, message = HTTP_MESSAGES[500]
        if _is_api():
            return jsonify({"error": {"code": key, "message": message}}, 500)
        return render_template("error.html", code=500, message=message), 500
