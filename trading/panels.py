"""Project page panels: feature packages add blocks (registration form, auction room link, result,
certificate) to the project detail page without the portal knowing them.

A provider is `fn(project, user) -> Markup | str | None`, registered from the package's init_app.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup

PROVIDERS: list[tuple[int, Callable]] = []


def register(provider: Callable, order: int = 50) -> None:
    if all(p is not provider for _, p in PROVIDERS):
        PROVIDERS.append((order, provider))
        PROVIDERS.sort(key=lambda item: item[0])


def panels_for(project, user) -> list[Markup]:
    """Providers get the signed-in user, or None for a visitor (never Flask-Login's anonymous object)."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    out = []
    for _, provider in PROVIDERS:
        html = provider(project, user)
        if html:
            out.append(Markup(html))  # noqa: S704 (providers return rendered, escaped templates)
    return out
