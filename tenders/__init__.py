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
    from trading import audit, review_queue
    from trading import jobs as trading_jobs
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
    from tenders import contracts  # 合同签订: its API, the result page's form, its template helper

    contracts.init_app(app)
    for kind, sql in _AUDIT_OWNERS.items():
        audit.register_owner(kind, sql)


# What a tender owns goes to that tender's audit chain "tender:<id>" (not the shared system chain): its lots'
# bids, openings, scores and papers, and the registrations, securities and objections made for its lots.
_LOT_TENDER = "SELECT 'tender:' || l.tender_id FROM tender_registrations tr JOIN tender_lots l ON l.id = tr.lot_id "
_AUDIT_OWNERS = {
    "lot": "SELECT 'tender:' || tender_id FROM tender_lots WHERE id = :k",
    "tender_question": "SELECT 'tender:' || tender_id FROM tender_questions WHERE id = :k",
    "registration": _LOT_TENDER + "WHERE tr.registration_id = :k",
    "deposit": _LOT_TENDER + "JOIN deposits d ON d.registration_id = tr.registration_id WHERE d.id = :k",
    "guarantee": _LOT_TENDER + "JOIN guarantees g ON g.registration_id = tr.registration_id WHERE g.guarantee_no = :k",
    "objection": "SELECT 'tender:' || l.tender_id FROM tender_objections o JOIN tender_lots l ON l.id = o.lot_id "
                 "WHERE o.objection_id = :k",
}
