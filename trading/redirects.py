"""Where a redirect may go: only a path on this site (never a scheme, another host, `//host` or `/\\host`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def same_site_path(target: str | None) -> str | None:
    """`target` if it is a same-site relative path (`/…`), else None. Browsers read `\\` as `/` and drop tabs and
    newlines, so `/\\evil.example` and `/\\t/evil.example` would leave the site: anything but printable ASCII
    without backslashes is refused."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(not (0x20 < ord(ch) < 0x7F) for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def referrer_path() -> str | None:
    """The Referer as a path on this site (its host must be the request's own), else None."""
    ref = request.referrer
    if not ref:
        return None
    try:
        parts = urlsplit(ref)
    except ValueError:
        return None
    if (parts.scheme or parts.netloc) and (parts.scheme not in ("http", "https") or parts.netloc != request.host):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return same_site_path(path)


def back(default: str = "/") -> str:
    """The page the user came from when it is on this site, else `default`."""
    return referrer_path() or default
