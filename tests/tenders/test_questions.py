"""Bidder questions (答疑): a registered bidder asks anonymously before the deadline; the tenderee or staff answer
with a clarification naming the questions, which closes them and their deadline item (红黄牌 clarification_answer)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from trading import clock
from trading.extensions import db as _db


def _count(app, model) -> int:
    with app.app_context():
        n = _db.session.execute(select(func.count()).select_from(model)).scalar_one()
        _db.session.remove()
    return n


def _ask(api, tid, user, text="第3.2条的路基压实度要求是多少？"):
    return api.post(f"/api/v1/tenders/{tid}/questions", {"text": text}, user=user)


def _registered(hall):
    t = hall.tender()
    lot_id = t["lots"][0]["id"]
    for name in ("alpha", "beta"):
        hall.bidder(name)
        hall.register(lot_id, name)
    return t["id"], lot_id


def test_ask_list_and_answer_with_a_clarification(app, hall, api):
    tid, _ = _registered(hall)
    r = _ask(api, tid, "alpha")
    assert r.status_code == 201, r.get_json()
    q = r.get_json()
    assert q["status"] == "open" and q["text"] == "第3.2条的路基压实度要求是多少？" and set(q) == {
        "id", "text", "asked_at", "status"}
    for reader in (hall.owner, hall.staff, "beta", "alpha"):
        r = api.get(f"/api/v1/tenders/{tid}/questions", user=reader)
        assert r.status_code == 200, (reader, r.get_json())
        assert [(i["id"], i["status"], i["answered_by"]) for i in r.get_json()["items"]] == [(q["id"], "open", None)]
    r = api.post(f"/api/v1/tenders/{tid}/clarifications", {"text": "压实度不低于96%。", "answers": [q["id"]]},
                 user=hall.owner)
    assert r.status_code == 201, r.get_json()
    clar_id = r.get_json()["id"]
    items = api.get(f"/api/v1/tenders/{tid}/questions", user="beta").get_json()["items"]
    assert [(i["status"], i["answered_by"]) for i in items] == [("answered", clar_id)]
    # an answered question cannot be answered again; the clarification is not written
    r = api.post(f"/api/v1/tenders/{tid}/clarifications", {"text": "再答一次", "answers": [q["id"]]}, user=hall.staff)
    assert r.status_code == 409
    assert len(api.get(f"/api/v1/tenders/{tid}/clarifications").get_json()["items"]) == 1
    # a clarification without answers still works as before
    r = api.post(f"/api/v1/tenders/{tid}/clarifications", {"text": "补充说明"}, user=hall.staff)
    assert r.status_code == 201, r.get_json()


def test_refusals_write_nothing(app, hall, api):
    from tenders.models import Clarification, TenderQuestion

    tid, lot_id = _registered(hall)
    hall.bidder("gamma")  # not registered
    r = _ask(api, tid, "gamma")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_registered"
    r = api.get(f"/api/v1/tenders/{tid}/questions", user="gamma")
    assert r.status_code == 403
    for text in ("", "   ", "问" * 2001, None, 42):
        r = _ask(api, tid, "alpha", text)
        assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error", text
    assert _ask(api, tid, hall.owner).status_code == 403  # the tenderee does not ask itself
    assert _count(app, TenderQuestion) == 0
    q = _ask(api, tid, "alpha").get_json()
    # bad answers: not a list, unknown id, a question of another tender — nothing written, question stays open
    other = hall.tender()
    hall.register(other["lots"][0]["id"], "beta")
    q_other = _ask(api, other["id"], "beta").get_json()
    for answers in ("1", [999999], [q_other["id"]], [True]):
        r = api.post(f"/api/v1/tenders/{tid}/clarifications", {"text": "答复", "answers": answers}, user=hall.owner)
        assert r.status_code == 422, (answers, r.get_json())
    assert _count(app, Clarification) == 0
    assert api.get(f"/api/v1/tenders/{tid}/questions", user="alpha").get_json()["items"][0]["status"] == "open"
    # another bidder's owner cannot answer (not the tenderee)
    r = api.post(f"/api/v1/tenders/{tid}/clarifications", {"text": "答复", "answers": [q["id"]]}, user="beta")
    assert r.status_code == 403
    hall.to_deadline(lot_id)
    r = _ask(api, tid, "alpha")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "tender_closed"
    assert _count(app, TenderQuestion) == 2


def test_clarification_too_late_still_applies_and_leaves_questions_open(app, hall, api):
    tid, _ = _registered(hall)
    q = _ask(api, tid, "alpha").get_json()
    clock.advance(10 * 86400)  # 11 days left, fewer than 15
    r = api.post(f"/api/v1/tenders/{tid}/clarifications", {"text": "答复", "answers": [q["id"]]}, user=hall.owner)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "clarification_too_late"
    assert api.get(f"/api/v1/tenders/{tid}/questions", user="alpha").get_json()["items"][0]["status"] == "open"


def test_questions_are_anonymous(app, hall, api, client):
    tid, _ = _registered(hall)
    q = _ask(api, tid, "alpha", "请问是否接受联合体投标？").get_json()
    for reader in (hall.owner, "beta", hall.staff):
        raw = api.get(f"/api/v1/tenders/{tid}/questions", user=reader).get_data(as_text=True)
        assert "请问是否接受联合体投标" in raw
        assert "alpha" not in raw and "asker" not in raw
    with app.app_context():
        from trading.accounts.models import User

        alpha_id = _db.session.execute(select(User.id).where(User.username == "alpha")).scalar_one()
        _db.session.remove()
    item = api.get(f"/api/v1/tenders/{tid}/questions", user="beta").get_json()["items"][0]
    assert item["id"] == q["id"] and alpha_id not in item.values()
    notices = api.get("/api/v1/me/tender-notices", user=hall.owner)
    assert "alpha" not in notices.get_data(as_text=True)


def _sweep(app):
    from trading.oversight.deadlines import sweep

    with app.app_context():
        sweep()
        _db.session.remove()


def _items(app):
    from trading.oversight.models import DeadlineItem

    with app.app_context():
        rows = list(_db.session.execute(select(DeadlineItem).where(
            DeadlineItem.kind == "clarification_answer")).scalars())
        for r in rows:
            _db.session.expunge(r)
        _db.session.remove()
    return rows


def test_open_question_gets_yellow_then_red_and_answering_closes_it(app, hall, api):
    tid, _ = _registered(hall)
    q = _ask(api, tid, "alpha").get_json()
    _sweep(app)
    [item] = _items(app)
    assert (item.object, item.card, item.closed_at) == (f"tender_question:{q['id']}", "none", None)
    assert "alpha" not in item.title
    assert item.due_at - item.started_at == timedelta(days=3)  # TRADING_LIMIT_CLARIFICATION_ANSWER = 3d
    span = item.due_at - item.started_at
    clock.freeze(item.started_at + span * 0.81)
    _sweep(app)
    assert _items(app)[0].card == "yellow"
    desk = api.get("/api/v1/deadlines", user=hall.staff).get_json()["items"]
    assert [(i["kind"], i["card"]) for i in desk] == [("clarification_answer", "yellow")]
    clock.freeze(item.due_at + timedelta(minutes=1))
    _sweep(app)
    assert _items(app)[0].card == "red"
    r = api.post(f"/api/v1/tenders/{tid}/clarifications", {"text": "压实度不低于96%。", "answers": [q["id"]]},
                 user=hall.staff)
    assert r.status_code == 201, r.get_json()
    _sweep(app)
    [closed] = _items(app)
    assert closed.closed_at is not None and closed.closed_by == hall.staff
    assert api.get("/api/v1/deadlines", user=hall.staff).get_json()["items"] == []


def test_pages_question_form_list_and_answer_checkboxes(app, hall, api, client):
    from tenders.models import TenderQuestion
    from tests.tenders.test_views import login, text

    tid, _ = _registered(hall)
    hall.bidder("gamma")
    login(client, app, "gamma")  # not registered: neither the form nor the list
    page = text(client.get(f"/tenders/{tid}"))
    assert "提交问题" not in page and "答疑（投标人提问" not in page
    assert client.post(f"/tenders/{tid}/questions", data={"text": "问"}).status_code in (302, 303)
    assert _count(app, TenderQuestion) == 0
    login(client, app, "alpha")
    assert "提交问题" in text(client.get(f"/tenders/{tid}"))
    r = client.post(f"/tenders/{tid}/questions", data={"text": ""}, follow_redirects=True)
    assert "请填写问题" in text(r) and _count(app, TenderQuestion) == 0
    r = client.post(f"/tenders/{tid}/questions", data={"text": "是否接受联合体？"}, follow_redirects=True)
    assert "问题已提交" in text(r) and "是否接受联合体？" in text(r)
    qid = api.get(f"/api/v1/tenders/{tid}/questions", user="beta").get_json()["items"][0]["id"]
    login(client, app, hall.owner)
    page = text(client.get(f"/tenders/{tid}"))
    assert f'name="answers" value="{qid}"' in page and "alpha" not in page
    r = client.post(f"/tenders/{tid}/clarifications", data={"text": "不接受联合体投标。", "answers": str(qid)},
                    follow_redirects=True)
    assert "所选问题已答复" in text(r)
    login(client, app, "beta")
    page = text(client.get(f"/tenders/{tid}"))
    assert "已答复" in page and "答复（澄清" in page and "不接受联合体投标。" in page


def test_an_unanswered_question_item_closes_at_the_bid_deadline_without_a_closer(app, hall, api):
    tid, lot_id = _registered(hall)
    _ask(api, tid, "alpha")
    _sweep(app)
    assert _items(app)[0].closed_at is None
    hall.to_deadline(lot_id)
    _sweep(app)
    [item] = _items(app)
    assert item.closed_at is not None and item.closed_by is None
    assert api.get(f"/api/v1/tenders/{tid}/questions", user="alpha").get_json()["items"][0]["status"] == "open"
