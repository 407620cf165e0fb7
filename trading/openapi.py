"""OpenAPI 3 for /api/v1, built from the routes and the same pydantic models that parse the bodies."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from pydantic import BaseModel

from trading.schemas import ErrorOut


def doc(summary: str, *, body: type[BaseModel] | None = None, response: type[BaseModel] | None = None,
        status: int = 200, tag: str | None = None, auth: bool = True, raw_body: str | None = None) -> Callable:
    """Attach OpenAPI facts to an API view."""

    def deco(fn: Callable) -> Callable:
        fn._openapi = {"summary": summary, "body": body, "response": response, "status": status,  # type: ignore
                       "tag": tag, "auth": auth, "raw_body": raw_body}
        return fn

    return deco


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
        params = [{"name": n, "in": "path", "required": True,
                   "schema": {"type": "integer" if f"<int:{n}>" in rule.rule else "string"}}
                  for n in re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule.rule)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            meta = meta or {"summary": rule.endpoint, "body": None, "response": None, "status": 200,
                            "tag": None, "auth": False, "raw_body": None}
            op: dict = {"summary": meta["summary"], "operationId": f"{rule.endpoint}_{method.lower()}",
                        "tags": [meta["tag"] or rule.endpoint.split(".")[0]]}
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
            responses = {str(meta["status"]): ok}
            for code in ("400", "401", "403", "404", "409", "422"):
                responses[code] = {"description": "错误", "content": {"application/json": {"schema": error_ref}}}
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
