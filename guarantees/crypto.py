"""Signature verifiers behind one interface: Ed25519 (required), ECDSA P-256 with SHA-256, and
SM3withSM2 (GB/T 32918.2, default user ID 1234567812345678; see guarantees/sm2.py).

Pure functions over bytes and PEM text: no Flask, no database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from guarantees import sm2

ED25519 = "ed25519"
ECDSA_P256 = "ecdsa-p256"
SM2 = "sm2"  # SM3withSM2
ALGORITHMS = (ED25519, ECDSA_P256, SM2)
LABELS = {ED25519: "Ed25519", ECDSA_P256: "ECDSA P-256", SM2: "国密 SM2"}


class UnusableKey(ValueError):
    """A public key the platform cannot use."""


def _jsonable(obj: Any) -> Any:
    # JSON numbers arrive as exact Decimals; a signer's json.dumps wrote them from Python floats or
    # ints, so reproduce that form (the value itself is checked exactly later, never via float).
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Decimal):
        return float(obj)
    return obj


def canonical(document: dict) -> bytes:
    """API.md: json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False) as UTF-8."""
    return json_dumps(_jsonable(document)).encode("utf-8")


def json_dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_public_key(pem: str) -> tuple[str, Any, str]:
    """(algorithm, key, fingerprint) of a PEM public key: Ed25519, P-256 or SM2.

    The fingerprint is the SHA-256 of the key's DER SubjectPublicKeyInfo (for SM2: the id-ecPublicKey +
    sm2 curve form, whichever of the two SM2 encodings was given).
    """
    try:
        sm2_key = sm2.load_public_pem(pem.strip())
    except sm2.SM2KeyError as exc:
        raise UnusableKey(str(exc)) from None
    except (UnicodeEncodeError, TypeError, AttributeError):
        sm2_key = None
    if sm2_key is not None:
        return SM2, sm2_key, sha256_hex(sm2_key.spki_der())
    try:
        key = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    except UnsupportedAlgorithm:
        raise UnusableKey("仅支持 Ed25519、ECDSA P-256 或国密 SM2 公钥") from None
    except (ValueError, UnicodeEncodeError, TypeError):
        raise UnusableKey("公钥不是有效的 PEM 格式（-----BEGIN PUBLIC KEY-----）") from None
    if isinstance(key, ed25519.Ed25519PublicKey):
        algorithm = ED25519
    elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        algorithm = ECDSA_P256
    else:
        raise UnusableKey("仅支持 Ed25519、ECDSA P-256 或国密 SM2 公钥")
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return algorithm, key, sha256_hex(der)


def normalise_pem(key: Any) -> str:
    if isinstance(key, sm2.SM2PublicKey):
        return key.pem()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def decode_signature(text: Any) -> bytes | None:
    """Standard base64 (padding required); None when it is not."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


def verify(algorithm: str, public_key_pem: str, message: bytes, signature: bytes) -> bool:
    """True when `signature` over `message` verifies with the key; never raises on a bad signature."""
    try:
        loaded, key, _ = load_public_key(public_key_pem)
        if loaded != algorithm:  # a key is only ever used with the algorithm it was registered for
            return False
        if algorithm == ED25519:
            key.verify(signature, message)
        elif algorithm == ECDSA_P256:
            return _verify_ecdsa(key, message, signature)
        elif algorithm == SM2:
            return bool(key.verify(message, signature, sm2.DEFAULT_USER_ID))
        else:
            return False
    except (InvalidSignature, UnusableKey, ValueError):
        return False
    return True


def _verify_ecdsa(key: Any, message: bytes, signature: bytes) -> bool:
    candidates = [signature]
    if len(signature) == 64:  # raw r‖s (IEEE P1363), as some HSMs emit it
        candidates.append(encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                               int.from_bytes(signature[32:], "big")))
    for sig in candidates:
        try:
            key.verify(sig, message, ec.ECDSA(hashes.SHA256()))
            return True
        except (InvalidSignature, ValueError):
            continue
    return False
