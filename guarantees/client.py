"""Build, sign and submit an electronic guarantee (API.md "Electronic guarantees").

A bank's integrator can copy this file: it needs only the Python standard library and `cryptography`;
SM2 keys (国密, SM3withSM2 with the default user ID 1234567812345678) also need guarantees/sm2.py beside
it, with `gmalg` and `asn1crypto`.

    from guarantees.client import build_and_sign, load_private_key, submit
    body = build_and_sign(document, load_private_key("bank-ed25519.pem"))
    status, answer = submit("https://trading.example.cn", body)

Or from a shell: python -m guarantees.client keygen --out key.pem [--algorithm ed25519|ecdsa-p256|sm2]
                 python -m guarantees.client sign-and-submit --key key.pem --document doc.json --url URL
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

ALGORITHMS = ("ed25519", "ecdsa-p256", "sm2")


def _sm2() -> Any:
    try:
        from guarantees import sm2
    except ImportError:  # this file copied on its own, with sm2.py beside it
        import sm2  # type: ignore[no-redef]
    return sm2


def _is_sm2(key: Any) -> bool:
    if isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        return False
    try:
        return isinstance(key, _sm2().SM2PrivateKey)
    except ImportError:
        return False


def canonical(document: dict) -> bytes:
    """The signed bytes: sorted keys, no spaces, UTF-8 (not \\u-escaped)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def build_and_sign(document: dict, private_key: Any) -> dict:
    """The request body {"document", "signature"}: the base64 signature over canonical(document).

    Ed25519 (64 bytes), ECDSA P-256 with SHA-256 (DER), or SM3withSM2 with the default user ID (DER
    SEQUENCE{r, s}, GB/T 35276), by the kind of `private_key`.
    """
    message = canonical(document)
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        signature = private_key.sign(message)
    elif isinstance(private_key, ec.EllipticCurvePrivateKey) and isinstance(private_key.curve, ec.SECP256R1):
        signature = private_key.sign(message, ec.ECDSA(hashes.SHA256()))
    elif _is_sm2(private_key):
        signature = private_key.sign(message)  # user ID 1234567812345678
    else:
        raise ValueError("only Ed25519, ECDSA P-256 and SM2 private keys are supported")
    return {"document": document, "signature": base64.b64encode(signature).decode("ascii")}


def submit(base_url: str, body: dict, timeout: float = 30.0) -> tuple[int, dict]:
    """POST the signed body to {base_url}/api/v1/guarantees; returns (HTTP status, JSON answer)."""
    url = base_url.rstrip("/") + "/api/v1/guarantees"
    if not url.startswith(("http://", "https://")):
        raise ValueError("the URL must start with http:// or https://")
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",  # noqa: S310 (scheme checked above)
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return resp.status, json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        raw = err.read().decode("utf-8", "replace")
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, {"error": {"code": "http_error", "message": raw[:500]}}


def generate_key(path: str | Path, algorithm: str = "ed25519") -> str:
    """Write a new private key (PKCS#8 PEM, mode 0600) to `path`; return the public key PEM."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}")
    key: Any
    if algorithm == "sm2":
        key = _sm2().generate_private_key()
        pem = key.pkcs8_pem().encode("ascii")
    else:
        key = ed25519.Ed25519PrivateKey.generate() if algorithm == "ed25519" else ec.generate_private_key(
            ec.SECP256R1())
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return public_pem(key)


def load_private_key(path: str | Path) -> Any:
    """An Ed25519 / P-256 key (cryptography) or an SM2 key (PKCS#8 or SEC 1 PEM with the sm2 curve)."""
    data = Path(path).read_bytes()
    if b"PRIVATE KEY-----" in data:
        sm2_key = _sm2().load_private_pem(data)
        if sm2_key is not None:
            return sm2_key
    return serialization.load_pem_private_key(data, password=None)


def public_pem(private_key: Any) -> str:
    if _is_sm2(private_key):
        return str(private_key.public_key().pem())
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="电子保函：生成密钥、签名并提交")
    sub = parser.add_subparsers(dest="cmd", required=True)
    kg = sub.add_parser("keygen")
    kg.add_argument("--out", required=True)
    kg.add_argument("--algorithm", choices=list(ALGORITHMS), default="ed25519")
    ss = sub.add_parser("sign-and-submit")
    ss.add_argument("--key", required=True)
    ss.add_argument("--document", required=True)
    ss.add_argument("--url", default="http://127.0.0.1:5000")
    args = parser.parse_args(argv)
    if args.cmd == "keygen":
        print(generate_key(args.out, args.algorithm), end="")
        return 0
    document = json.loads(Path(args.document).read_text(encoding="utf-8"))
    status, answer = submit(args.url, build_and_sign(document, load_private_key(args.key)))
    print(json.dumps(answer, ensure_ascii=False))
    return 0 if status == 201 else 1


if __name__ == "__main__":
    sys.exit(main())
