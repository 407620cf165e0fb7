"""Issue 12, finding 6: an individual winner's resident ID number was public on the certificate (API, page,
PDF), and certificate numbers were sequential, so anyone could walk NC-2026-C0001, C0002 … and collect them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.certificates.conftest import make_awarded
from tests.conftest import PASSWORD
from trading import clock
from trading.accounts.credit import make_resident_id
from trading.extensions import db as _db

RESIDENT_ID = make_resident_id(321)  # 450223198501013214-like: an individual's 居民身份证号码
MASKED = RESIDENT_ID[:4] + "*" * 10 + RESIDENT_ID[-4:]


@pytest.fixture
def individual_issued(app, factory, api, signing_keys):
    """A certificate whose transferee (the winner) is a person, not an organisation."""
    from trading.accounts.services import create_org, create_user

    with app.app_context():
        org = create_org("韦秀英", "individual", RESIDENT_ID)
        create_user("bidder_a", PASSWORD, "bidder", org=org)
        _db.session.commit()
        _db.session.remove()
    out = make_awarded(app, factory, api)
    clock.freeze(out["publicity_ends_at"] + timedelta(minutes=5))
    r = api.post(f"/api/v1/projects/{out['id']}/certificate", user=out["staff"])
    assert r.status_code == 201, r.get_json()
    return {**out, **r.get_json()}


def _owner_code(app) -> str:
    from sqlalchemy import select

    from trading.accounts.models import User

    with app.app_context():
        code = _db.session.execute(select(User).where(User.username == "village1")).scalar_one().org.credit_code
        _db.session.remove()
    return code


def test_public_certificate_outputs_mask_a_persons_id_number(individual_issued, client, api, app):
    number = individual_issued["number"]
    body = api.get(f"/api/v1/certificates/{number}").get_json()
    text = api.get(f"/api/v1/certificates/{number}").get_data(as_text=True)
    assert RESIDENT_ID not in text
    assert body["facts"]["transferee"]["org_code"] == MASKED
    assert body["facts"]["transferor"]["org_code"] == _owner_code(app)  # an organisation's code stays
    assert body["signature"]["valid"] is True  # the signed facts are the masked ones
    html = client.get(f"/certificates/{number}").get_data(as_text=True)
    assert RESIDENT_ID not in html and MASKED in html
    from certificates import rules

    rows = " ".join(v for _, v in rules.pdf_rows(body["facts"]))  # the PDF prints exactly these rows
    assert RESIDENT_ID not in rows and MASKED in rows
    pdf = api.get(f"/api/v1/certificates/{number}/pdf").data
    assert RESIDENT_ID.encode() not in pdf
    publicity = api.get(f"/api/v1/projects/{individual_issued['id']}/publicity").get_data(as_text=True)
    assert RESIDENT_ID not in publicity


def test_staff_still_read_the_full_id_number(individual_issued, api):
    number = individual_issued["number"]
    mine = api.get(f"/api/v1/certificates/{number}", user=individual_issued["staff"]).get_json()
    assert mine["party_codes"]["transferee"] == RESIDENT_ID
    assert "party_codes" not in api.get(f"/api/v1/certificates/{number}").get_json()
    register = api.get("/api/v1/certificates", user=individual_issued["staff"]).get_json()
    assert register["items"][0]["party_codes"]["transferee"] == RESIDENT_ID


def test_ocds_parties_carry_no_personal_id_number(app, factory):
    from trading.accounts.services import create_org, create_user
    from trading.stats.ocds import _party

    with app.app_context():
        person = create_user("gerenjingmairen", PASSWORD, "bidder", org=create_org("黄金凤", "individual", RESIDENT_ID))
        party = _party(person, ["supplier"])
        assert RESIDENT_ID not in str(party)
        _db.session.rollback()


def test_certificate_numbers_cannot_be_walked(individual_issued, api, client):
    number, text = individual_issued["number"], individual_issued["number_text"]
    year = clock.to_beijing(clock.now()).year
    assert re.fullmatch(rf"NC-{year}-C0001-[0-9A-Z]{{10}}", number), number
    sequential = f"NC-{year}-C0001"
    for guess in (sequential, text):
        assert api.get(f"/api/v1/certificates/{guess}").status_code == 404
        assert api.get(f"/api/v1/certificates/{guess}/pdf").status_code == 404
        assert client.get(f"/certificates/{guess}").status_code == 404
    # the number printed on the certificate and carried by its QR code opens it, as docs/api.md documents
    assert api.get(f"/api/v1/certificates/{number}").status_code == 200
    assert api.get(f"/api/v1/certificates/{number}").get_json()["facts"]["verify_url"].endswith(f"/certificates/{number}")
    # staff find it by its readable number in the register
    r = api.get("/api/v1/certificates", user=individual_issued["staff"]).get_json()
    assert r["items"][0]["number_text"] == text


@pytest.fixture
def individual_state_asset(app, factory, api):
    """A state-asset transfer won by a person: the state_land data set names the transferee with its code."""
    from trading.accounts.services import create_org, create_user

    with app.app_context():
        org = create_org("韦秀英", "individual", RESIDENT_ID)
        create_user("bidder_a", PASSWORD, "bidder", org=org)
        _db.session.commit()
        _db.session.remove()
    body = factory.project_body(kind="state_asset", title="闲置办公楼转让", price_unit="total", area_mu=None,
                                term_years=None, start_price="800000.00", reserve_price="850000.00",
                                increment="1000.00", deposit="50000.00")
    return make_awarded(app, factory, api, body=body, price="900000.00")


def test_the_public_data_sets_mask_a_persons_id_number(individual_state_asset, client, api, app):
    """Finding 6's flaw in the national data-set exports (open data, no login): a person's code is masked there
    too, in JSON and CSV; organisations' credit codes stay whole."""
    from trading.stats import dataspec

    seen_masked = seen_owner = False
    owner = _owner_code(app)
    for dataset in dataspec.DATASETS:
        r = api.get(f"/api/v1/open-data/spec/{dataset}?from=2020-01-01&to=2035-12-31")
        assert r.status_code == 200, r.get_json()
        csv = client.get(f"/open-data/spec/{dataset}.csv?from=2020-01-01&to=2035-12-31")
        assert csv.status_code == 200
        for body in (r.get_data(as_text=True), csv.get_data(as_text=True)):
            assert RESIDENT_ID not in body
            seen_masked = seen_masked or MASKED in body
            seen_owner = seen_owner or owner in body
    assert seen_masked  # the winner is in one of the data sets, masked
    assert seen_owner  # the listing organisation's credit code is public, whole
