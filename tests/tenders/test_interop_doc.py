"""Tendering's pushes and exports against docs/data-spec.md: each published step of a tender enqueues exactly one
message of its event (announcement, clarification, opening, candidates, award — the award notice —, contract,
failure) whose payload keys are exactly the documented ones; the pushed 统一交易标识码 is the data sets' 33-character
code, not the tender number; a lot's data-set row is built with exactly its data set's columns; every OCDS path
of a tender release (with its contract) is documented."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.stats.data_spec_doc import OCDS, TENDER_PUSH, documented_paths, events_of, fields_of_event, paths
from tests.tenders.conftest import org
from trading import clock
from trading.extensions import db as _db

PRICES = {"alpha": "900000.00", "beta": "950000.00", "gamma": "980000.00"}
CREDIT = "12450223MB1234567X"


def _messages(app, code: str) -> list[tuple[str, dict]]:
    from trading.outbox import OutboxMessage

    with app.app_context():
        rows = [(m.event, m.payload) for m in _db.session.execute(select(OutboxMessage).where(
            OutboxMessage.stream == f"project:{code}").order_by(OutboxMessage.id)).scalars()]
        _db.session.remove()
    return rows


class Stream:
    def __init__(self, app, code: str):
        self.app, self.code, self.seen = app, code, 0

    def one(self, event: str) -> dict:
        """Exactly one new message since the last call, of `event`, with exactly the documented keys."""
        rows = _messages(self.app, self.code)
        new, self.seen = rows[self.seen:], len(rows)
        assert [e for e, _ in new] == [event], [e for e, _ in new]
        payload = new[0][1]
        assert paths(payload) == fields_of_event(TENDER_PUSH, event), (event, paths(payload) ^ fields_of_event(
            TENDER_PUSH, event))
        return payload


def _window() -> str:
    d = clock.now().astimezone(clock.BEIJING).date()
    return f"from={d.replace(day=1).isoformat()}&to={d.isoformat()}"


def test_the_documented_events_are_the_ones_tendering_pushes():
    from tenders import push

    assert events_of(TENDER_PUSH) == set(push.EVENT_LABELS)


def test_every_step_pushes_one_documented_message_with_the_exported_unified_code(app, hall, api, signing_keys):
    from tests.stats.ocds_cove import errors

    old = app.config.get("TRADING_CENTER_CREDIT_CODE")
    app.config["TRADING_CENTER_CREDIT_CODE"] = CREDIT
    try:
        t = hall.tender()
        lot_id, code = t["lots"][0]["id"], t["code"]
        s = Stream(app, code)
        announcement = s.one("announcement")
        assert announcement["标段"][0]["投标保证金"] == "20000.00"
        r = api.post(f"/api/v1/tenders/{t['id']}/clarifications", {"text": "第3.2条改为……"}, user=hall.owner)
        assert r.status_code == 201
        assert s.one("clarification")["澄清内容"] == "第3.2条改为……"
        for name, price in PRICES.items():
            hall.bidder(name)
            hall.register(lot_id, name)
            assert hall.bid(lot_id, name, price).status_code == 200
        hall.to_deadline(lot_id)
        for name in PRICES:
            assert hall.decrypt(lot_id, name).status_code == 200
        assert len(s.one("opening")["开标记录"]["bids"]) == 3  # revealed when the last bidder decrypted
        hall.experts(5)
        members = hall.committee(lot_id)
        hall.score_all(lot_id, members, {org(n): {"tech": "40", "biz": "10"} for n in PRICES})
        assert _messages(app, code)[s.seen:] == []  # the committee and the scores are not published
        assert api.post(f"/api/v1/lots/{lot_id}/publicize", user=hall.staff).status_code == 200
        assert [c["投标人"] for c in s.one("candidates")["中标候选人"]] == [org(n) for n in PRICES]
        clock.advance(3 * 86400 + 1)
        assert api.post(f"/api/v1/lots/{lot_id}/award", user=hall.staff).status_code == 200
        award = s.one("award")  # the award notice (中标通知书) is pushed once
        assert award["中标人"] == org("alpha") and award["中标价"] == "900000.00"
        day = clock.now().astimezone(clock.BEIJING).date().isoformat()
        r = api.post(f"/api/v1/lots/{lot_id}/contract", {"signed_on": day}, user=hall.staff)
        assert r.status_code == 201, r.get_json()
        assert s.one("contract")["合同金额"] == "900000.00"
        # one code everywhere: every message carries the construction data set's 统一交易标识码
        (row,) = api.get(f"/api/v1/open-data/spec/construction?{_window()}").get_json()["items"]
        unified = row["统一交易标识码"]
        assert len(unified) == 33 and unified.startswith(CREDIT) and unified != code
        assert {p["统一交易标识码"] for _, p in _messages(app, code)} == {unified}
        # the lot's row is built with exactly the data set's columns (nothing dropped, nothing missing)
        from tenders.opendata import construction_rows
        from trading.stats.dataspec import DATASETS

        with app.app_context():
            now = clock.now()
            (built,) = list(construction_rows(now - timedelta(days=60), now + timedelta(seconds=1)))
            _db.session.remove()
        assert set(built) == set(DATASETS["construction"].columns)
        # every OCDS path of the release (tender, lots, bids, award, contract) is documented; libcoveocds accepts it
        pkg = api.get(f"/api/v1/ocds/releases?{_window()}").get_json()
        rel = next(r for r in pkg["releases"] if r["tender"]["id"] == code)
        emitted = paths(rel)
        assert {"tender.lots[].id", "bids.details[].relatedLots", "awards[].relatedLots", "contracts[].dateSigned",
                "contracts[].awardID"} <= emitted
        assert emitted - documented_paths(OCDS, 2) == set()
        core = {k: v for k, v in pkg.items() if k != "extensions"}
        assert errors(core) == []
    finally:
        app.config["TRADING_CENTER_CREDIT_CODE"] = old


def test_a_failed_lot_pushes_one_documented_failure(app, hall, api):
    t = hall.tender()
    lot_id, code = t["lots"][0]["id"], t["code"]
    s = Stream(app, code)
    s.one("announcement")
    for name in ("alpha", "beta"):
        hall.bidder(name)
        hall.register(lot_id, name)
        assert hall.bid(lot_id, name, "900000.00").status_code == 200
    hall.to_deadline(lot_id)
    assert hall.sweep() == 1
    assert s.one("failure")["流标原因"] == "投标人不足三家"
    assert hall.sweep() == 0 and _messages(app, code)[s.seen:] == []
