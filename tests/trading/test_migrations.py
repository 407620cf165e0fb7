"""The schema comes only from migrations; the models must agree with them."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from trading.extensions import db as _db


def test_models_and_migrations_agree(db):
    with _db.engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(mc, _db.metadata)
    assert diff == []
