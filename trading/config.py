"""Configuration from the environment; every jurisdiction-specific rule is a setting."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = ROOT / "instance"


class ConfigError(RuntimeError):
    pass


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"环境变量 {name} 必须是整数，当前为 {raw!r}") from exc


def _normalise_db_url(url: str) -> str:
    # Heroku-style URLs name the driver implicitly; we always use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _secret_key(instance: Path, production: bool) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise ConfigError(
            "生产环境（TRADING_ENV=production）必须设置 SECRET_KEY 环境变量；"
            "SECRET_KEY is required when TRADING_ENV=production"
        )
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def load_config(overrides: dict | None = None) -> dict:
    overrides = overrides or {}
    instance = Path(overrides.get("INSTANCE_PATH") or os.environ.get("TRADING_INSTANCE") or DEFAULT_INSTANCE)
    production = os.environ.get("TRADING_ENV", "development") == "production"
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'tradehall.db'}"
    cfg: dict = {
        "INSTANCE_PATH": str(instance),
        "TRADING_ENV": "production" if production else "development",
        "SQLALCHEMY_DATABASE_URI": _normalise_db_url(db_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {},  # stale connections: trading.db pings those idle > 1 s
        "TRADING_MIN_ANNOUNCEMENT_SECONDS": _int_env("TRADING_MIN_ANNOUNCEMENT_SECONDS", 432000),
        "TRADING_PUBLICITY_SECONDS": _int_env("TRADING_PUBLICITY_SECONDS", 432000),
        "TRADING_DEFAULT_EXTENSION_SECONDS": _int_env("TRADING_DEFAULT_EXTENSION_SECONDS", 300),
        "TRADING_TOKEN_TTL_SECONDS": _int_env("TRADING_TOKEN_TTL_SECONDS", 86400),
        "TRADING_IDEMPOTENCY_RETENTION_HOURS": _int_env("TRADING_IDEMPOTENCY_RETENTION_HOURS", 24),
        # failed logins: an address is throttled first (TRADING_LOGIN_FAILURES_PER_IP, a Flask-Limiter limit
        # string), the account locks for a while only after more failures (a last resort against many addresses)
        "TRADING_MAX_FAILED_LOGINS": _int_env("TRADING_MAX_FAILED_LOGINS", 10),
        # notifications: e-mail over SMTP, SMS through a gateway (trading/accounts/delivery.py); empty = off
        "TRADING_SMTP_HOST": os.environ.get("TRADING_SMTP_HOST", ""),
        "TRADING_SMTP_PORT": _int_env("TRADING_SMTP_PORT", 25),
        "TRADING_SMTP_USER": os.environ.get("TRADING_SMTP_USER", ""),
        "TRADING_SMTP_PASSWORD": os.environ.get("TRADING_SMTP_PASSWORD", ""),
        "TRADING_SMTP_STARTTLS": os.environ.get("TRADING_SMTP_STARTTLS", "") in ("1", "true", "yes"),
        "TRADING_SMTP_FROM": os.environ.get("TRADING_SMTP_FROM", "noreply@tradehall.local"),
        "TRADING_SMS_GATEWAY": os.environ.get("TRADING_SMS_GATEWAY", ""),  # "" | http | test
        "TRADING_SMS_URL": os.environ.get("TRADING_SMS_URL", ""),
        "TRADING_SMS_TOKEN": os.environ.get("TRADING_SMS_TOKEN", ""),
        "TRADING_NOTIFY_TIMEOUT_SECONDS": _int_env("TRADING_NOTIFY_TIMEOUT_SECONDS", 10),
        "TRADING_NOTIFY_MAX_ATTEMPTS": _int_env("TRADING_NOTIFY_MAX_ATTEMPTS", 5),
        # SQLite: writers queue on a flock() beside the database instead of SQLite's sleeping busy handler
        "TRADING_SQLITE_WRITE_GATE": os.environ.get("TRADING_SQLITE_WRITE_GATE", "1") not in ("0", "false", "no"),
        "TRADING_NOTIFY_BACKOFF_SECONDS": _int_env("TRADING_NOTIFY_BACKOFF_SECONDS", 30),
        "TRADING_DEADLINE_SWEEP_SECONDS": _int_env("TRADING_DEADLINE_SWEEP_SECONDS", 60),
        # time limits (红黄牌, trading/oversight): "<n>wd" working days, "<n>d" calendar days, "<n>h" hours;
        # the legal source of each default is in README's configuration table
        **{f"TRADING_LIMIT_{k}": os.environ.get(f"TRADING_LIMIT_{k}", v) for k, v in (
            ("LISTING_REVIEW", "3wd"), ("QUALIFICATION", "2wd"), ("DEPOSIT_REFUND", "5d"),
            ("OBJECTION_REPLY", "3d"), ("CERTIFICATE_ISSUE", "3wd"), ("RATING_REPLY", "15wd"),
            ("CLARIFICATION_ANSWER", "3d"))},
        # tendering (docs/api.md "Tenders")
        "TRADING_MIN_TENDER_SECONDS": _int_env("TRADING_MIN_TENDER_SECONDS", 1728000),
        "TRADING_MIN_CLARIFICATION_SECONDS": _int_env("TRADING_MIN_CLARIFICATION_SECONDS", 1296000),
        "TRADING_DECRYPT_SECONDS": _int_env("TRADING_DECRYPT_SECONDS", 1800),
        "TRADING_CANDIDATE_PUBLICITY_SECONDS": _int_env("TRADING_CANDIDATE_PUBLICITY_SECONDS", 259200),
        "TRADING_BID_VALIDITY_SECONDS": _int_env("TRADING_BID_VALIDITY_SECONDS", 7776000),
        "TRADING_MAX_SECURITY_CONSTRUCTION": os.environ.get("TRADING_MAX_SECURITY_CONSTRUCTION", "800000.00"),
        "TRADING_LOCKOUT_SECONDS": _int_env("TRADING_LOCKOUT_SECONDS", 900),
        "TRADING_LOGIN_FAILURES_PER_IP": os.environ.get("TRADING_LOGIN_FAILURES_PER_IP", "5 per 15 minutes"),
        # reverse proxies in front of the app (hops): X-Forwarded-For/-Proto are believed only from that many;
        # 0 (the default) ignores them, so a client cannot pick the address rate limits and audits see
        "TRADING_TRUSTED_PROXIES": _int_env("TRADING_TRUSTED_PROXIES", 0),
        "TRADING_CENTER_NAME": os.environ.get("TRADING_CENTER_NAME", "鹿寨县公共资源交易中心"),
        "TRADING_RURAL_CENTER_NAME": os.environ.get("TRADING_RURAL_CENTER_NAME", "鹿寨县农村产权流转交易中心"),
        "TRADING_KEYS_DIR": os.environ.get("TRADING_KEYS_DIR", str(instance / "keys")),
        "TRADING_PUBLIC_URL": os.environ.get("TRADING_PUBLIC_URL", "http://127.0.0.1:5000"),
        # the national data sets (trading/stats/dataspec.py): the center's 统一社会信用代码 (18 characters; the
        # 统一交易标识码 is built from it), the county's 6-digit 行政区划代码 and the 交易系统标识码 the platform assigned
        "TRADING_CENTER_CREDIT_CODE": os.environ.get("TRADING_CENTER_CREDIT_CODE", ""),
        "TRADING_REGION_CODE": os.environ.get("TRADING_REGION_CODE", "450223"),
        "TRADING_PLATFORM_CODE": os.environ.get("TRADING_PLATFORM_CODE", ""),
        # pushing to the provincial platform (trading/outbox.py); nothing is sent while TRADING_PUSH_URL is empty
        "TRADING_PUSH_URL": os.environ.get("TRADING_PUSH_URL", ""),
        "TRADING_PUSH_SECRET": os.environ.get("TRADING_PUSH_SECRET", ""),
        "TRADING_PUSH_SIGNER": os.environ.get("TRADING_PUSH_SIGNER", "hmac-sha256"),  # or sm3-sm2
        "TRADING_PUSH_SM2_KEY": os.environ.get("TRADING_PUSH_SM2_KEY", ""),  # PEM path, for sm3-sm2
        "TRADING_PUSH_TIMEOUT": _int_env("TRADING_PUSH_TIMEOUT", 5),
        "TRADING_PUSH_MAX_ATTEMPTS": _int_env("TRADING_PUSH_MAX_ATTEMPTS", 8),
        "TRADING_PUSH_BACKOFF_SECONDS": _int_env("TRADING_PUSH_BACKOFF_SECONDS", 30),
        "TRADING_PUSH_BATCH": _int_env("TRADING_PUSH_BATCH", 20),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_AS_ASCII": False,
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "PER_PAGE": 20,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # on unless RATELIMIT_ENABLED=0 (the benchmark turns the limits off: it bids from 127.0.0.1 only)
        "RATELIMIT_ENABLED": _int_env("RATELIMIT_ENABLED", 1) != 0,
    }
    cfg.update(overrides)
    if "SECRET_KEY" not in cfg:
        cfg["SECRET_KEY"] = _secret_key(Path(cfg["INSTANCE_PATH"]), production)
    return cfg
