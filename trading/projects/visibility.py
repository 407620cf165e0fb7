"""Who may see a project: the one visibility rule, asked by the pages, the API and every package
(services.visible_project raises the API's error).

A project is public once staff approved its announcement. Before that (a draft, a project under review, one
withdrawn before approval) only its owner and the center's staff see it; they also see what the public never
does (the reserve price, the priority holders).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from trading.accounts.guard import reads_as_staff
from trading.accounts.models import User
from trading.projects.models import Project


def is_published(project: Project) -> bool:
    return project.approved_at is not None


def published() -> ColumnElement[bool]:
    """`is_published` as a SQL condition, for listings."""
    return Project.approved_at.is_not(None)


def can_see_private(project: Project, viewer: User | None) -> bool:
    return viewer is not None and (reads_as_staff(viewer) or viewer.id == project.owner_id)


def can_see(project: Project, viewer: User | None) -> bool:
    return is_published(project) or can_see_private(project, viewer)
