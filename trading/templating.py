"""Jinja filters and globals of the core: money, Beijing time, pagination, navigation, panels.

The packages add their own labels (roles, kinds, statuses) from their init_app."""

from __future__ import annotations

from math import ceil

from flask import Flask, request, url_for

from trading import clock, money
from trading.navigation import nav_items, nav_split
from trading.panels import panels_for


class Pagination:
    def __init__(self, page: int, per_page: int, total: int):
        self.page, self.per_page, self.total = page, per_page, total
        self.pages = max(1, ceil(total / per_page)) if per_page else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def url(self, page: int) -> str:
        args = dict(request.args)
        args["page"] = str(page)
        return url_for(request.endpoint or "web.home", **(request.view_args or {}), **args)

    def window(self, size: int = 2) -> list[int]:
        lo, hi = max(1, self.page - size), min(self.pages, self.page + size)
        return list(range(lo, hi + 1))


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        yuan=money.yuan, big=money.big, capital=money.capital, percent=money.percent, amount=money.to_str, grouped=money.grouped,
        dt=clock.display, dts=lambda v: clock.display(v, seconds=True), iso=clock.isoformat,
    )
    app.jinja_env.globals.update(
        now=clock.now, Pagination=Pagination,
        center_name=lambda: app.config["TRADING_CENTER_NAME"], nav_items=nav_items, nav_split=nav_split,
        project_panels=panels_for,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
