"""Accounts: users, organisations, API tokens, roles, the one role guard, credit-code checks."""

from __future__ import annotations

from flask import Flask, session


def init_app(app: Flask) -> None:
    from trading.accounts import api, cli, views
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
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.users_cli)
    app.jinja_env.filters.update(role_label=lambda r: ROLE_LABELS.get(r, r),
                                 org_kind_label=lambda k: ORG_KIND_LABELS.get(k, k))
