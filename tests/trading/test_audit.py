from sqlalchemy import text

from trading import audit


def test_chain_verifies_and_detects_an_edit(db):
    for i in range(5):
        audit.record("test.event", f"thing:{i}", {"n": i}, "tester")
    db.session.commit()
    assert audit.verify() == {"ok": True, "entries": 5, "head": audit.current_head()[1]}
    db.session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
    db.session.commit()
    assert audit.verify()["ok"] is False


def test_chain_detects_a_deleted_entry_even_the_last(db):
    for i in range(3):
        audit.record("test.event", f"thing:{i}", {}, "tester")
    db.session.commit()
    db.session.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    db.session.commit()
    assert audit.verify()["ok"] is False


def test_verify_endpoint_is_staff_only(api, factory):
    factory.user("staff", "s1")
    factory.user("bidder", "b1")
    assert api.get("/api/v1/audit/verify").status_code == 401
    assert api.get("/api/v1/audit/verify", user="b1").status_code == 403
    body = api.get("/api/v1/audit/verify", user="s1").get_json()
    assert body["ok"] is True and body["entries"] >= 4
