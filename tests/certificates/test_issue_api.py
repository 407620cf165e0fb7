"""Issuing: every refusal code, the 201 answer, the facts, atomicity, timing."""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import timedelta

from sqlalchemy import func, select

from tests.certificates.conftest import make_awarded
from trading import clock


def test_issue_returns_number_urls_and_certifies(issued, api, app):
    # sequence, then a random token: the public cannot walk the numbers (issue 12, finding 6)
    assert re.fullmatch(rf"NC-{clock.to_beijing(clock.now()).year}-C0001-[0-9A-Z]{{10}}", issued["number"])
    assert issued["number_text"].startswith("鹿农交鉴〔") and issued["number_text"].endswith("0001号")
    assert issued["url"].endswith(f"/certificates/{issued['number']}")
    assert issued["pdf_url"].endswith(f"/api/v1/certificates/{issued['number']}/pdf")
    p = api.get(f"/api/v1/projects/{issued['id']}").get_json()
    assert p["status"] == "certified"


def test_certified_facts_are_frozen_and_signed(issued, api):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    body = api.get(f"/api/v1/certificates/{issued['number']}").get_json()
    f = body["facts"]
    assert body["status"] == "valid"
    assert f["project_code"] == issued["code"]
    assert f["kind"] == "rural_land" and f["location"] == "寨沙镇龙田村"
    assert f["area_mu"] == "44.27" and f["term_years"] == 5
    assert f["price"] == "900.00" and f["price_unit"] == "per_mu_year"
    assert f["total_amount"] == "199215.00"  # 900 × 44.27 × 5
    assert f["total_amount_capital"] == "壹拾玖万玖仟贰佰壹拾伍元整"
    assert f["rate_kind"] == "premium_rate" and f["rate"] == "0.1250"
    assert f["transferor"]["name"] == "龙田村股份经济合作社" and f["transferor"]["org_code"]
    assert f["transferee"]["name"] == "鹿寨县丰收种养专业合作社" and f["transferee"]["org_code"]
    assert f["bid_count"] == 7 and f["method"] == "auction"
    assert f["publicity_end"] == clock.isoformat(issued["publicity_ends_at"])
    assert len(f["audit_head"]["hash"]) == 64 and f["audit_head"]["seq"] > 0
    canonical = json.dumps(f, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(body["signature"]["public_key"]))
    key.verify(base64.b64decode(body["signature"]["value"]), canonical)  # raises if wrong
    assert body["signature"]["valid"] is True


def test_audit_head_on_certificate_matches_chain_at_issue(issuable, api, app):
    from trading import audit as audit_log

    chain = f"project:{issuable['id']}"
    with app.app_context():
        seq, head = audit_log.chain_head(chain)
        audit_log.anchor()  # the scheduler's job: the latest anchor at issue
        anchor = audit_log.chain_head(audit_log.ANCHOR)
    r = api.post(f"/api/v1/projects/{issuable['id']}/certificate", user=issuable["staff"])
    f = api.get(f"/api/v1/certificates/{r.get_json()['number']}").get_json()["facts"]
    assert f["audit_head"] == {"chain": chain, "seq": seq, "hash": head}
    assert f["audit_anchor"] == {"seq": anchor[0], "hash": anchor[1]}
    with app.app_context():
        assert audit_log.covering_anchor(chain, seq)["head"]["seq"] == seq  # the anchor before issue covers it
        assert api.get(f"/api/v1/certificates/{r.get_json()['number']}").get_json()["audit_anchor"]["seq"] == anchor[0]
        audit_log.anchor()  # the next second: the certificate's own entry is anchored too
        assert audit_log.covering_anchor(chain, seq + 1)["seq"] == anchor[0] + 1
    audit = api.get("/api/v1/audit/verify", user=issuable["staff"]).get_json()
    assert audit["ok"] is True


def test_a_certificate_issued_before_the_scheduler_anchors_carries_the_anchor_covering_its_head(issuable, api, app):
    """No anchor job has run: the issue appends the anchor covering the project's head in its own transaction, so
    the signed facts name an anchor that covers the head they carry; the audit log still verifies."""
    from trading import audit as audit_log

    chain = f"project:{issuable['id']}"
    with app.app_context():
        seq, head = audit_log.chain_head(chain)
        assert audit_log.covering_anchor(chain, seq) is None
    r = api.post(f"/api/v1/projects/{issuable['id']}/certificate", user=issuable["staff"])
    assert r.status_code == 201, r.get_json()
    body = api.get(f"/api/v1/certificates/{r.get_json()['number']}").get_json()
    f = body["facts"]
    assert f["audit_head"] == {"chain": chain, "seq": seq, "hash": head}
    assert body["audit_anchor"]["head"] == {"chain": chain, "seq": seq, "hash": head}
    assert f["audit_anchor"] == {"seq": body["audit_anchor"]["seq"], "hash": body["audit_anchor"]["hash"]}
    with app.app_context():
        assert audit_log.anchor() == 1  # the job then anchors what followed (the certificate's own entries)
    assert api.get("/api/v1/audit/verify", user=issuable["staff"]).get_json()["ok"] is True


def test_second_issue_is_certificate_exists(issued, api):
    r = api.post(f"/api/v1/projects/{issued['id']}/certificate", user=issued["staff"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "certificate_exists"


def test_not_awarded(announced, api, signing_keys):
    r = api.post(f"/api/v1/projects/{announced['id']}/certificate", user=announced["staff"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_awarded"


def test_publicity_not_over(awarded, api, signing_keys):
    r = api.post(f"/api/v1/projects/{awarded['id']}/certificate", user=awarded["staff"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "publicity_not_over"
    clock.freeze(awarded["publicity_ends_at"] - timedelta(seconds=1))
    r = api.post(f"/api/v1/projects/{awarded['id']}/certificate", user=awarded["staff"])
    assert r.get_json()["error"]["code"] == "publicity_not_over"
    clock.freeze(awarded["publicity_ends_at"])
    assert api.post(f"/api/v1/projects/{awarded['id']}/certificate", user=awarded["staff"]).status_code == 201


def test_signing_unavailable_leaves_nothing_behind(issuable, api, app, tmp_path):
    from certificates.models import Certificate
    from trading.extensions import db
    from trading.projects.models import CodeCounter

    old = app.config["TRADING_KEYS_DIR"]
    app.config["TRADING_KEYS_DIR"] = str(tmp_path / "nokeys")
    try:
        r = api.post(f"/api/v1/projects/{issuable['id']}/certificate", user=issuable["staff"])
    finally:
        app.config["TRADING_KEYS_DIR"] = old
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "signing_unavailable"
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Certificate)).scalar_one() == 0
        assert db.session.execute(select(func.count()).select_from(CodeCounter)
                                  .where(CodeCounter.prefix.like("CERT%"))).scalar_one() == 0
    assert api.get(f"/api/v1/projects/{issuable['id']}").get_json()["status"] == "awarded"
    # with keys back, the first certificate still gets number 0001
    r = api.post(f"/api/v1/projects/{issuable['id']}/certificate", user=issuable["staff"])
    assert r.status_code == 201 and "-C0001-" in r.get_json()["number"]


def test_failure_while_building_rolls_back_number_and_row(issuable, api, app, monkeypatch):
    from certificates import pdf
    from certificates.models import Certificate
    from trading.extensions import db

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pdf, "sign_pdf", boom)
    r = api.post(f"/api/v1/projects/{issuable['id']}/certificate", user=issuable["staff"])
    assert r.status_code == 500
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Certificate)).scalar_one() == 0
    monkeypatch.undo()
    r = api.post(f"/api/v1/projects/{issuable['id']}/certificate", user=issuable["staff"])
    assert r.status_code == 201 and "-C0001-" in r.get_json()["number"]


def test_access_rules_for_issue_and_revoke(issuable, api, factory):
    _, bidder = factory.user("bidder", "someone")
    url = f"/api/v1/projects/{issuable['id']}/certificate"
    assert api.post(url).status_code == 401
    assert api.post(url, user=bidder).status_code == 403
    assert api.post(url, user=issuable["owner"]).status_code == 403
    r = api.post(url, user=issuable["staff"])
    number = r.get_json()["number"]
    rv = f"/api/v1/certificates/{number}/revoke"
    assert api.post(rv, json={"reason": "x"}).status_code == 401
    assert api.post(rv, json={"reason": "x"}, user=bidder).status_code == 403
    assert api.get("/api/v1/certificates", user=bidder).status_code == 403
    # public reads need no token
    assert api.get(f"/api/v1/certificates/{number}").status_code == 200
    assert api.get(f"/api/v1/certificates/{number}/pdf").status_code == 200


def test_public_resource_numbering_and_savings(app, factory, api, signing_keys):
    body = factory.project_body(kind="procurement", title="办公设备采购", direction="descending",
                                price_unit="total", area_mu=None, term_years=None, start_price="100000.00",
                                reserve_price=None, budget="120000.00", increment="100.00")
    out = make_awarded(app, factory, api, body=body, price="96000.00")
    clock.freeze(out["publicity_ends_at"] + timedelta(seconds=1))
    r = api.post(f"/api/v1/projects/{out['id']}/certificate", user=out["staff"])
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["number"].startswith("GG-") and "鹿公交确〔" in r.get_json()["number_text"]
    f = api.get(f"/api/v1/certificates/{r.get_json()['number']}").get_json()["facts"]
    assert f["title"] == "成交确认书"
    assert f["rate_kind"] == "savings_rate" and f["rate"] == "0.2000" and f["savings"] == "24000.00"
    assert f["total_amount"] == "96000.00" and f["total_amount_capital"] == "玖万陆仟元整"


def test_unknown_certificate_404(api):
    r = api.get("/api/v1/certificates/NC-2026-C9999")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_register_search_and_pagination(issued, api):
    r = api.get("/api/v1/certificates?q=C0001", user=issued["staff"]).get_json()
    assert r["total"] == 1 and r["items"][0]["number"] == issued["number"]
    assert api.get("/api/v1/certificates?q=nothing-like-it", user=issued["staff"]).get_json()["total"] == 0
    assert api.get("/api/v1/certificates?page=0", user=issued["staff"]).status_code == 422


def test_issue_timing(app, factory, api, signing_keys, capsys):
    """Not an assertion on speed: prints how long issuing takes (lock, checks, PDF, both signatures, commit)."""
    projects = [make_awarded(app, factory, api) for _ in range(5)]
    clock.freeze(max(p["publicity_ends_at"] for p in projects) + timedelta(seconds=1))
    times = []
    for p in projects:
        t0 = time.perf_counter()
        r = api.post(f"/api/v1/projects/{p['id']}/certificate", user=p["staff"])
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 201, r.get_json()
    with capsys.disabled():
        print("\n[timing] issuing one certificate (5 in a row, ms): " + ", ".join(f"{t:.0f}" for t in times))
