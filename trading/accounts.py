"""Accounts: password hashing, lock-out, API tokens (random, stored hashed, expiring, revocable)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from trading import audit
from trading.clock import now
from trading.credit import check_org_code
from trading.db import driver_cursor
from trading.errors import Conflict, Invalid, Unauthorized
from trading.extensions import db
from trading.models import ApiToken, Organisation, OrgKind, Role, User

MIN_PASSWORD = 8
SESSION_VERSION_KEY = "_sv"  # the user's session_version when this browser session was signed in


def hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


# Usernames: ASCII letters, digits and _ . - ; 2-32 characters, starting with a letter or a digit. No Chinese,
# no other scripts: that rules out markup, zero-width and bidi characters and look-alikes (Cyrillic а, full-width
# ａ) in one rule; a person's or organisation's Chinese name is the display name. Unique ignoring case.
USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{1,31}")
USERNAME_RULE = "用户名只能包含英文字母、数字和 _ . -，须以字母或数字开头，长度2至32个字符"


def username_error(username: str) -> str | None:
    return None if USERNAME_RE.fullmatch(username or "") else USERNAME_RULE


def check_password_strength(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"密码至少需要{MIN_PASSWORD}位"
    if password.isdigit() or password.isalpha():
        return "密码须同时包含字母和数字"
    return None


def create_user(username: str, password: str, role: str, *, display_name: str = "", phone: str | None = None,
                org: Organisation | None = None, actor: str = "system", check_strength: bool = True) -> User:
    """Create an account with a hashed password; usernames are unique."""
    username = (username or "").strip()
    errors = {}
    if msg := username_error(username):
        errors["username"] = msg
    if role not in {r.value for r in Role}:
        errors["role"] = "角色无效，可选：bidder、collective、staff、guarantor、expert"
    if check_strength and (msg := check_password_strength(password or "")):
        errors["password"] = msg
    if errors:
        raise Invalid("；".join(errors.values()), fields=errors)
    if db.session.execute(select(User.id).where(func.lower(User.username) == username.lower())).first():
        raise Conflict(f"用户名“{username}”已存在", code="duplicate_user")
    user = User(username=username, password_hash=hash_password(password), role=role,
                display_name=display_name, phone=phone, org=org)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", f"user:{user.id}", {"username": username, "role": role}, actor)
    return user


def create_org(name: str, kind: str, credit_code: str | None, *, town: str | None = None,
               code: str | None = None, phone: str | None = None, actor: str = "system") -> Organisation:
    """An organisation; its credit code (or an individual's ID number) must pass its check digit."""
    if kind not in {k.value for k in OrgKind}:
        raise Invalid("组织类型无效", fields={"kind": "组织类型无效"})
    if credit_code:
        credit_code = credit_code.strip().upper()
        if msg := check_org_code(credit_code, kind == OrgKind.INDIVIDUAL):
            raise Invalid(msg, fields={"credit_code": msg})
        if db.session.execute(select(Organisation.id).where(Organisation.credit_code == credit_code)).first():
            raise Conflict("该统一社会信用代码已登记", code="duplicate_org")
    org = Organisation(name=name.strip(), kind=kind, credit_code=credit_code or None, town=town, code=code,
                       phone=phone)
    db.session.add(org)
    db.session.flush()
    audit.record("org.create", f"org:{org.id}", {"name": org.name, "kind": kind}, actor)
    return org


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_check(password: str) -> None:
    """The work of a real password check, for an unknown or locked account (no timing difference)."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = hash_password(secrets.token_urlsafe(16))
    check_password_hash(_DUMMY_HASHES[method], password)


def authenticate(username: str, password: str) -> User:
    """Check credentials; repeated failures lock the account for a while (a last resort: the caller throttles
    the address first, trading.security.check_login_throttle). Unknown, locked and wrong all answer alike, so
    the answer never confirms that a username exists or is locked."""
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    t = now()
    if user is None or (user.locked_until and user.locked_until > t):
        _dummy_check(password or "")
        raise Unauthorized("用户名或密码错误", code="bad_credentials")
    if not user.active or not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["TRADING_MAX_FAILED_LOGINS"]:
            user.locked_until = t + timedelta(seconds=current_app.config["TRADING_LOCKOUT_SECONDS"])
            user.failed_logins = 0
            audit.record("user.locked", f"user:{user.id}", {}, user.username)
        raise Unauthorized("用户名或密码错误", code="bad_credentials")
    user.failed_logins = 0
    user.locked_until = None
    return user


def change_password(user: User, old: str, new: str) -> None:
    if not check_password_hash(user.password_hash, old):
        raise Invalid("原密码不正确", fields={"old_password": "原密码不正确"})
    if msg := check_password_strength(new):
        raise Invalid(msg, fields={"new_password": msg})
    user.password_hash = hash_password(new)
    end_sessions(user)
    revoked = revoke_tokens(user)
    audit.record("user.password", f"user:{user.id}", {"tokens_revoked": revoked}, user.username)


def end_sessions(user: User) -> int:
    """Every browser session of the user signed in so far stops working (its saved cookie included); the caller
    signs the current session in again when it should survive. Returns the new version."""
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()
    return user.session_version


def session_valid(user: User, version: object) -> bool:
    """A session is the user's while it carries the user's current version (a session from before versions
    existed carries none and counts as version 0, the version every account starts with)."""
    return (version if isinstance(version, int) else 0) == (user.session_version or 0)


def revoke_tokens(user: User) -> int:
    """Revoke every live API token of the user (a password change); the number revoked."""
    rows = db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id,
                                                     ApiToken.revoked_at.is_(None))).scalars().all()
    t = now()
    for row in rows:
        row.revoked_at = t
    db.session.flush()
    return len(rows)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_digest(token),
                   expires_at=now() + timedelta(seconds=current_app.config["TRADING_TOKEN_TTL_SECONDS"]))
    db.session.add(row)
    db.session.flush()
    return token, row


def user_for_token(token: str) -> User | None:
    # the token and its user in one round trip: every API request starts here
    row = db.session.execute(select(ApiToken).options(joinedload(ApiToken.user))
                             .where(ApiToken.token_hash == _digest(token))).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= now() or not row.user.active:
        return None
    return row.user


_PRINCIPAL_PG = """
SELECT u.id, u.role, u.username FROM api_tokens t JOIN users u ON u.id = t.user_id
 WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s AND u.active
"""


def principal_for_token(token: str) -> tuple[int, str, str] | None:
    """(id, role, username) of a valid token's active user in one light query: user_for_token's checks, the
    server clock deciding expiry, without loading ORM objects (the bid endpoint's authentication)."""
    if db.engine.dialect.name == "postgresql":
        with driver_cursor() as cur:
            cur.execute(_PRINCIPAL_PG, (_digest(token), now()))
            return cur.fetchone()
    row = db.session.execute(
        select(User.id, User.role, User.username).join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None), ApiToken.expires_at > now(),
               User.active.is_(True))).one_or_none()
    return tuple(row) if row is not None else None


def revoke_token(token: str) -> bool:
    row = db.session.execute(select(ApiToken).where(ApiToken.token_hash == _digest(token))).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now()
    return True
