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


def register(provider: Callable) -> None:
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)


def nav_items() -> list[NavItem]:
    user = current_user if current_user and current_user.is_authenticated else None
    items: list[NavItem] = []
    for provider in PROVIDERS:
        for label, endpoint, kwargs in provider(user):
            items.append(NavItem(label, url_for(endpoint, **kwargs)))
    return items
