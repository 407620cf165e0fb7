"""Accounts: users, organisations, API tokens, roles, the one role guard, credit-code checks."""

from __future__ import annotations

from flask import Flask, session


def init_app(app: Flask) -> None:
    from trading import jobs
    from trading.accounts import api, cli, delivery, inbox, notifications, views
    from trading.accounts.models import ORG_KIND_LABELS, ROLE_LABELS, User
    from trading.accounts.services import SESSION_VERSION_KEY, session_valid
    from trading.extensions import csrf, db, login_manager

    @login_manager.user_loader
    def load_user(user_id: str):
        """Every request with a session: the user, unless the session's version is stale (logged out or the
        password changed since it was signed in)."""
        user = db.session.get(User, int(user_id))
        if user is None or not session_valid(user, session.get(SESSION_VERSION_KEY)):
            return None
        return user

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

    def credit_bar() -> dict | None:
        """The signed-in user's organisation's active credit bar, for the message beside registration forms."""
        from flask_login import current_user

        from trading.accounts import credit_list

        if not current_user or not current_user.is_authenticated:
            return None
        e = credit_list.active_bar(current_user.org_id)
        return None if e is None else {"cause_label": credit_list.CAUSES.get(e.cause, e.cause),
                                       "bar_until": e.bar_until.isoformat()}

    app.jinja_env.globals["credit_bar"] = credit_bar
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.users_cli)
    app.jinja_env.filters.update(role_label=lambda r: ROLE_LABELS.get(r, r),
                                 org_kind_label=lambda k: ORG_KIND_LABELS.get(k, k))
