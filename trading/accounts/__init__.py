"""Accounts: users, organisations, API tokens, roles, the one role guard, credit-code checks."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from trading import jobs
    from trading.accounts import api, cli, delivery, inbox, notifications, views
    from trading.accounts.models import ORG_KIND_LABELS, ROLE_LABELS, User
    from trading.extensions import csrf, db, login_manager

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(User, int(user_id))

    csrf.exempt(api.bp)
    csrf.exempt(inbox.api)
    app.register_blueprint(api.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(inbox.api)
    jobs.register("notifications.deliver", delivery.deliver_due)

    def unread_notifications() -> int:
        from flask_login import current_user

        if not current_user or not current_user.is_authenticated:
            return 0
        return notifications.unread_count(current_user.id)

    app.jinja_env.globals["unread_notifications"] = unread_notifications
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.users_cli)
    app.jinja_env.filters.update(role_label=lambda r: ROLE_LABELS.get(r, r),
                                 org_kind_label=lambda k: ORG_KIND_LABELS.get(k, k))
