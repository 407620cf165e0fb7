"""Writes the issued PDF to $CERT_PDF_OUT when set (used to look at the rendered page)."""

import os

import pytest


@pytest.mark.skipif(not os.environ.get("CERT_PDF_OUT"), reason="set CERT_PDF_OUT to write the PDF")
def test_write_pdf(issued, api):
    data = api.get(f"/api/v1/certificates/{issued['number']}/pdf").data
    with open(os.environ["CERT_PDF_OUT"], "wb") as fh:
        fh.write(data)


@pytest.mark.skipif(not os.environ.get("CERT_PDF_OUT"), reason="set CERT_PDF_OUT to write the PDF")
def test_write_public_resource_pdf(app, factory, api, signing_keys):
    from datetime import timedelta

    from tests.certificates.conftest import make_awarded
    from trading import clock

    body = factory.project_body(kind="procurement", title="鹿寨县第二中学教学设备采购项目", direction="descending",
                                price_unit="total", area_mu=None, term_years=None, start_price="1200000.00",
                                reserve_price=None, budget="1250000.00", increment="1000.00",
                                location="鹿寨县鹿寨镇")
    out = make_awarded(app, factory, api, body=body, price="1086000.00")
    clock.freeze(out["publicity_ends_at"] + timedelta(seconds=1))
    r = api.post(f"/api/v1/projects/{out['id']}/certificate", user=out["staff"])
    data = api.get(f"/api/v1/certificates/{r.get_json()['number']}/pdf").data
    with open(os.environ["CERT_PDF_OUT"].replace(".pdf", "-gg.pdf"), "wb") as fh:
        fh.write(data)
