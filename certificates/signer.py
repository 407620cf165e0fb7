"""The PAdES signer: pyHanko's SimpleSigner with the CMS parts that are the same for every certificate built once.

For a PAdES signature without timestamp, revocation info or CAdES extras (ours), the signed attributes are
content-type, message-digest and signing-certificate-v2: only the 32-byte message digest changes from one
certificate to the next. The SignedData around them (digest algorithms, the certificates, the signer's issuer and
serial, the algorithm identifiers) changes only in the signed attributes and the signature value. asn1crypto
re-encodes such nested structures many times over when they are built from Python values (~9 ms per signature,
most of sign_pdf), so they are built by pyHanko once per process and key, kept as DER, and per signature only the
digest and the signature are put in. Anything else (another digest algorithm, a timestamper, a dry run...) goes
through pyHanko unchanged. tests/certificates/test_signer.py checks the output is byte-identical to pyHanko's.
"""

from __future__ import annotations

import secrets
import threading

from asn1crypto import cms
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign import signers
from pyhanko.sign.general import get_pyca_cryptography_hash


class TemplateSigner(signers.SimpleSigner):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._attr_templates: dict[tuple, tuple[bytes, bytes]] = {}
        self._package_templates: dict[tuple, bytes] = {}
        self._private_key = None

    # -------------------------------------------------------------- signed attributes

    def _plain(self, attr_settings, use_pades: bool, timestamper, dry_run: bool, is_pdf_sig: bool) -> bool:
        """Only the message digest can differ between two calls with these settings."""
        return (use_pades and is_pdf_sig and timestamper is None and not dry_run
                and self.signed_attr_prov_spec is None
                and (attr_settings is None or (attr_settings.cades_signed_attrs is None
                                               and getattr(attr_settings, "adobe_revinfo_attr", None) is None)))

    async def signed_attrs(self, data_digest: bytes, digest_algorithm: str, attr_settings=None, content_type="data",
                           use_pades=False, timestamper=None, dry_run=False, is_pdf_sig=True):
        args = dict(attr_settings=attr_settings, content_type=content_type, use_pades=use_pades,
                    timestamper=timestamper, dry_run=dry_run, is_pdf_sig=is_pdf_sig)
        if not self._plain(attr_settings, use_pades, timestamper, dry_run, is_pdf_sig):
            return await super().signed_attrs(data_digest, digest_algorithm, **args)
        key = (digest_algorithm, str(content_type), len(data_digest))
        template = self._attr_templates.get(key)
        if template is None:
            marker = secrets.token_bytes(len(data_digest))  # 32 random bytes: occurs once, as the digest
            der = (await super().signed_attrs(marker, digest_algorithm, **args)).dump()
            parts = der.split(marker)
            if len(parts) != 2:  # pragma: no cover - would mean the digest is not stored verbatim
                return await super().signed_attrs(data_digest, digest_algorithm, **args)
            template = self._attr_templates[key] = (parts[0], parts[1])
        return cms.CMSAttributes.load(template[0] + data_digest + template[1])

    # -------------------------------------------------------------- the SignedData around them

    def _package_signature(self, *, digest_algorithm, cms_version, signed_attrs, signature, unsigned_attrs,
                           encap_content_info):
        if unsigned_attrs is not None or encap_content_info not in (None, {"content_type": "data"}):
            return super()._package_signature(digest_algorithm=digest_algorithm, cms_version=cms_version,
                                              signed_attrs=signed_attrs, signature=signature,
                                              unsigned_attrs=unsigned_attrs, encap_content_info=encap_content_info)
        key = (digest_algorithm, str(cms_version))
        template = self._package_templates.get(key)
        if template is None:
            template = self._package_templates[key] = super()._package_signature(
                digest_algorithm=digest_algorithm, cms_version=cms_version, signed_attrs=signed_attrs,
                signature=signature, unsigned_attrs=None, encap_content_info=encap_content_info).dump()
        info = cms.ContentInfo.load(template)
        signer_info = info["content"]["signer_infos"][0]
        signer_info["signed_attrs"] = signed_attrs
        signer_info["signature"] = signature
        return info

    # -------------------------------------------------------------- the raw signature

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """ECDSA with the key parsed once (SimpleSigner parses the PKCS#8 DER again for every signature)."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism.signature_algo != "ecdsa":
            return super().sign_raw(data, digest_algorithm)
        key = self._private_key
        if key is None:
            with self._lock:
                key = self._private_key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
