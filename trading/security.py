"""Security headers on every response, and rate limits on the endpoints attackers hammer."""

from __future__ import annotations

import hashlib

from flask import Flask, abort, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse
from werkzeug import routing
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")



class IntegerConverter(routing.IntegerConverter):
    """`<int:…>` in URLs: only 0…2**31-1 (a database INTEGER) match, so /projects/99999999999999999999 is a 404,
    not a driver overflow (500 on SQLite, 503 on PostgreSQL). Bounded by the regex, not by `max`: werkzeug
    answers 405 instead of 404 when a converter rejects a path another method's rule would take. A drop-in for
    werkzeug's class of the same name (code that checks the converter's type or name keeps working)."""

    regex = (r"(?:\d{1,9}|1\d{9}|20\d{8}|21[0-3]\d{7}|214[0-6]\d{6}|2147[0-3]\d{5}|21474[0-7]\d{4}"
             r"|214748[0-2]\d{3}|2147483[0-5]\d{2}|21474836[0-3]\d|214748364[0-7])(?!\d)")


limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

# endpoint → limit, for every package: the one place limits are declared (tests/security/test_rate_limits.py
# reads it). Applied after every blueprint is registered, so the packages need not know.
RATE_LIMITS: dict[str, str] = {
    "api.token": "30 per minute",
    "auth.login": "30 per minute",
    "auth.register": "10 per minute",
    # registrations and bids: counted per user (bidders behind one village NAT share an address), generous
    # enough for any human and for a scripted client in a hot auction, not for a flood
    "auctions_api.register": "20 per minute",
    "auctions.register": "30 per minute",
    "auctions_api.place_bid": "300 per minute",
    "auctions.bid": "300 per minute",
    # public forms anyone may post: objections during publicity and certificate verification uploads
    "certificates_api.lodge": "10 per minute",
    "certificates.lodge": "10 per minute",
    "certificates_api.verify": "60 per minute",
    "certificates.verify_page": "60 per minute",
    # tendering: sealing and decrypting a bid, registering for a lot (per user, like the auctions')
    "tenders.put_bid": "60 per minute",
    "tenders_api.put_bid": "60 per minute",
    "tenders.decrypt": "30 per minute",
    "tenders_api.decrypt": "30 per minute",
    "tenders.register": "20 per minute",
    "tenders_api.register": "20 per minute",
}
PER_USER = {"auctions_api.register", "auctions.register", "auctions_api.place_bid", "auctions.bid",
            "tenders.put_bid", "tenders_api.put_bid", "tenders.decrypt", "tenders_api.decrypt", "tenders.register",
            "tenders_api.register"}


def user_key() -> str:
    """The bearer token (hashed: raw tokens never reach the limiter storage) or the session user; else the IP."""
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return "tok:" + hashlib.sha256(auth[7:].strip().encode()).hexdigest()[:32]
    from flask_login import current_user

    if getattr(current_user, "is_authenticated", False):
        return f"user:{current_user.get_id()}"
    return "ip:" + (get_remote_address() or "")


@limiter.request_filter
def _limits_off() -> bool:
    return not current_app.config.get("RATELIMIT_ENABLED", True)


class TrustedProxies:
    """werkzeug's ProxyFix for TRADING_TRUSTED_PROXIES hops (read per request, so a test can switch it): the
    client address (request.remote_addr: rate limits, registrations' and bids' ip for the collusion signals,
    audit) and scheme come from X-Forwarded-For/-Proto only as far as configured proxies wrote them; with 0 the
    headers are ignored."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        self._fixed: dict[int, ProxyFix] = {}

    def __call__(self, environ, start_response):
        hops = int(self.app.config.get("TRADING_TRUSTED_PROXIES") or 0)
        if hops <= 0:
            return self.wsgi_app(environ, start_response)
        if hops not in self._fixed:
            self._fixed[hops] = ProxyFix(self.wsgi_app, x_for=hops, x_proto=hops)
        return self._fixed[hops](environ, start_response)


def _login_failures():
    return parse(current_app.config["TRADING_LOGIN_FAILURES_PER_IP"])


def _throttling() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def check_login_throttle() -> None:
    """Before any credential check: an address with too many recent failed logins gets 429 (whatever the
    username, right password or not), so one address is stopped long before it could lock an account."""
    if _throttling() and not limiter.limiter.test(_login_failures(), "login-failures", get_remote_address()):
        abort(429)


def note_login_failure() -> None:
    if _throttling():
        limiter.limiter.hit(_login_failures(), "login-failures", get_remote_address())


def init_app(app: Flask) -> None:
    if not isinstance(app.wsgi_app, TrustedProxies):
        app.wsgi_app = TrustedProxies(app, app.wsgi_app)  # type: ignore[method-assign]
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # The limiter object is shared by every app in the process (tests build several), so it is always
    # initialised on and each app decides per request through RATELIMIT_ENABLED.
    enabled = bool(app.config.get("RATELIMIT_ENABLED", True))
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    app.config["RATELIMIT_ENABLED"] = enabled

    @app.after_request
    def headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        resp.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return resp


def apply_limits(app: Flask) -> None:
    for endpoint, value in RATE_LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is not None and not getattr(view, "_rate_limited", False):
            key = user_key if endpoint in PER_USER else get_remote_address
            wrapped = limiter.limit(value, key_func=key)(view)
            wrapped._rate_limited = True  # type: ignore[attr-defined]
            app.view_functions[endpoint] = wrapped
