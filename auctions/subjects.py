"""Registrations whose subject is not a project (a tender lot's, project_id NULL): a higher package registers a
describer, so registration and deposit listings here can name them without importing it."""

from __future__ import annotations

from collections.abc import Callable

_describers: list[Callable] = []


def register(fn: Callable) -> None:
    """fn(registration) -> {"code", "title", ...extra fields} | None"""
    if fn not in _describers:
        _describers.append(fn)


def describe(reg) -> dict:
    """{"code", "title"} of the registration's subject: its project, else what a describer says."""
    if reg.project is not None:
        return {"code": reg.project.code, "title": reg.project.title}
    for fn in _describers:
        found = fn(reg)
        if found:
            return found
    return {"code": None, "title": None}
