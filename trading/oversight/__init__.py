"""Oversight (top layer, beside statistics): notices for the platform's events, credit bars enforced on
registration, supervision, deadlines (红黄牌), the staff to-do desk and ratings. It connects receivers to the
signals of the packages below it and registers its scheduler jobs."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from trading import jobs as trading_jobs
    from trading import navigation
    from trading.accounts.models import Role
    from trading.extensions import csrf
    from trading.oversight import api, credit_api, deadlines, jobs, models, receivers  # noqa: F401

    receivers.connect()
    csrf.exempt(credit_api.api)
    csrf.exempt(api.api)
    app.register_blueprint(api.api)
    trading_jobs.register("oversight.deadlines", deadlines.sweep)
    app.register_blueprint(credit_api.api)
    app.register_blueprint(credit_api.bp)
    navigation.register(navigation.by_role({
        None: [("信用名单", "credit.public_page", {})],
        Role.STAFF: [("信用管理", "credit.staff_page", {}), ("消息发送异常", "inbox.deliveries", {})],
        Role.SUPERVISOR: [("信用管理", "credit.staff_page", {}), ("消息发送异常", "inbox.deliveries", {})],
    }))
    trading_jobs.register("oversight.auction_reminders", jobs.auction_reminders)
