"""The center's signing keys: an Ed25519 key for the certified facts, and an X.509 signing certificate
(issued by a local CA that `keys init` also creates) for the PAdES signature of the PDF.

Default location: app.config["TRADING_KEYS_DIR"] (instance/keys). Each path can instead come from the
environment (or app config): TRADING_ED25519_KEY, TRADING_SIGNER_CERT, TRADING_SIGNER_KEY, TRADING_CA_CERT
(TRADING_CA_KEY is only read by `keys init`). Loaded keys are cached per process, keyed by file mtimes.
"""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import current_app

from trading.errors import Unavailable

FILES = {
    "TRADING_ED25519_KEY": "ed25519.key.pem",
    "TRADING_CA_CERT": "ca.cert.pem",
    "TRADING_CA_KEY": "ca.key.pem",
    "TRADING_SIGNER_CERT": "signer.cert.pem",
    "TRADING_SIGNER_KEY": "signer.key.pem",
}


@dataclass(frozen=True)
class KeyPaths:
    ed25519: Path
    ca_cert: Path
    ca_key: Path
    signer_cert: Path
    signer_key: Path

    def needed(self) -> tuple[Path, ...]:
        return (self.ed25519, self.ca_cert, self.signer_cert, self.signer_key)


def key_paths() -> KeyPaths:
    cfg = current_app.config
    base = Path(cfg.get("TRADING_KEYS_DIR") or Path(current_app.instance_path) / "keys")

    def one(var: str) -> Path:
        return Path(cfg.get(var) or os.environ.get(var) or base / FILES[var])

    return KeyPaths(one("TRADING_ED25519_KEY"), one("TRADING_CA_CERT"), one("TRADING_CA_KEY"),
                    one("TRADING_SIGNER_CERT"), one("TRADING_SIGNER_KEY"))


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def init_keys(center_name: str) -> list[Path]:
    """Create whatever is missing; never overwrite. Returns the files created."""
    p = key_paths()
    created: list[Path] = []
    if not p.ed25519.exists():
        _write_private(p.ed25519, _pem_key(ed25519.Ed25519PrivateKey.generate()))
        created.append(p.ed25519)
    start = datetime.now(UTC) - timedelta(days=1)
    if not p.ca_cert.exists() or not p.ca_key.exists():
        if p.signer_cert.exists():
            raise RuntimeError(f"签章证书 {p.signer_cert} 已存在但缺少根证书或根密钥，请先移走后再初始化")
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name(f"{center_name} 电子签章根证书", center_name)
        ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
                   .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(start + timedelta(days=3650 * 2))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, key_cert_sign=True, crl_sign=True,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
                   .sign(ca_key, hashes.SHA256()))
        _write_private(p.ca_key, _pem_key(ca_key))
        _write_private(p.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM))
        created += [p.ca_key, p.ca_cert]
    if not p.signer_cert.exists() or not p.signer_key.exists():
        ca_key = serialization.load_pem_private_key(p.ca_key.read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(p.ca_cert.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(f"{center_name} 电子签章", center_name))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(start + timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                             key_encipherment=False, data_encipherment=False,
                                             key_agreement=False, key_cert_sign=False, crl_sign=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),  # type: ignore[arg-type]
                               critical=False)
                .sign(ca_key, hashes.SHA256()))  # type: ignore[arg-type]
        for path in (p.signer_key, p.signer_cert):
            if path.exists():
                path.unlink()
        _write_private(p.signer_key, _pem_key(key))
        _write_private(p.signer_cert, cert.public_bytes(serialization.Encoding.PEM))
        created += [p.signer_key, p.signer_cert]
    return created


# ------------------------------------------------------------------ loading (cached per process)

_lock = threading.Lock()
_cache: dict[tuple, object] = {}


def _stamp(paths: tuple[Path, ...]) -> tuple | None:
    try:
        return tuple((str(p), p.stat().st_mtime_ns) for p in paths)
    except OSError:
        return None


def _unavailable() -> Unavailable:
    return Unavailable("签章密钥尚未配置，暂不能出具鉴证书（请运行 flask --app wsgi keys init）",
                       code="signing_unavailable")


def _cached(kind: str, paths: tuple[Path, ...], load):
    stamp = _stamp(paths)
    if stamp is None:
        raise _unavailable()
    key = (kind, stamp)
    with _lock:
        if key not in _cache:
            try:
                _cache[key] = load()
            except Exception as exc:  # unreadable or corrupt key material
                raise Unavailable(f"签章密钥无法读取：{type(exc).__name__}", code="signing_unavailable") from exc
        return _cache[key]


def available() -> bool:
    return _stamp(key_paths().needed()) is not None


def _load_ed25519(path: Path) -> ed25519.Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise TypeError("not an Ed25519 key")
    return key


def _load_signer(p: KeyPaths):
    from pyhanko.sign import signers

    from certificates.signer import TemplateSigner

    signer = signers.SimpleSigner.load(str(p.signer_key), str(p.signer_cert), ca_chain_files=(str(p.ca_cert),))
    if signer is None:
        raise ValueError("cannot load signer")
    return TemplateSigner(signing_cert=signer.signing_cert, signing_key=signer.signing_key,
                          cert_registry=signer.cert_registry)


def _public_b64(key: ed25519.Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def ed25519_key() -> ed25519.Ed25519PrivateKey:
    p = key_paths()
    return _cached("ed25519", (p.ed25519,), lambda: _load_ed25519(p.ed25519))  # type: ignore[return-value]


def public_key_b64() -> str:
    return _public_b64(ed25519_key())


def pades_signer():
    """pyHanko SimpleSigner for the X.509 signing key, with the CA in its chain (certificates.signer)."""
    p = key_paths()
    return _cached("pades", (p.signer_key, p.signer_cert, p.ca_cert), lambda: _load_signer(p))


@dataclass(frozen=True)
class SigningMaterial:
    ed25519: ed25519.Ed25519PrivateKey
    public_key_b64: str
    signer: object  # certificates.signer.TemplateSigner
    ca_pem: str


def signing_material() -> SigningMaterial:
    """Everything issuing needs, loaded once per process and key files (one stat of each file per issue)."""
    p = key_paths()

    def load() -> SigningMaterial:
        key = _load_ed25519(p.ed25519)
        return SigningMaterial(key, _public_b64(key), _load_signer(p), p.ca_cert.read_text())

    return _cached("material", p.needed(), load)  # type: ignore[return-value]


def trust_root():
    """The center's CA certificate (asn1crypto), trusted when validating PAdES signatures."""
    from pyhanko.keys import load_cert_from_pemder

    p = key_paths()
    return _cached("ca", (p.ca_cert,), lambda: load_cert_from_pemder(str(p.ca_cert)))


def ca_pem() -> str:
    p = key_paths()
    return _cached("ca_pem", (p.ca_cert,), lambda: p.ca_cert.read_text())  # type: ignore[return-value]


def clear_cache() -> None:
    with _lock:
        _cache.clear()
