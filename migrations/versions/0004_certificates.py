"""certificates: objections, certificates

Revision ID: 0004_certificates
Revises: 0003_guarantees
"""
from alembic import op
import sqlalchemy as sa
import trading.types


# revision identifiers, used by Alembic.
revision = '0004_certificates'
down_revision = '0003_guarantees'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
