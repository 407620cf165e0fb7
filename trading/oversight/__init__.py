"""Oversight (top layer, beside statistics): notices for the platform's events, credit bars enforced on
registration, supervision, deadlines (红黄牌), the staff to-do desk and ratings. It connects receivers to the
signals of the packages below it and registers its scheduler jobs."""

from __future__ import annotations

from functools import cache

from flask import Flask


@cache
def _nav():
    from trading import navigation
    from trading.accounts.models import Role

    return navigation.by_role({
        None: [("信用名单", "credit.public_page", {})],
        Role.STAFF: [("待办", "oversight.todo", {}), ("行政监督视图", "oversight.supervision", {}),
                     ("差评整改", "oversight.ratings_page", {}), ("信用管理", "credit.staff_page", {}),
                     ("消息发送异常", "inbox.deliveries", {})],
        Role.SUPERVISOR: [("行政监督", "oversight.supervision", {}), ("待办总览", "oversight.todo", {}),
                          ("差评整改", "oversight.ratings_page", {}), ("信用管理", "credit.staff_page", {}),
                          ("全部项目", "staff.projects", {}), ("保函", "guarantees.staff_list", {}),
                          ("鉴证书", "certificates.desk", {}), ("消息发送异常", "inbox.deliveries", {})],
        Role.BIDDER: [("我的评价", "oversight.my_ratings", {})],
        Role.COLLECTIVE: [("我的评价", "oversight.my_ratings", {})],
    })


def init_app(app: Flask) -> None:
    from trading import jobs as trading_jobs
    from trading import navigation, panels
    from trading.extensions import csrf
    from trading.oversight import api, credit_api, deadlines, jobs, models, ratings, receivers, views  # noqa: F401

    receivers.connect()
    csrf.exempt(credit_api.api)
    csrf.exempt(api.api)
    app.register_blueprint(api.api)
    app.register_blueprint(views.bp)
    panels.register(views.rating_panel, order=90)
    app.jinja_env.globals["rating_figures"] = ratings.figures
    app.jinja_env.globals["lot_rating"] = views.lot_rating  # templates/oversight/_lot_rating.html
    app.jinja_env.globals.update(rating_subject=ratings.subject_label, rating_subject_url=ratings.subject_url)
    trading_jobs.register("oversight.deadlines", deadlines.scheduled_sweep)
    app.register_blueprint(credit_api.api)
    app.register_blueprint(credit_api.bp)
    navigation.register(_nav())  # one provider per process: a second app must not add the links again
    trading_jobs.register("oversight.auction_reminders", jobs.auction_reminders)
