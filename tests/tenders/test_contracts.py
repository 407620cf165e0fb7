"""合同签订 (tenders/contracts.py): staff or the tenderee record the contract signed with an awarded lot's winner —
once, dated between the award and today. It ends the winner's bid security (guarantee released, cash deposit due
for refund: 《招标投标法实施条例》第五十七条), is audited, pushed (`contract`, same transaction) and published as the
OCDS release's `contracts`; the winner can no longer default. Refusals write nothing."""

from __future__ import annotations

import copy
from datetime import timedelta

from sqlalchemy import func, select

from tests.tenders.conftest import guarantee, org
from trading import clock
from trading.extensions import db as _db

PRICES = {"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"}


def _to_award(hall, api, lot_id: int, *, award: bool = True) -> int:
    hall.experts(5)
    members = hall.committee(lot_id)
    hall.score_all(lot_id, members, {org(n): {"tech": "40", "biz": "10"} for n in PRICES})
    assert api.post(f"/api/v1/lots/{lot_id}/publicize", user=hall.staff).status_code == 200
    if award:
        clock.advance(3 * 86400 + 1)
        r = api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff)
        assert r.status_code == 200 and r.get_json()["winner"]["bidder_org"] == org("alpha")
    return lot_id


def _awarded(hall, api, *, award: bool = True) -> int:
    return _to_award(hall, api, hall.opened_lot(PRICES), award=award)


def _day(days: int = 0) -> str:
    return (clock.now().astimezone(clock.BEIJING).date() + timedelta(days=days)).isoformat()


def _code(app, lot_id: int) -> str:
    from tenders.models import Lot

    with app.app_context():
        code = _db.session.get(Lot, lot_id).tender.code
        _db.session.remove()
    return code


def _deposit(app, bidder: str) -> tuple[str, bool, str | None]:
    from guarantees.models import Deposit

    with app.app_context():
        for d in _db.session.execute(select(Deposit)).scalars():
            if d.registration.bidder.username == bidder:
                out = (d.status, d.refund_due_at is not None, d.refund_reason)
                _db.session.remove()
                return out
    raise AssertionError(bidder)


def _state(app) -> tuple:
    """Everything a contract record writes: contracts, outbox messages, audit entries, deposits due."""
    from guarantees.models import Deposit, Guarantee
    from tenders.models import LotContract
    from trading.models import AuditEntry
    from trading.outbox import OutboxMessage

    with app.app_context():
        n = [_db.session.execute(select(func.count()).select_from(m)).scalar_one()
             for m in (LotContract, OutboxMessage, AuditEntry)]
        due = _db.session.execute(select(func.count()).select_from(Deposit).where(
            Deposit.refund_due_at.is_not(None))).scalar_one()
        released = _db.session.execute(select(func.count()).select_from(Guarantee).where(
            Guarantee.status == "released")).scalar_one()
        _db.session.remove()
    return (*n, due, released)


def _pushed(app, code: str) -> list[tuple[str, dict]]:
    from trading.outbox import OutboxMessage

    with app.app_context():
        rows = [(m.event, m.payload) for m in _db.session.execute(select(OutboxMessage).where(
            OutboxMessage.stream == f"project:{code}").order_by(OutboxMessage.id)).scalars()]
        _db.session.remove()
    return rows


def test_the_tenderee_records_the_contract_the_deposit_falls_due_it_is_pushed_and_published(app, hall, api,
                                                                                          signing_keys):
    from tests.stats.ocds_cove import errors

    lot_id = _awarded(hall, api)
    code = _code(app, lot_id)
    award_day = _day()
    assert _deposit(app, "alpha") == ("received", False, None)  # held for the winner until signing
    before = len(_pushed(app, code))
    clock.advance(2 * 86400)
    r = api.post(f"/api/v1/lots/{lot_id}/contract", {"signed_on": award_day, "number": "LZ-HT-2026-017"},
                 user=hall.owner)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "awarded" and body["winner"]["bidder_org"] == org("alpha")
    assert body["contract"] == {**body["contract"], "number": "LZ-HT-2026-017", "signed_on": award_day,
                                "amount": "900000.00", "recorded_by": hall.owner}  # the award price by default
    # 条例第五十七条: the winner's deposit is now owed back; staff see it on the deadline desk
    status, due, reason = _deposit(app, "alpha")
    assert (status, due) == ("received", True) and "第五十七条" in reason
    from trading.oversight.deadlines import sweep

    with app.app_context():
        sweep()
        _db.session.commit()
        _db.session.remove()
    items = api.get("/api/v1/deadlines", user=hall.staff).get_json()["items"]
    assert [i["kind"] for i in items if i["kind"] == "deposit_refund"] == ["deposit_refund"] * 3
    # audited on the tender's chain
    from trading import audit
    from trading.models import AuditEntry

    with app.app_context():
        entry = _db.session.execute(select(AuditEntry).where(AuditEntry.action == "lot.contract")).scalar_one()
        assert entry.object == f"lot:{lot_id}" and entry.actor == hall.owner
        assert audit.verify()["ok"]
        _db.session.remove()
    # exactly one push message, the contract's
    pushed = _pushed(app, code)[before:]
    assert [e for e, _ in pushed] == ["contract"]
    payload = pushed[0][1]
    assert payload["信息类型"] == "合同签订" and payload["中标人"] == org("alpha")
    assert (payload["合同编号"], payload["合同金额"], payload["合同签订日期"]) == ("LZ-HT-2026-017", "900000.00",
                                                                          award_day)
    # OCDS: the release gains its contract, tied to the lot's award
    d = clock.now().astimezone(clock.BEIJING).date()
    pkg = api.get(f"/api/v1/ocds/releases?from={d.replace(day=1).isoformat()}&to={d.isoformat()}").get_json()
    rel = next(r for r in pkg["releases"] if r["tender"]["id"] == code)
    assert rel["tag"] == ["tender", "award", "contract"]
    (contract,) = rel["contracts"]
    assert contract == {"id": f"{code}-contract-1", "awardID": f"{code}-award-1", "title": contract["title"],
                        "status": "active", "value": {"amount": 900000, "currency": "CNY"},
                        "dateSigned": f"{award_day}T00:00:00+08:00", "description": "合同编号 LZ-HT-2026-017"}
    (award,) = rel["awards"]
    assert award["id"] == contract["awardID"] and award["relatedLots"] == ["lot-1"]
    core = copy.deepcopy(pkg)
    core.pop("extensions")
    assert errors(core) == []
    # once only; and a winner who signed cannot default any more
    after = _state(app)
    r = api.post(f"/api/v1/lots/{lot_id}/contract", {"signed_on": award_day}, user=hall.staff)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "contract_exists"
    r = api.post(f"/api/v1/lots/{lot_id}/winner-default", {"reason": "拒不履行合同"}, user=hall.staff)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    assert "合同已签订" in r.get_json()["error"]["message"]
    assert _state(app) == after
    assert _deposit(app, "alpha")[0] == "received"  # not forfeited


def test_a_guaranteed_winners_guarantee_is_released_at_signing(app, hall, api, tbank, signing_keys):
    t = hall.tender()
    lot_id, code = t["lots"][0]["id"], t["code"]
    deadline = hall.deadline(lot_id)
    hall.bidder("alpha")
    no = guarantee(api, tbank, applicant="alpha", project_code=code, amount="20000.00",
                   valid_from=clock.now(), valid_until=deadline + timedelta(days=91))
    r = api.post(f"/api/v1/lots/{lot_id}/registrations", {"security": {"type": "guarantee", "guarantee_no": no}},
                 user="alpha")
    assert r.status_code == 201, r.get_json()
    for name in ("beta", "gamma"):
        hall.bidder(name)
        hall.register(lot_id, name)
    for name, price in PRICES.items():
        assert hall.bid(lot_id, name, price).status_code == 200
    hall.to_deadline(lot_id)
    for name in PRICES:
        assert hall.decrypt(lot_id, name).status_code == 200
    _to_award(hall, api, lot_id)
    assert api.get(f"/api/v1/guarantees/{no}", user="alpha").get_json()["status"] == "attached"
    r = api.post(f"/api/v1/lots/{lot_id}/contract", {"signed_on": _day(), "amount": "899000.50"}, user=hall.staff)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["contract"]["amount"] == "899000.50" and r.get_json()["contract"]["number"] is None
    g = api.get(f"/api/v1/guarantees/{no}", user="alpha").get_json()
    assert g["status"] == "released"
    assert [e for e, _ in _pushed(app, code)][-2:] == ["award", "contract"]


def test_refusals_name_the_problem_and_write_nothing(app, hall, api, signing_keys):
    lot_id = _awarded(hall, api, award=False)
    url = f"/api/v1/lots/{lot_id}/contract"
    r = api.post(url, {"signed_on": _day()}, user=hall.staff)  # in publicity: no winner yet
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    assert "确定中标人后" in r.get_json()["error"]["message"]
    clock.advance(3 * 86400 + 1)
    assert api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff).status_code == 200
    award_day = _day()
    clock.advance(3 * 86400)
    _, other = hall.factory.user("collective", "tenderee2", org_name="另一招标人")
    before = _state(app)
    for user in ("alpha", "e1"):  # roles that may not record
        r = api.post(url, {"signed_on": award_day}, user=user)
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    r = api.post(url, {"signed_on": award_day}, user=other)  # a tenderee, but not of this lot
    assert r.status_code == 403 and "招标人" in r.get_json()["error"]["message"]
    bad = [({}, "validation_error", "signed_on"),
           ({"signed_on": "2026/05/01"}, "validation_error", "signed_on"),
           ({"signed_on": "2026-02-30"}, "validation_error", "signed_on"),
           ({"signed_on": _day(-4)}, "validation_error", "signed_on"),  # before the award
           ({"signed_on": _day(1)}, "validation_error", "signed_on"),  # tomorrow
           ({"signed_on": award_day, "amount": "0"}, "invalid_amount", "amount"),
           ({"signed_on": award_day, "amount": "-1.00"}, "invalid_amount", "amount"),
           ({"signed_on": award_day, "amount": "1.234"}, "invalid_amount", "amount"),
           ({"signed_on": award_day, "number": "x" * 65}, "validation_error", "number"),
           ({"signed_on": award_day, "number": 17}, "validation_error", "number"),
           ({"signed_on": _day(1), "amount": "0"}, "validation_error", "amount")]
    for body, code, field in bad:
        r = api.post(url, body, user=hall.staff)
        err = r.get_json()["error"]
        assert r.status_code == 422 and err["code"] == code and field in err["fields"], (body, err)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"]), err
    err = api.post(url, {"signed_on": _day(-4)}, user=hall.staff).get_json()["error"]
    assert award_day in err["fields"]["signed_on"]  # names the earliest allowed date
    assert _state(app) == before
    r = api.post(url, {"signed_on": award_day, "amount": 880000}, user=hall.staff)  # a JSON number, exact
    assert r.status_code == 201 and r.get_json()["contract"]["amount"] == "880000.00"


def _login(client, app, username: str | None) -> None:
    from tests.tenders.test_views import login

    login(client, app, username)


def test_the_result_page_shows_the_form_to_staff_and_the_tenderee_and_the_contract_to_everyone(app, hall, api,
                                                                                             client, signing_keys):
    from tenders.models import LotContract

    lot_id = _awarded(hall, api)
    page = f"/tenders/lots/{lot_id}/result"
    for user, form in ((hall.owner, True), (hall.staff, True), ("alpha", False), (None, False)):
        _login(client, app, user)
        html = client.get(page).get_data(as_text=True)
        assert ("登记合同</button>" in html) is form, user
        assert ("合同尚未登记" in html) is not form, user
    _login(client, app, hall.staff)
    assert "中标人违约·递补" in client.get(page).get_data(as_text=True)  # until the contract is signed
    _login(client, app, "alpha")
    assert client.post(f"/tenders/lots/{lot_id}/contract", data={"signed_on": _day()}).status_code == 403
    _login(client, app, hall.owner)
    r = client.post(f"/tenders/lots/{lot_id}/contract", data={"signed_on": _day(1), "amount": "900000.00"},
                    follow_redirects=True)
    assert "合同签订日期不能晚于今天" in r.get_data(as_text=True)
    with app.app_context():
        assert _db.session.execute(select(func.count()).select_from(LotContract)).scalar_one() == 0
        _db.session.remove()
    r = client.post(f"/tenders/lots/{lot_id}/contract",
                    data={"signed_on": _day(), "amount": "900000.00", "number": "LZ-HT-9"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "合同已登记" in html and "LZ-HT-9" in html and "登记合同</button>" not in html
    _login(client, app, None)
    html = client.get(page).get_data(as_text=True)
    assert "LZ-HT-9" in html and "900,000.00" in html and "签订日期" in html
    _login(client, app, hall.staff)  # the default form is gone once the contract is signed
    html = client.get(page).get_data(as_text=True)
    assert "LZ-HT-9" in html and "中标人违约·递补" not in html and "登记合同</button>" not in html


def test_the_contract_endpoint_is_in_the_openapi_document(client):
    op = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/lots/{lot_id}/contract"]["post"]
    assert op["tags"] == ["tenders"] and "合同" in op["summary"] and "201" in op["responses"]
    assert op["security"] == [{"bearer": []}]


def test_two_at_once_record_one_contract(app, hall, api, signing_keys):
    """Staff and the tenderee press at the same instant (real threads, real connections on PostgreSQL): the lot's
    row lock lets one in; the other answers 409 contract_exists. One contract, one push, one deposit due."""
    import threading

    from tenders.models import LotContract
    from tests.conftest import second_app
    from trading.outbox import OutboxMessage

    lot_id = _awarded(hall, api)
    code = _code(app, lot_id)
    tokens = {u: api.token(u) for u in (hall.staff, hall.owner)}
    results: dict[str, tuple[int, str | None]] = {}
    errors: list[BaseException] = []
    with second_app(app, pool_size=4, max_overflow=0) as other:
        barrier = threading.Barrier(2)

        def press(user: str, target) -> None:
            try:
                client = target.test_client()
                barrier.wait()
                r = client.post(f"/api/v1/lots/{lot_id}/contract", json={"signed_on": _day(), "number": user},
                                headers={"Authorization": f"Bearer {tokens[user]}"})
                results[user] = (r.status_code, (r.get_json().get("error") or {}).get("code"))
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=press, args=(hall.staff, app)),
                   threading.Thread(target=press, args=(hall.owner, other))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not errors, errors
    assert sorted(results.values()) == [(201, None), (409, "contract_exists")], results
    with app.app_context():
        assert _db.session.execute(select(func.count()).select_from(LotContract)).scalar_one() == 1
        assert _db.session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.stream == f"project:{code}", OutboxMessage.event == "contract")).scalar_one() == 1
        _db.session.remove()
    assert _deposit(app, "alpha")[:2] == ("received", True)
