"""Feature package: auctions. init_app registers its models, blueprints, CLI commands and scheduler jobs."""

from flask import Flask


def init_app(app: Flask) -> None:
    from auctions import (
        api,
        jobs,
        models,  # noqa: F401  (registers the tables with the metadata)
    )
    from trading import jobs as trading_jobs
    from trading.extensions import csrf

    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    trading_jobs.register("auctions.open_due", jobs.open_due)
    trading_jobs.register("auctions.close_due", jobs.close_due)
    trading_jobs.register("auctions.purge_idempotency_keys", jobs.purge_idempotency_keys)
    try:
        from auctions import views
    except ImportError:  # pages arrive in a later commit
        return
    views.init_app(app)
