"""Projects (交易项目): their states and rules (visibility, status groups, allowed actions), services, pages, API."""

from __future__ import annotations

from flask import Flask

from trading.projects.states import CLOSED, OPEN, STATUS_LABELS, UNPUBLISHED, ProjectStatus


def status_label(value: str) -> str:
    try:
        return STATUS_LABELS[ProjectStatus(value)]
    except ValueError:
        return value


def init_app(app: Flask) -> None:
    from trading.extensions import csrf
    from trading.projects import api, staff_views, views
    from trading.projects.rules import (
        DIRECTION_LABELS,
        KIND_LABELS,
        METHOD_LABELS,
        UNIT_LABELS,
        duration_label,
    )

    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(staff_views.bp)
    app.jinja_env.filters.update(
        status_label=status_label, kind_label=lambda k: KIND_LABELS.get(k, k),
        method_label=lambda m: METHOD_LABELS.get(m, m), direction_label=lambda d: DIRECTION_LABELS.get(d, d),
        unit_label=lambda u: UNIT_LABELS.get(u, u), duration=duration_label,
    )
    app.jinja_env.globals.update(KIND_LABELS=KIND_LABELS, STATUS_LABELS=STATUS_LABELS, OPEN_STATUSES=OPEN,
                                 CLOSED_STATUSES=CLOSED, UNPUBLISHED_STATUSES=UNPUBLISHED)
