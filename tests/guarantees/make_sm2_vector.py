"""Make tests/guarantees/guarantee-sm2.json, the SM3withSM2 worked example beside the Ed25519 one.

    .venv/bin/python -m tests.guarantees.make_sm2_vector          # rewrite the file
    .venv/bin/python -m tests.guarantees.make_sm2_vector --check  # exit 1 when the file differs

Deterministic: the private key d and the nonce k are SM3 hashes of fixed labels (public test data, never
to be used for real signatures), so the signature is the same on every run; test_sm2.py checks that the
checked-in file is exactly what this script makes. Signing uses gmalg (through guarantees.sm2); gmssl,
an independent implementation, must reproduce Z, e and the signature from d and k before anything is
written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

from guarantees import sm2
from guarantees.crypto import canonical

HERE = Path(__file__).parent / "guarantee-sm2.json"
D_LABEL = b"Tradehall guarantee-sm2 test vector: private key d"
K_LABEL = b"Tradehall guarantee-sm2 test vector: nonce k"

DOCUMENT = {
    "guarantee_no": "GXBOC-BH-2026-000456",
    "issuer": "GXBOC",
    "type": "bid_bond",
    "applicant": "liuzhou-coop-01",
    "beneficiary": "鹿寨县农村产权流转交易中心",
    "project_code": "NC-2026-0001",
    "amount": "8000.00",
    "currency": "CNY",
    "valid_from": "2026-05-01T00:00:00+08:00",
    "valid_until": "2026-08-31T23:59:59+08:00",
    "issued_at": "2026-04-28T11:20:00+08:00",
}


def scalar(label: bytes) -> int:
    return int.from_bytes(sm2.sm3(label), "big") % (sm2.N - 2) + 1


def gmssl_signature(d: int, point: bytes, message: bytes, k: int) -> tuple[str, str]:
    """(e hex, r‖s hex) computed by gmssl 3.2.x, independently of gmalg."""
    from gmssl import sm2 as gm

    signer = gm.CryptSM2(private_key=f"{d:064x}", public_key="00")
    signer.public_key = point[1:].hex()  # set directly: its constructor lstrip("04")s the key
    return signer._sm3_z(message), signer.sign_with_sm3(message, f"{k:064x}")  # noqa: SLF001


def build() -> dict:
    d, k = scalar(D_LABEL), scalar(K_LABEL)
    key = sm2.SM2PrivateKey(d, rnd=lambda _bits: k)
    public = key.public_key()
    message = canonical(DOCUMENT)
    z = public.z(sm2.DEFAULT_USER_ID)
    e = sm2.sm3(z + message)
    der = key.sign(message)
    ((r, s),) = sm2.decode_signature(der)
    gm_e, gm_rs = gmssl_signature(d, public.point, message, k)
    if gm_e != e.hex() or gm_rs != f"{r:064x}{s:064x}":
        raise SystemExit("gmssl does not reproduce the signature: not writing the vector")
    return {
        "about": "Test vector for POST /api/v1/guarantees with an SM2 key (SM3withSM2, GB/T 32918.2; user ID "
                 "1234567812345678). d and k are SM3 hashes of public labels: test data, use them only in tests. "
                 "Made by tests/guarantees/make_sm2_vector.py.",
        "algorithm": "sm2",
        "user_id": sm2.DEFAULT_USER_ID.decode("ascii"),
        "private_key_hex": f"{d:064x}",
        "private_key_pem": key.pkcs8_pem(),
        "public_key_pem": public.pem(),
        "public_key_xy_hex": public.point[1:].hex(),
        "document": DOCUMENT,
        "canonical_utf8": message.decode("utf-8"),
        "canonical_sha256": hashlib.sha256(message).hexdigest(),
        "z_hex": z.hex(),
        "e_hex": e.hex(),
        "k_hex": f"{k:064x}",
        "signature_encoding": "base64 of DER SEQUENCE{INTEGER r, INTEGER s} (GB/T 35276)",
        "signature": base64.b64encode(der).decode("ascii"),
        "signature_r_s_hex": f"{r:064x}{s:064x}",
        "tampered": {"change": {"amount": "80000.00"}, "expect": "422 bad_signature"},
    }


def render(vector: dict) -> str:
    return json.dumps(vector, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str]) -> int:
    text = render(build())
    if "--check" in argv:
        return 0 if HERE.read_text(encoding="utf-8") == text else 1
    HERE.write_text(text, encoding="utf-8")
    print(f"wrote {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
