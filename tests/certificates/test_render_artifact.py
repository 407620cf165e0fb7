"""Writes the issued PDF to $CERT_PDF_OUT when set (used to look at the rendered page)."""

import os

import pytest


@pytest.mark.skipif(not os.environ.get("CERT_PDF_OUT"), reason="set CERT_PDF_OUT to write the PDF")
def test_write_pdf(issued, api):
    data = api.get(f"/api/v1/certificates/{issued['number']}/pdf").data
    with open(os.environ["CERT_PDF_OUT"], "wb") as fh:
        fh.write(data)
