"""Security headers on every response, and rate limits on the endpoints attackers hammer."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

# endpoint → limit; applied after every blueprint is registered so feature packages need not know
RATE_LIMITS: dict[str, str] = {
    "api.token": "30 per minute",
    "auth.login": "30 per minute",
    "auth.register": "10 per minute",
}


@limiter.request_filter
def _limits_off() -> bool:
    return not current_app.config.get("RATELIMIT_ENABLED", True)


def limit(endpoint: str, value: str) -> None:
    """Feature packages add their own limits (bids, registrations) from init_app."""
    RATE_LIMITS[endpoint] = value


def init_app(app: Flask) -> None:
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
            wrapped = limiter.limit(value)(view)
            wrapped._rate_limited = True  # type: ignore[attr-defined]
            app.view_functions[endpoint] = wrapped
