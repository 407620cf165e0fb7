"""Sealed amounts at rest: AES-GCM with a key that never lives in the database.

The key comes from TRADING_SEALED_KEY (64 hex chars or urlsafe base64 of 32 bytes) or from
`<TRADING_KEYS_DIR>/sealed_bids.key`, created on first use with mode 0600. Each ciphertext is bound to
its project and bidder (associated data), so a row copied to another bidder does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from decimal import Decimal
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

KEY_FILE = "sealed_bids.key"


class SealedKeyError(RuntimeError):
    pass


def _decode(raw: str) -> bytes:
    raw = raw.strip()
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        try:
            key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except (binascii.Error, ValueError) as exc:
            raise SealedKeyError("TRADING_SEALED_KEY must be 32 bytes, hex or base64") from exc
    if len(key) != 32:
        raise SealedKeyError("TRADING_SEALED_KEY must be 32 bytes (AES-256)")
    return key


def load_key() -> bytes:
    env = os.environ.get("TRADING_SEALED_KEY") or current_app.config.get("TRADING_SEALED_KEY")
    if env:
        return _decode(env)
    keys_dir = Path(current_app.config["TRADING_KEYS_DIR"])
    path = keys_dir / KEY_FILE
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return _decode(path.read_text())


def request_digest(data: bytes) -> str:
    """A keyed digest (HMAC-SHA256 under a sub-key of the sealing key) of a request that may carry a sealed
    amount: the idempotency cache compares it with a replay's, and without the key, which never lives in the
    database, a loop over every possible amount cannot turn it back into the bid."""
    sub = hmac.new(load_key(), b"tradehall:idempotency-request", hashlib.sha256).digest()
    return hmac.new(sub, data, hashlib.sha256).hexdigest()


def _aad(project_id: int, bidder_id: int) -> bytes:
    return f"sealed-bid:{project_id}:{bidder_id}".encode()


def seal(amount: Decimal, project_id: int, bidder_id: int) -> str:
    nonce = secrets.token_bytes(12)
    ct = AESGCM(load_key()).encrypt(nonce, format(amount, "f").encode(), _aad(project_id, bidder_id))
    return base64.b64encode(nonce + ct).decode("ascii")


def unseal(token: str, project_id: int, bidder_id: int) -> Decimal:
    """Only the closing job calls this, after the end of bidding (services.open_sealed_bids checks)."""
    blob = base64.b64decode(token)
    plain = AESGCM(load_key()).decrypt(blob[:12], blob[12:], _aad(project_id, bidder_id))
    return Decimal(plain.decode())
