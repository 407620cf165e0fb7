"""Statistics, charts, the work report, exports, OCDS, open data and the public deal disclosure."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from trading import jobs, outbox  # noqa: F401  (outbox: its table)
    from trading.stats import push, push_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(push_views.bp)
    push.connect()
    jobs.register("push_outbox", outbox.deliver_due)
