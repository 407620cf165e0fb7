"""Signature verifiers behind one interface: Ed25519 (required) and ECDSA P-256 with SHA-256.

Pure functions over bytes and PEM text: no Flask, no database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ED25519 = "ed25519"
ECDSA_P256 = "ecdsa-p256"
ALGORITHMS = (ED25519, ECDSA_P256)


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
    """docs/api.md: json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False) as UTF-8."""
    return json_dumps(_jsonable(document)).encode("utf-8")


def json_dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_public_key(pem: str) -> tuple[str, Any, str]:
    """(algorithm, key, fingerprint) of a PEM public key; only Ed25519 and P-256 are accepted."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError, TypeError):
        raise UnusableKey("公钥不是有效的 PEM 格式（-----BEGIN PUBLIC KEY-----）") from None
    if isinstance(key, ed25519.Ed25519PublicKey):
        algorithm = ED25519
    elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        algorithm = ECDSA_P256
    else:
        raise UnusableKey("仅支持 Ed25519 或 ECDSA P-256 公钥")
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return algorithm, key, sha256_hex(der)


def normalise_pem(key: Any) -> str:
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
        _, key, _ = load_public_key(public_key_pem)
        if algorithm == ED25519:
            key.verify(signature, message)
        elif algorithm == ECDSA_P256:
            return _verify_ecdsa(key, message, signature)
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
