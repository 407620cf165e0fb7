"""The partitioned audit log: one chain per project, accounts, guarantors; anchors; every kind of tampering."""

from sqlalchemy import func, select, text

from trading import audit
from trading.models import AuditEntry


def _fill(db):
    for i in range(3):
        audit.record("test.event", "project:1", {"n": i}, "tester")
        audit.record("test.event", "project:2", {"n": i}, "tester")
    audit.record("user.create", "user:7", {"username": "u7"}, "tester")
    db.session.commit()


def _ok(db):
    db.session.commit()
    return audit.verify()["ok"]


def test_each_project_has_its_own_chain_and_accounts_theirs(db):
    _fill(db)
    chains = dict(db.session.execute(select(AuditEntry.chain, func.count()).group_by(AuditEntry.chain)).all())
    assert chains == {"project:1": 3, "project:2": 3, "accounts": 1}
    first = db.session.execute(select(AuditEntry).where(AuditEntry.chain == "project:2")
                               .order_by(AuditEntry.chain_seq)).scalars().first()
    assert first.chain_seq == 1 and first.prev_hash == audit.GENESIS
    out = audit.verify()
    assert out["ok"] is True and out["entries"] == 7 and out["chains"] == 3 and out["errors"] == []


def test_anchor_covers_the_heads_that_moved_once(db):
    _fill(db)
    assert audit.anchor() == 1
    assert audit.anchor() == 0  # nothing moved: a second scheduler (or second) adds nothing
    audit.record("test.event", "project:2", {"n": 9}, "tester")
    db.session.commit()
    assert audit.anchor() == 1
    anchors = db.session.execute(select(AuditEntry).where(AuditEntry.chain == audit.ANCHOR)
                                 .order_by(AuditEntry.chain_seq)).scalars().all()
    assert [[c for c, _s, _h in a.data["heads"]] for a in anchors] == [
        ["accounts", "project:1", "project:2"], ["project:2"]]
    assert anchors[1].data["heads"][0][1] == 4
    assert audit.covering_anchor("project:1", 3)["seq"] == 1
    assert audit.covering_anchor("project:2", 4)["seq"] == 2
    assert audit.covering_anchor("project:2", 5) is None
    assert audit.verify()["anchors"] == 2 and audit.verify()["ok"] is True


def test_an_edited_entry_is_detected(db):
    _fill(db)
    db.session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE chain = 'project:1' AND chain_seq = 2"))
    assert _ok(db) is False


def test_an_edited_last_entry_is_detected(db):
    _fill(db)
    db.session.execute(text("UPDATE audit_log SET data = '{\"n\": 99}' WHERE chain = 'project:2' AND chain_seq = 3"))
    assert _ok(db) is False


def test_a_deleted_middle_entry_is_detected(db):
    _fill(db)
    db.session.execute(text("DELETE FROM audit_log WHERE chain = 'project:1' AND chain_seq = 2"))
    assert _ok(db) is False


def test_a_deleted_last_entry_is_detected_by_the_head_row(db):
    _fill(db)
    db.session.execute(text("DELETE FROM audit_log WHERE chain = 'project:1' AND chain_seq = 3"))
    out = (db.session.commit(), audit.verify())[1]
    assert out["ok"] is False and any("head row" in e for e in out["errors"])


def test_a_deleted_last_entry_with_a_rewound_head_is_detected_by_the_anchor(db):
    _fill(db)
    audit.anchor()
    prev = db.session.execute(text("SELECT hash FROM audit_log WHERE chain = 'project:1' AND chain_seq = 2")).scalar()
    db.session.execute(text("DELETE FROM audit_log WHERE chain = 'project:1' AND chain_seq = 3"))
    db.session.execute(text("UPDATE audit_chains SET seq = 2, hash = :h WHERE chain = 'project:1'"), {"h": prev})
    out = (db.session.commit(), audit.verify())[1]
    assert out["ok"] is False and any("anchored entry 3 is missing" in e for e in out["errors"])


def test_a_whole_deleted_chain_is_detected_by_the_anchor(db):
    _fill(db)
    audit.anchor()
    db.session.execute(text("DELETE FROM audit_log WHERE chain = 'project:2'"))
    db.session.execute(text("DELETE FROM audit_chains WHERE chain = 'project:2'"))
    db.session.execute(text("DELETE FROM audit_anchored WHERE chain = 'project:2'"))
    out = (db.session.commit(), audit.verify())[1]
    assert out["ok"] is False and any("whole chain" in e for e in out["errors"])


def test_an_edited_anchor_is_detected(db):
    _fill(db)
    audit.anchor()
    db.session.execute(text("UPDATE audit_log SET data = :d WHERE chain = 'anchor'"),
                       {"d": '{"heads": [], "root": "' + audit.GENESIS + '"}'})
    assert _ok(db) is False


def test_a_deleted_anchor_chain_is_detected(db):
    _fill(db)
    audit.anchor()
    db.session.execute(text("DELETE FROM audit_log WHERE chain = 'anchor'"))
    assert _ok(db) is False  # its head row still names the anchor entry


def test_entries_about_a_projects_objects_join_its_chain(db, factory):
    # registration, deposit, guarantee, certificate and objection entries name their own object; they are
    # appended to their project's chain, so a certificate's project head covers them
    assert audit.chain_for("project:5") == "project:5"
    assert audit.chain_for("user:3") == audit.ACCOUNTS
    assert audit.chain_for("guarantor:GX01") == audit.GUARANTORS
    assert audit.chain_for("registration:999999") == audit.SYSTEM  # unknown: not lost, in the system chain
    assert audit.chain_for("guarantee:nope") == audit.GUARANTORS


def test_verify_endpoint_is_staff_only(api, factory):
    factory.user("staff", "s1")
    factory.user("bidder", "b1")
    assert api.get("/api/v1/audit/verify").status_code == 401
    assert api.get("/api/v1/audit/verify", user="b1").status_code == 403
    body = api.get("/api/v1/audit/verify", user="s1").get_json()
    assert body["ok"] is True and body["entries"] >= 4


def test_several_schedulers_anchor_each_head_once(db):
    """PostgreSQL: while one scheduler anchors (holding the anchor chain's head), another skips the second."""
    import pytest

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED; SQLite serialises the schedulers' write transactions")
    _fill(db)
    audit.ensure_chain_pg(audit.ANCHOR)
    db.session.commit()
    other = db.engine.connect()
    try:
        other.execute(text("SELECT 1 FROM audit_chains WHERE chain = 'anchor' FOR UPDATE"))
        assert audit.anchor() == 0  # the other scheduler holds it: skip, do not wait
    finally:
        other.rollback()
        other.close()
    assert audit.anchor() == 1
    assert audit.anchor() == 0
    n = db.session.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.chain == audit.ANCHOR))
    assert n.scalar() == 1 and audit.verify()["ok"] is True
