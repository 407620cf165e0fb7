"""The bidder's side of a sealed tender bid, exactly as the browser does it with WebCrypto (docs/api.md "Tenders"):
key = PBKDF2-HMAC-SHA256(passphrase, salt, iterations, 32 bytes); AES-256-GCM with aad "<lot_id>:<username>";
plaintext = UTF-8 JSON {"price": "<money>", ...}. Tests and the pages' tests use it to stand in for a browser."""

from __future__ import annotations

import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DEFAULT_ITERATIONS = 600000


def derive_key(passphrase: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", passphrase.encode("utf-8"), salt, iterations, dklen=32)


def aad(lot_id: int, username: str) -> bytes:
    return f"{lot_id}:{username}".encode()


def encrypt_bid(lot_id: int, username: str, passphrase: str, price: str, *, iterations: int = DEFAULT_ITERATIONS,
                extra: dict | None = None, salt: bytes | None = None, nonce: bytes | None = None) -> tuple[dict, str]:
    """(the PUT …/bid body, the base64 key the bidder later sends to decrypt)."""
    salt = salt or os.urandom(16)
    nonce = nonce or os.urandom(12)
    key = derive_key(passphrase, salt, iterations)
    plaintext = json.dumps({"price": price, **(extra or {})}, ensure_ascii=False).encode("utf-8")
    ct = AESGCM(key).encrypt(nonce, plaintext, aad(lot_id, username))
    body = {"ciphertext": base64.b64encode(ct).decode(), "nonce": base64.b64encode(nonce).decode(),
            "salt": base64.b64encode(salt).decode(), "iterations": iterations}
    return body, base64.b64encode(key).decode()


def receipt(body: dict) -> str:
    """The receipt (回执) the server answers: sha256 hex of the ciphertext bytes."""
    return hashlib.sha256(base64.b64decode(body["ciphertext"])).hexdigest()
