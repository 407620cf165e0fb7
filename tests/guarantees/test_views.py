"""Pages: each role sees its own view; the others are turned away; actions move the state."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from auctions.models import Registration
from guarantees import services
from trading.accounts.models import User
from trading.extensions import db as _db

from .conftest import sign
from .test_api import guarantor_user


def login(app, client, username: str) -> None:
    with app.app_context():
        uid = _db.session.execute(select(User.id).where(User.username == username)).scalar_one()
        _db.session.remove()
    with client.session_transaction() as s:
        s["_user_id"] = str(uid)
        s["_fresh"] = True


@pytest.fixture
def world(app, client, factory, runner, setup, bank):
    factory.user("staff", "staff1")
    factory.user("bidder", "coop1")
    guarantor_user(runner, "banker", "TBANK")
    doc = setup.document("coop1")
    assert client.post("/api/v1/guarantees", json=sign(doc, bank["key"])).status_code == 201
    rid = setup.registration("coop1")
    with app.app_context():
        services.verify_and_attach(guarantee_no=doc["guarantee_no"], registration=_db.session.get(Registration, rid),
                                   actor="coop1")
        _db.session.commit()
    return doc["guarantee_no"]


PAGES = {"bidder": "/guarantees/mine", "guarantor": "/guarantor", "staff": "/staff/guarantees"}
USERS = {"bidder": "coop1", "guarantor": "banker", "staff": "staff1"}


@pytest.mark.parametrize("page_role", list(PAGES))
@pytest.mark.parametrize("user_role", list(USERS))
def test_each_page_is_for_its_role_only(app, client, world, page_role, user_role):
    login(app, client, USERS[user_role])
    r = client.get(PAGES[page_role])
    if page_role == user_role:
        assert r.status_code == 200
        assert world in r.get_data(as_text=True)
    else:
        assert r.status_code == 403


def test_pages_need_a_login(client, world):
    for url in [*PAGES.values(), "/staff/deposits", f"/guarantees/view/{world}"]:
        assert client.get(url).status_code in (302, 401)


def test_the_detail_page_shows_the_lifecycle_and_staff_can_claim_then_the_bank_pays(app, client, world):
    login(app, client, "coop1")
    html = client.get(f"/guarantees/view/{world}").get_data(as_text=True)
    assert "已用于报名" in html
    assert "提出索赔" not in html
    login(app, client, "staff1")
    r = client.post(f"/guarantees/view/{world}/claim", data={"reason": "竞得人拒签"})
    assert r.status_code == 302
    login(app, client, "banker")
    html = client.get("/guarantor").get_data(as_text=True)
    assert "竞得人拒签" in html
    with app.app_context():
        cid = services.find_guarantee(world).claims[0].id
    client.post(f"/guarantor/claims/{cid}/pay")
    with app.app_context():
        assert services.find_guarantee(world).status == "paid"


def test_the_finance_page_lists_what_to_refund_and_marks_it_refunded(app, client, world):
    with app.app_context():
        reg = _db.session.execute(select(Registration)).scalar_one()
        reg.security_type = "deposit"
        dep = services.open_deposit(reg, "coop1")
        services.confirm_deposit(reg, "staff1")
        services.release_security(reg, "staff1", "撤回报名")
        _db.session.commit()
        did = dep.id
    login(app, client, "staff1")
    html = client.get("/staff/deposits").get_data(as_text=True)
    assert "登记已退还" in html
    assert "撤回报名" in html
    assert client.post(f"/staff/deposits/{did}/refund").status_code == 302
    assert "登记已退还" not in client.get("/staff/deposits").get_data(as_text=True)
    assert "coop1" in client.get("/staff/deposits?tab=refunded").get_data(as_text=True)


def test_the_project_panel_shows_staff_the_security_and_a_bidder_its_own_guarantees(app, world, factory, setup):
    from guarantees.panels import security_panel

    factory.user("bidder", "coop9")
    with app.test_request_context("/"):
        project = setup.project()
        users = {u: _db.session.execute(select(User).where(User.username == u)).scalar_one()
                 for u in ("staff1", "coop1", "coop9", "banker")}
        staff_html = security_panel(project, users["staff1"])
        assert "已用于报名" in staff_html
        assert "5,000.00元" in staff_html
        assert world in security_panel(project, users["coop1"])
        assert security_panel(project, users["coop9"]) is None
        assert security_panel(project, users["banker"]) is None
        assert security_panel(project, None) is None
