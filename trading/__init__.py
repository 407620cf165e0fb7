"""Tradehall: the application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from trading.config import ROOT, load_config


def create_app(config_overrides: dict | None = None) -> Flask:
    cfg = load_config(config_overrides)
    app = Flask(__name__, instance_path=cfg["INSTANCE_PATH"], template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"))
    app.config.update(cfg)
    from trading.security import IntegerConverter

    app.url_map.converters["int"] = IntegerConverter  # bounded ids; before any route is added
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    register_logging(app)
    register_extensions(app)
    register_errors(app)
    register_templates(app)
    register_cli(app)
    register_features(app)
    register_security(app)
    return app


def register_security(app: Flask) -> None:
    from trading.security import apply_limits, init_app

    init_app(app)
    apply_limits(app)


def register_logging(app: Flask) -> None:
    if not logging.getLogger("tradehall").handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger("tradehall").addHandler(handler)
        logging.getLogger("tradehall").setLevel(logging.INFO)


def register_extensions(app: Flask) -> None:
    from trading.db import configure_engine
    from trading.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"
    with app.app_context():
        configure_engine(db.engine, write_gate=app.config.get("TRADING_SQLITE_WRITE_GATE", True))


def register_errors(app: Flask) -> None:
    from trading.errorpages import init_app

    init_app(app)


def register_templates(app: Flask) -> None:
    from trading.templating import init_app

    init_app(app)


def register_cli(app: Flask) -> None:
    from trading.cli import init_app

    init_app(app)


def register_features(app: Flask) -> None:
    """The packages (docs/architecture.md), in the order their navigation links appear: each registers its blueprints, CLI commands,
    template filters and signal receivers in its init_app."""
    import auctions
    import certificates
    import guarantees
    import tenders
    from trading import accounts, demo, oversight, projects, stats

    for package in (accounts, projects, stats, guarantees, auctions, certificates, tenders, oversight, demo):
        package.init_app(app)
