"""The server's side of a sealed tender bid: check the envelope, and decrypt with the key its bidder sends after
the deadline. Pure functions (no Flask, no database)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from decimal import Decimal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from trading.money import MoneyError, parse_amount

MAX_CIPHERTEXT = 64 * 1024
MIN_ITERATIONS, MAX_ITERATIONS = 100000, 10_000_000


class EnvelopeError(ValueError):
    def __init__(self, fields: dict[str, str]):
        super().__init__("；".join(fields.values()))
        self.fields = fields


class DecryptionFailed(ValueError):
    code = "decryption_failed"


def _b64(raw: object) -> bytes | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def check_envelope(body: object) -> tuple[bytes, bytes, bytes, int]:
    """(ciphertext, nonce, salt, iterations), every bad field reported at once."""
    if not isinstance(body, dict):
        raise EnvelopeError({"body": "必须是 JSON 对象"})
    errors: dict[str, str] = {}
    ct, nonce, salt = _b64(body.get("ciphertext")), _b64(body.get("nonce")), _b64(body.get("salt"))
    if ct is None or len(ct) < 17 or len(ct) > MAX_CIPHERTEXT:
        errors["ciphertext"] = "密文须为 base64，且不超过 64 KB"
    if nonce is None or len(nonce) != 12:
        errors["nonce"] = "nonce 须为 12 字节的 base64"
    if salt is None or len(salt) != 16:
        errors["salt"] = "salt 须为 16 字节的 base64"
    it = body.get("iterations")
    if isinstance(it, bool) or not isinstance(it, int) or not MIN_ITERATIONS <= it <= MAX_ITERATIONS:
        errors["iterations"] = f"iterations 须为 {MIN_ITERATIONS} 到 {MAX_ITERATIONS} 之间的整数"
    if errors:
        raise EnvelopeError(errors)
    assert ct is not None
    assert nonce is not None
    assert salt is not None
    assert isinstance(it, int)
    return ct, nonce, salt, it


def receipt_of(ciphertext: bytes) -> str:
    return hashlib.sha256(ciphertext).hexdigest()


def parse_key(raw: object) -> bytes:
    key = _b64(raw)
    if key is None or len(key) != 32:
        raise EnvelopeError({"key": "key 须为 32 字节密钥的 base64"})
    return key


def decrypt_price(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> tuple[Decimal, dict]:
    """The bid's price (and the whole plaintext). A wrong key, nonce or aad, or a plaintext without a valid
    money `price`, raises DecryptionFailed."""
    try:
        plain = AESGCM(key).decrypt(nonce, ciphertext, aad)
    except (InvalidTag, ValueError):
        raise DecryptionFailed("解密失败：密钥不正确，投标文件仍保持密封，可重新提交密钥") from None
    try:
        doc = json.loads(plain.decode("utf-8"), parse_float=Decimal)
        return parse_amount(doc["price"], field="投标报价"), doc
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, MoneyError):
        raise DecryptionFailed("解密成功但报价内容无效：须为 {\"price\": \"金额\"}") from None
