"""Every HTML form of the app (every POST route outside /api/) refuses a post without a CSRF token: 400, the
Chinese CSRF message, and nothing changed in the database — whoever is logged in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from werkzeug.routing import IntegerConverter

from trading.extensions import db as _db


def _html_post_rules(app):
    rules = [r for r in app.url_map.iter_rules()
             if "POST" in (r.methods or ()) and not r.rule.startswith("/api/") and r.endpoint != "static"]
    assert len(rules) >= 15, [r.rule for r in rules]  # the discovery found the app's forms
    return rules


def _url(rule, pid: int) -> str:
    args = {}
    for name in rule.arguments:
        args[name] = pid if isinstance(rule._converters[name], IntegerConverter) else "x1"
    from flask import url_for

    return url_for(rule.endpoint, **args)


def _snapshot():
    counts = {}
    for t in _db.metadata.sorted_tables:
        counts[t.name] = _db.session.execute(select(func.count()).select_from(t)).scalar()
    counts["audit_seq"] = _db.session.execute(text("SELECT coalesce(sum(seq), 0) FROM audit_chains")).scalar()
    _db.session.remove()
    return counts


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize("role", [None, "bidder", "collective", "staff", "guarantor"])
def test_every_form_refuses_a_post_without_token(app, announced, factory, csrf_on, role):
    from trading.accounts.models import User

    client = app.test_client()
    pid = announced["id"]
    if role:
        username = {"collective": announced["owner"], "staff": announced["staff"]}.get(role) \
            or factory.user(role, f"csrf_{role}")[1]
        with app.app_context():
            uid = _db.session.execute(select(User.id).where(User.username == username)).scalar_one()
            _db.session.remove()
        with client.session_transaction() as s:
            s["_user_id"] = str(uid)
            s["_fresh"] = True
    with app.test_request_context():
        rules = [(r.rule, _url(r, pid)) for r in _html_post_rules(app)]
    with app.app_context():
        before = _snapshot()
    failures = []
    for rule, url in rules:
        for data in ({"reason": "x", "amount": "900", "password": "x"}, {"csrf_token": "forged", "reason": "x"}):
            r = client.post(url, data=data)
            body = r.get_data(as_text=True)
            if r.status_code != 400 or "CSRF" not in body:
                failures.append((rule, r.status_code))
    assert not failures, failures
    with app.app_context():
        assert _snapshot() == before
