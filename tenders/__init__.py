"""Feature package: tenders (招标投标). init_app registers its models, API, CLI, scheduler job and the hooks it
offers to lower packages (review queue, registration describer, certificate verification, objections)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from auctions import subjects
    from certificates import signals as cert_signals
    from tenders import (
        api,
        cli,
        evaluation,
        hooks,
        jobs,
        models,  # noqa: F401  (registers the tables with the metadata)
        opendata,
        papers,
        pool,
        views,
    )
    from trading import jobs as trading_jobs
    from trading import review_queue
    from trading.accounts import signals as account_signals
    from trading.extensions import csrf

    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    views.init_app(app)
    app.cli.add_command(cli.experts_cli)
    trading_jobs.register("tenders.advance_due", jobs.advance_due)
    review_queue.register(hooks.review_items)
    subjects.register(hooks.describe_registration)
    account_signals.user_created.connect(pool.on_user_created)
    cert_signals.verify_unrecognised.connect(papers.verify_receiver)
    cert_signals.objection_subject.connect(views.lot_of_objection)
    cert_signals.paper_page.connect(papers.paper_page)
    cert_signals.objection_resolved.connect(evaluation.on_objection_resolved)
    opendata.register()
