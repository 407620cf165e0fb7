"""Feature package: guarantees (电子保函 and cash deposits). init_app registers models, blueprints, CLI, jobs, nav and its
receivers of the auctions and projects signals."""

from flask import Flask


def init_app(app: Flask) -> None:
    from guarantees import api, cli, jobs, models, nav, panels, receivers, views  # noqa: F401  (models: the tables)
    from trading import jobs as trading_jobs
    from trading import navigation
    from trading import panels as project_panels
    from trading.extensions import csrf

    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.cli)
    trading_jobs.register("expire_guarantees", jobs.expire_guarantees)
    navigation.register(nav.items)
    project_panels.register(panels.security_panel, order=70)
    receivers.connect()
