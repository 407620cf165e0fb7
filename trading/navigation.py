"""Role-aware navigation: each package registers a function user -> [(label, endpoint, kwargs)]."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str


PROVIDERS: list[Callable] = []
Link = tuple[str, str, dict]


def by_role(table: dict) -> Callable[[object], list[Link]]:
    """A provider from a table {role: [(label, endpoint, kwargs)]}; the links under None are everyone's."""

    def provider(user) -> list[Link]:
        links = list(table.get(None, []))
        if user is not None:
            links += [link for role, rows in table.items() if role is not None and user.role == role for link in rows]
        return links

    return provider


def register(provider: Callable) -> None:
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)


def _items(user) -> list[NavItem]:
    items: list[NavItem] = []
    for provider in PROVIDERS:
        for label, endpoint, kwargs in provider(user):
            items.append(NavItem(label, url_for(endpoint, **kwargs)))
    return items


def nav_items() -> list[NavItem]:
    user = current_user if current_user and current_user.is_authenticated else None
    return _items(user)


def nav_split() -> tuple[list[NavItem], list[NavItem]]:
    """(links everyone sees, links of the signed-in user's role) — the latter go in the user's menu."""
    public = _items(None)
    user = current_user if current_user and current_user.is_authenticated else None
    if user is None:
        return public, []
    seen = {i.url for i in public}
    return public, [i for i in _items(user) if i.url not in seen]
