"""Oversight (top layer, beside statistics): notices for the platform's events, credit bars enforced on
registration, supervision, deadlines (红黄牌), the staff to-do desk and ratings. It connects receivers to the
signals of the packages below it and registers its scheduler jobs."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from trading import jobs as trading_jobs
    from trading.oversight import jobs, receivers

    receivers.connect()
    trading_jobs.register("oversight.auction_reminders", jobs.auction_reminders)
