"""OpenAPI 3 for /api/v1, built from the routes and the same pydantic models that parse the bodies."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from pydantic import BaseModel

from trading.apiutil import MAX_PAGE, MAX_SEQ
from trading.schemas import ErrorOut
from trading.security import RATE_LIMITS


def doc(summary: str, *, body: type[BaseModel] | None = None, response: type[BaseModel] | None = None,
        status: int = 200, tag: str | None = None, auth: bool = True, raw_body: str | None = None,
        query: list[dict] | None = None, responses: dict[str, str] | None = None) -> Callable:
    """Attach OpenAPI facts to an API view: `query` its query parameters (with their bounds), `responses` any
    status beyond the success and the common errors (e.g. 304)."""

    def deco(fn: Callable) -> Callable:
        fn._openapi = {"summary": summary, "body": body, "response": response, "status": status,  # type: ignore
                       "tag": tag, "auth": auth, "raw_body": raw_body, "query": query or [],
                       "responses": responses or {}}
        return fn

    return deco


def query_param(name: str, schema: dict, description: str = "", required: bool = False) -> dict:
    out = {"name": name, "in": "query", "required": required, "schema": schema}
    if description:
        out["description"] = description
    return out


# the bounds apiutil.int_arg and clock enforce, stated so that clients (and schemathesis) keep to them
PAGE_QUERY = [query_param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "页码，从 1 开始"),
              query_param("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "每页条数")]
SINCE_QUERY = [query_param("since", {"type": "integer", "minimum": 0, "maximum": MAX_SEQ}, "只返回序号大于此值的出价")]
# YYYY-MM-DD from 2000 to 2099, or empty (= the default)
DATE_SCHEMA = {"type": "string", "pattern": r"^(20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))?$"}
PERIOD_QUERY = [query_param("from", DATE_SCHEMA, "起始日期（北京时间，含），2000-01-01 至 2099-12-31；默认截止日期所在年的 1 月 1 日"),
                query_param("to", DATE_SCHEMA, "截止日期（北京时间，含），2000-01-01 至 2099-12-31；默认今天")]


def flag_query(name: str, description: str) -> dict:
    """A yes/no switch: `1` or `true` turns it on, anything else leaves it off."""
    return query_param(name, {"type": "string"}, description + "（1 或 true 为是）")


def text_query(*names: str) -> list[dict]:
    return [query_param(n, {"type": "string"}) for n in names]


# errors any operation may answer (API.md "Errors"); 405 carries Allow
COMMON_ERRORS = {"400": "请求无效（如 JSON 格式错误）", "401": "未登录或令牌无效", "403": "角色无权或非本人",
                 "404": "不存在", "405": "不支持该请求方法（Allow 头列出支持的方法）",
                 "409": "与当前状态冲突", "422": "字段无效（fields 列出每个字段）"}


def _schema(model: type[BaseModel], components: dict) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def build(app: Flask) -> dict:
    components: dict = {}
    error_ref = _schema(ErrorOut, components)
    paths: dict = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "_openapi", None) or getattr(getattr(view, "__wrapped__", None), "_openapi", None)
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        path_params = [{"name": n, "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ} if f"<int:{n}>" in rule.rule
                        else {"type": "string"}}
                       for n in re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule.rule)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            meta = meta or {"summary": rule.endpoint, "body": None, "response": None, "status": 200,
                            "tag": None, "auth": False, "raw_body": None, "query": [], "responses": {}}
            op: dict = {"summary": meta["summary"], "operationId": f"{rule.endpoint}_{method.lower()}",
                        "tags": [meta["tag"] or rule.endpoint.split(".")[0]]}
            params = path_params + meta.get("query", [])
            if params:
                op["parameters"] = params
            if meta["body"] is not None and method in ("POST", "PUT", "PATCH"):
                op["requestBody"] = {"required": True,
                                     "content": {"application/json": {"schema": _schema(meta["body"], components)}}}
            elif meta["raw_body"] and method == "POST":
                op["requestBody"] = {"required": True, "content": {meta["raw_body"]: {
                    "schema": {"type": "string", "format": "binary"}}}}
            ok: dict = {"description": "成功"}
            if meta["response"] is not None:
                ok["content"] = {"application/json": {"schema": _schema(meta["response"], components)}}
            else:
                ok["content"] = {"application/json": {"schema": {"type": "object"}}}
            responses: dict = {str(meta["status"]): ok}
            for code, text in meta.get("responses", {}).items():
                responses[code] = {"description": text}
            errors = dict(COMMON_ERRORS)
            if meta["raw_body"]:
                errors.update({"413": "上传内容过大", "415": "请求体的内容类型不受支持"})
            if rule.endpoint in RATE_LIMITS:
                errors["429"] = "请求过于频繁（Retry-After 头给出等待秒数）"
            for code, text in errors.items():
                responses[code] = {"description": text, "content": {"application/json": {"schema": error_ref}}}
            op["responses"] = responses
            if meta["auth"]:
                op["security"] = [{"bearer": []}]
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tradehall API", "version": "1.0.0",
                 "description": "县级公共资源交易与农村产权流转交易平台 JSON API v1"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
