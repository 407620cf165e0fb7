"""Feature package: guarantees. init_app registers its models, blueprints, CLI commands and scheduler jobs."""

from flask import Flask


def init_app(app: Flask) -> None:
    from guarantees import models  # noqa: F401  (registers the tables with the metadata)
