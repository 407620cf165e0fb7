"""The expert pool from the command line, and who may do what on a real tender (owner, other tenderees, bidders
registered or not, members and other experts, staff)."""

from __future__ import annotations

from tests.tenders.conftest import org, tender_body
from trading.extensions import db as _db


def test_users_create_expert_with_speciality_and_the_pool_commands(app, runner):
    r = runner.invoke(args=["users", "create", "zhang", "--role", "expert", "--password", "pw-123456",
                            "--org", "柳州市建筑设计院", "--speciality", "road"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["users", "create", "li", "--role", "expert", "--password", "pw-123456",
                            "--org", "柳州市建筑设计院"])
    assert r.exit_code != 0 and "speciality" in r.output
    r = runner.invoke(args=["users", "create", "wang", "--role", "bidder", "--password", "pw-123456",
                            "--speciality", "road"])
    assert r.exit_code != 0
    r = runner.invoke(args=["experts", "list"])
    assert r.exit_code == 0 and "zhang\troad\t柳州市建筑设计院\t可抽取" in r.output and "共 1 名" in r.output
    assert "li" not in r.output.split("共")[0] and "wang" not in r.output
    r = runner.invoke(args=["experts", "suspend", "zhang", "--reason", "年度考核不合格"])
    assert r.exit_code == 0, r.output
    assert "暂停（年度考核不合格）" in runner.invoke(args=["experts", "list"]).output
    assert runner.invoke(args=["experts", "suspend", "zhang", "--reason", "again"]).exit_code != 0
    assert runner.invoke(args=["experts", "resume", "zhang"]).exit_code == 0
    assert runner.invoke(args=["experts", "suspend", "nobody", "--reason", "x"]).exit_code != 0
    from tenders import evaluation

    with app.app_context():
        assert [e.username for e in evaluation.expert_pool("road")] == ["zhang"]
        _db.session.remove()


def test_ownership_and_visibility(hall, api, factory):
    factory.user("collective", "other_village", org_name="另一个村")
    r = api.post("/api/v1/tenders", tender_body(), user=hall.owner)
    tid = r.get_json()["id"]
    assert api.get(f"/api/v1/tenders/{tid}").status_code == 404  # a draft is not public
    assert api.get(f"/api/v1/tenders/{tid}", user="other_village").status_code == 404
    assert api.get(f"/api/v1/tenders/{tid}", user=hall.staff).status_code == 200
    assert api.post(f"/api/v1/tenders/{tid}/submit", user="other_village").status_code == 403
    assert api.post(f"/api/v1/tenders/{tid}/approve", user=hall.staff).get_json()["error"]["code"] == "invalid_state"
    assert api.post(f"/api/v1/tenders/{tid}/submit", user=hall.owner).status_code == 200
    r = api.post(f"/api/v1/tenders/{tid}/reject", {"reason": "预算依据不足"}, user=hall.staff)
    assert r.status_code == 200 and r.get_json()["status"] == "draft" and r.get_json()["reject_reason"]
    api.post(f"/api/v1/tenders/{tid}/submit", user=hall.owner)
    api.post(f"/api/v1/tenders/{tid}/approve", user=hall.staff)
    assert api.get(f"/api/v1/tenders/{tid}").get_json()["lots"][0]["status"] == "bidding"
    assert tid in [t["id"] for t in api.get("/api/v1/tenders").get_json()["items"]]
    r = api.post(f"/api/v1/tenders/{tid}/withdraw", {"reason": "x"}, user="other_village")
    assert r.status_code == 403
    # staff lists on behalf of a tenderee
    r = api.post("/api/v1/tenders", {**tender_body(), "owner": hall.owner}, user=hall.staff)
    assert r.status_code == 201 and r.get_json()["owner"]["username"] == hall.owner
    assert r.get_json()["code"].startswith("ZB-")


def test_opening_and_evaluation_reads_by_role(hall, api):
    lot_id = hall.lot()
    for name in ("alpha", "beta", "gamma"):
        hall.bidder(name)
        hall.register(lot_id, name)
        hall.bid(lot_id, name, "900000.00")
    hall.bidder("stranger")
    assert api.get(f"/api/v1/lots/{lot_id}/opening").status_code == 401
    assert api.get(f"/api/v1/lots/{lot_id}/opening", user="stranger").status_code == 403
    assert api.get(f"/api/v1/lots/{lot_id}/opening", user="alpha").status_code == 200
    assert api.get(f"/api/v1/lots/{lot_id}/opening", user=hall.owner).status_code == 200
    assert api.get(f"/api/v1/lots/{lot_id}/registrations", user=hall.owner).status_code == 403  # before deadline
    assert len(api.get(f"/api/v1/lots/{lot_id}/registrations", user=hall.staff).get_json()["items"]) == 3
    hall.to_deadline(lot_id)
    opening = api.get(f"/api/v1/lots/{lot_id}/opening", user="alpha").get_json()
    assert opening["status"] == "opening" and [b["price"] for b in opening["bids"]] == [None] * 3
    assert {b["bidder_org"] for b in opening["bids"]} == {org("alpha"), org("beta"), org("gamma")}
    r = api.post(f"/api/v1/lots/{lot_id}/bid/decrypt", {"key": hall.keys[(lot_id, "alpha")]}, user="stranger")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_registered"
    for name in ("alpha", "beta", "gamma"):
        assert hall.decrypt(lot_id, name).status_code == 200
    assert api.get(f"/api/v1/lots/{lot_id}/opening").status_code == 200  # public once opened
    hall.experts(5)
    members = hall.committee(lot_id)
    other = hall.expert("outsider_expert")
    assert api.get(f"/api/v1/lots/{lot_id}/committee", user=other).status_code == 403
    assert api.get(f"/api/v1/lots/{lot_id}/committee", user=members[0]).status_code == 200
    assert api.get(f"/api/v1/lots/{lot_id}/scores", user=other).status_code == 403
    hall.score_all(lot_id, members, {org(n): {"tech": "40", "biz": "10"} for n in ("alpha", "beta", "gamma")})
    assert api.get(f"/api/v1/lots/{lot_id}/evaluation", user=members[0]).status_code == 200
    assert api.get(f"/api/v1/lots/{lot_id}/evaluation", user=other).status_code == 403
    assert api.get(f"/api/v1/lots/{lot_id}/evaluation", user="alpha").status_code == 403  # before publicity
    r = api.post(f"/api/v1/lots/{lot_id}/objections", {"reason": "还没有公示不能异议"}, user="alpha")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "publicity_closed"
    assert api.post(f"/api/v1/lots/{lot_id}/publicize", user=hall.staff).status_code == 200
    assert api.get(f"/api/v1/lots/{lot_id}/evaluation", user="alpha").status_code == 200
    r = api.post(f"/api/v1/lots/{lot_id}/objections", {"reason": "我不是投标人但想异议"}, user="stranger")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_registered"


def test_a_submitted_tender_appears_in_the_staff_review_queue(hall, api, client):
    from tests.test_permissions import world_user_id

    r = api.post("/api/v1/tenders", tender_body(title="县医院采购项目"), user=hall.owner)
    tid = r.get_json()["id"]
    api.post(f"/api/v1/tenders/{tid}/submit", user=hall.owner)
    with client.session_transaction() as session:
        session["_user_id"] = str(world_user_id(hall.app, hall.staff))
        session["_fresh"] = True
    page = client.get("/staff/review").get_data(as_text=True)
    assert "县医院采购项目" in page and r.get_json()["code"] in page
    api.post(f"/api/v1/tenders/{tid}/approve", user=hall.staff)
    assert "县医院采购项目" not in client.get("/staff/review").get_data(as_text=True)
