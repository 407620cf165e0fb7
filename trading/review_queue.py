"""The staff review queue shows projects and whatever else feature packages register (tenders).

A provider is `fn() -> list[dict]` of items pending review, each {"kind_label", "code", "title", "owner",
"submitted_at", "approve_url", "reject_url", "detail_url"}; registered from the package's init_app.
"""

from __future__ import annotations

from collections.abc import Callable

_providers: list[Callable[[], list[dict]]] = []


def register(provider: Callable[[], list[dict]]) -> None:
    if provider not in _providers:
        _providers.append(provider)


def pending_items() -> list[dict]:
    items: list[dict] = []
    for provider in _providers:
        items.extend(provider())
    return items
