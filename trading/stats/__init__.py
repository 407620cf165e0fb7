"""Statistics, charts, the work report, exports, OCDS, open data and the public deal disclosure."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from trading.stats import views

    app.register_blueprint(views.bp)
