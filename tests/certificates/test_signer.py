"""certificates.signer.TemplateSigner builds the same CMS bytes as pyHanko's SimpleSigner, only faster."""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import UTC, datetime

import pytest


@pytest.fixture
def signers_pair(app, signing_keys):
    from pyhanko.sign import signers

    from certificates import keys

    with app.app_context():
        fast = keys.pades_signer()
    plain = signers.SimpleSigner(signing_cert=fast.signing_cert, signing_key=fast.signing_key,
                                 cert_registry=fast.cert_registry)
    return fast, plain


def _attrs(signer, digest, **kw):
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    settings = PdfCMSSignedAttributes(signing_time=datetime.now(UTC))
    return asyncio.run(signer.signed_attrs(digest, "sha256", attr_settings=settings, use_pades=True, **kw))


def test_signed_attributes_and_signed_data_are_byte_identical_to_pyhanko(signers_pair):
    from certificates.signer import TemplateSigner

    fast, plain = signers_pair
    assert isinstance(fast, TemplateSigner)
    for i in range(3):  # the first call builds the templates, the next ones use them
        digest = hashlib.sha256(b"document %d" % i).digest()
        attrs = _attrs(fast, digest)
        assert attrs.dump() == _attrs(plain, digest).dump()
        signature = fast.sign_raw(attrs.dump(), "sha256")
        kw = dict(digest_algorithm="sha256", cms_version="v1", signed_attrs=attrs, signature=signature,
                  unsigned_attrs=None, encap_content_info={"content_type": "data"})
        assert fast._package_signature(**kw).dump() == plain._package_signature(**kw).dump()


def test_raw_signature_verifies_with_the_certificate_key(signers_pair):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    fast, _ = signers_pair
    data = b"signed attributes"
    public = load_der_public_key(fast.signing_cert.public_key.dump())
    public.verify(fast.sign_raw(data, "sha256"), data, ec.ECDSA(hashes.SHA256()))  # raises when wrong


def test_other_settings_go_through_pyhanko_unchanged(signers_pair):
    fast, plain = signers_pair
    digest = hashlib.sha256(b"x").digest()
    # not PAdES: pyHanko's generic PDF attributes (with CMS algorithm protection), not the PAdES template
    def types(signer):
        return sorted(a["type"].native for a in asyncio.run(signer.signed_attrs(digest, "sha256", use_pades=False)))

    assert types(fast) == types(plain)
    assert "cms_algorithm_protection" in types(fast)
    assert not fast._plain(None, use_pades=True, timestamper=None, dry_run=True, is_pdf_sig=True)


def test_signed_pdf_validates_and_two_signatures_differ(app, signing_keys):
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from reportlab.pdfgen import canvas

    from certificates import pdf

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(100, 700, "x")
    c.save()
    with app.app_context():
        outs = [pdf.sign_pdf(buf.getvalue(), reason="r", location="l", name="n") for _ in range(2)]
    vc = ValidationContext(trust_roots=[load_cert_from_pemder(str(signing_keys.ca_cert))])
    contents = []
    for out in outs:
        sig = PdfFileReader(io.BytesIO(out)).embedded_signatures[0]
        status = validate_pdf_signature(sig, vc)
        assert status.intact and status.valid and status.trusted and status.coverage.name == "ENTIRE_FILE"
        contents.append(sig.pkcs7_content)
    assert contents[0] != contents[1]  # each document gets its own digest and signature
