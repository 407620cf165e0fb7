"""security (issue 12, finding 1): forget cached sealed-bid responses stored in clear

Before this revision a sealed bid's first response, amount included, was kept in idempotency_keys.body, and
its request_hash was a bare sha256 of the body. Those rows are deleted; the data is not restorable (a replay of
such a key after the upgrade is treated as a new request). No schema change.

Revision ID: 0005_security_a
Revises: 0004_certificates
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005_security_a'
down_revision = '0004_certificates'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM idempotency_keys WHERE body LIKE '%\"sealed\": true%'")


def downgrade():
    pass
