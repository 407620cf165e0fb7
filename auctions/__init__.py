"""Feature package: auctions. init_app registers its blueprints, CLI commands and scheduler jobs."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
