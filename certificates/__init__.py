"""Feature package: certificates. init_app registers its models, blueprints, CLI commands and scheduler jobs."""

from flask import Flask


def init_app(app: Flask) -> None:
    from certificates import (
        api,
        cli,
        models,  # noqa: F401  (registers the tables with the metadata)
        views,
    )
    from trading import navigation, panels
    from trading.extensions import csrf

    csrf.exempt(api.bp)
    app.url_map.converters["certno"] = api.CertificateNumber  # before the rules that use it are added
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.keys_cli)
    navigation.register(views.nav_items)
    panels.register(views.project_panel, order=70)
