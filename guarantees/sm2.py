"""SM2 keys and SM3withSM2 signatures (GB/T 32918.2, user ID per GB/T 35276) for electronic guarantees.

Pure functions over bytes and PEM text, shared by the platform's verifier (guarantees.crypto) and the
guarantor-side helper (guarantees.client); it needs only the standard library, `gmalg` and `asn1crypto`.

Library choice: `gmalg` (pure Python, MIT, maintained) does the curve arithmetic, SM3 and the signature.
It computes Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) and e = SM3(Z ‖ M) for any user ID, draws the
nonce k from `secrets`, and its verifier checks 1 ≤ r, s ≤ n−1 and t ≠ 0 — the tests reproduce the
GB/T 32918.2 Annex A worked example with it, value for value. `gmssl` 3.2.2 was not chosen: its nonces
come from `random.choice` (not a CSPRNG: a signer's private key could be recovered), it mangles public
keys whose hex starts with "04" (`lstrip("04")`), it hard-codes the user ID and it skips the r/s range
checks; the tests use it only as an independent second implementation.

Keys are the SubjectPublicKeyInfo that OpenSSL 3, GmSSL and Chinese CAs write: id-ecPublicKey with the
named curve sm2 (1.2.156.10197.1.301); the form with 1.2.156.10197.1.301 as the algorithm itself is read
too. Private keys: PKCS#8 ("PRIVATE KEY") or SEC 1 ("EC PRIVATE KEY" / "SM2 PRIVATE KEY") with the same curve.

Signatures: DER SEQUENCE{INTEGER r, INTEGER s} (GB/T 35276), strict DER; raw r‖s (64 bytes, each
big-endian 32 bytes) is accepted as well, as some signing devices emit it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from asn1crypto import algos, core, keys, pem
from gmalg import SM2, SM3
from gmalg.errors import GMError
from gmalg.sm2 import SM2Core, _ecdlp, bytes_to_point  # _ecdlp: gmalg's SM2 curve (GB/T 32918.5)

SM2_CURVE_OID = "1.2.156.10197.1.301"
EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1"
DEFAULT_USER_ID = b"1234567812345678"  # GB/T 35276: the default signer ID when none is agreed
P = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_00000000_FFFFFFFF_FFFFFFFF  # the field prime
N = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_7203DF6B_21C6052B_53BBF409_39D54123  # order of G

# SubjectPublicKeyInfo prefix for id-ecPublicKey + sm2, followed by 04 ‖ x ‖ y (what OpenSSL 3 writes).
_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")
# PKCS#8 PrivateKeyInfo prefix (same algorithm) around ECPrivateKey{1, d (32 bytes), [1] publicKey}.
_PKCS8_PREFIX = bytes.fromhex("308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420")


class _AlgorithmIdentifier(core.Sequence):
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", core.Any, {"optional": True})]


class _SubjectPublicKeyInfo(core.Sequence):  # asn1crypto's own refuses algorithm OIDs it does not know
    _fields = [("algorithm", _AlgorithmIdentifier), ("public_key", core.OctetBitString)]


class _PrivateKeyInfo(core.Sequence):
    _fields = [("version", core.Integer), ("algorithm", _AlgorithmIdentifier), ("private_key", core.OctetString),
               ("attributes", core.Any, {"implicit": 0, "optional": True})]


class SM2KeyError(ValueError):
    """The text is an SM2 key the platform cannot use (bad encoding or a point not on the SM2 curve)."""


def sm3(data: bytes) -> bytes:
    h = SM3()
    h.update(data)
    return h.value()


def _core() -> SM2Core:
    # A fresh core per use: gmalg's core keeps one SM3 state, so sharing it across threads is unsafe.
    return SM2Core(_ecdlp, SM3())


def _point(raw: bytes) -> bytes:
    """The uncompressed 65-byte point 04 ‖ x ‖ y, checked to lie on the SM2 curve (and not be O)."""
    if len(raw) not in (33, 65) or raw[0] not in ((4,) if len(raw) == 65 else (2, 3)):
        raise SM2KeyError("SM2 公钥须为 04‖x‖y（或压缩形式）的曲线点")
    try:
        xy = bytes_to_point(raw)
        ok = xy != _ecdlp.ec.INF and all(0 <= c < P for c in xy) and _core().verify_pk(xy)
    except (GMError, ValueError, TypeError):
        ok = False
    if not ok:
        raise SM2KeyError("公钥不是 SM2 曲线上的有效点")
    return b"\x04" + xy[0].to_bytes(32, "big") + xy[1].to_bytes(32, "big")


@dataclass(frozen=True)
class SM2PublicKey:
    point: bytes  # 04 ‖ x ‖ y, on the curve

    def spki_der(self) -> bytes:
        return _SPKI_PREFIX + self.point

    def pem(self) -> str:
        return pem.armor("PUBLIC KEY", self.spki_der()).decode("ascii")

    def z(self, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA)."""
        return _core().entity_info(user_id, _xy(self.point))

    def verify(self, message: bytes, signature: bytes, user_id: bytes = DEFAULT_USER_ID) -> bool:
        """True when `signature` (DER or raw r‖s) is an SM3withSM2 signature of `message` by this key."""
        engine = SM2(pk=self.point, uid=user_id)
        for r, s in decode_signature(signature):
            if engine.verify(message, r.to_bytes(32, "big"), s.to_bytes(32, "big")):
                return True
        return False


@dataclass(frozen=True)
class SM2PrivateKey:
    secret: int
    rnd: Callable[[int], int] | None = None  # the nonce source; None = secrets.randbits (only tests set it)

    def public_key(self) -> SM2PublicKey:
        return SM2PublicKey(_point(SM2().generate_pk(self.secret.to_bytes(32, "big"))))

    def sign(self, message: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """The DER SEQUENCE{r, s} SM3withSM2 signature of `message`."""
        engine = SM2(sk=self.secret.to_bytes(32, "big"), uid=user_id, pk=self.public_key().point, rnd_fn=self.rnd)
        r, s = engine.sign(message)
        return encode_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))

    def pkcs8_pem(self) -> str:
        # Fixed layout (32-byte d, 65-byte point), byte for byte what OpenSSL 3 writes for an SM2 key.
        der = (_PKCS8_PREFIX + self.secret.to_bytes(32, "big") + bytes.fromhex("a144034200")
               + self.public_key().point)
        return pem.armor("PRIVATE KEY", der).decode("ascii")


def _xy(point: bytes) -> tuple[int, int]:
    return int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:65], "big")


def generate_private_key() -> SM2PrivateKey:
    return SM2PrivateKey(secrets.randbelow(N - 2) + 1)  # d ∈ [1, n−2] (GB/T 32918.1 §6.1)


def _unarmor(text: str | bytes, kinds: tuple[str, ...]) -> tuple[str, bytes] | None:
    data = text.encode("ascii") if isinstance(text, str) else text
    try:
        kind, _, der = pem.unarmor(data.strip())
    except (ValueError, TypeError):
        return None
    return (kind, der) if kind in kinds else None


_SM2_CURVE_DER = bytes.fromhex("06082a811ccf5501822d")  # OBJECT IDENTIFIER 1.2.156.10197.1.301
_NULL_DER = bytes.fromhex("0500")


def _is_sm2(algorithm: _AlgorithmIdentifier) -> bool:
    """id-ecPublicKey with the named curve sm2, or 1.2.156.10197.1.301 itself as the algorithm."""
    oid = algorithm["algorithm"].dotted
    params = algorithm["parameters"]
    raw = b"" if isinstance(params, core.Void) else params.dump()
    if oid == SM2_CURVE_OID:
        return raw in (b"", _NULL_DER, _SM2_CURVE_DER)
    return oid == EC_PUBLIC_KEY_OID and raw == _SM2_CURVE_DER


def load_public_pem(text: str | bytes) -> SM2PublicKey | None:
    """The SM2 key in a PEM SubjectPublicKeyInfo; None when the PEM holds some other kind of key.

    Raises SM2KeyError when the PEM says SM2 but its point is not a valid SM2 public key (e.g. a P-256
    point mislabelled with the SM2 curve OID).
    """
    found = _unarmor(text, ("PUBLIC KEY",))
    if found is None:
        return None
    try:
        info = _SubjectPublicKeyInfo.load(found[1], strict=True)
        if not _is_sm2(info["algorithm"]):
            return None
        raw = info["public_key"].native
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(raw, bytes):
        raise SM2KeyError("SM2 公钥编码无效")
    return SM2PublicKey(_point(raw))


def load_private_pem(text: str | bytes) -> SM2PrivateKey | None:
    """The SM2 private key in a PKCS#8 or SEC 1 PEM (OpenSSL labels the latter SM2 PRIVATE KEY); None otherwise."""
    found = _unarmor(text, ("PRIVATE KEY", "EC PRIVATE KEY", "SM2 PRIVATE KEY"))
    if found is None:
        return None
    kind, der = found
    try:
        if kind == "PRIVATE KEY":
            info = _PrivateKeyInfo.load(der, strict=True)
            if not _is_sm2(info["algorithm"]):
                return None
            ec_key = keys.ECPrivateKey.load(info["private_key"].native, strict=True)
        else:
            ec_key = keys.ECPrivateKey.load(der, strict=True)
            params = ec_key["parameters"]
            if not (params.name == "named" and params.chosen.dotted == SM2_CURVE_OID):
                return None
        secret = ec_key["private_key"].native
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(secret, int) or not 1 <= secret <= N - 2:
        raise SM2KeyError("SM2 私钥无效")
    return SM2PrivateKey(secret)


def encode_signature(r: int, s: int) -> bytes:
    return algos.DSASignature({"r": r, "s": s}).dump()


def decode_signature(signature: bytes) -> list[tuple[int, int]]:
    """The (r, s) readings of a signature: strict DER SEQUENCE{r, s}, and raw r‖s when it is 64 bytes."""
    out = []
    try:
        seq = algos.DSASignature.load(signature, strict=True)
        r, s = seq["r"].native, seq["s"].native
        if encode_signature(r, s) == signature and 0 < r < N and 0 < s < N:  # canonical DER only
            out.append((r, s))
    except (ValueError, TypeError, KeyError):
        pass
    if len(signature) == 64:
        out.append((int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")))
    return [(r, s) for r, s in out if 0 < r < N and 0 < s < N]
