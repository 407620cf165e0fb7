"""guarantees: guarantors, keys, guarantees, claims, deposits

Revision ID: 0003_guarantees
Revises: 0002_auctions
"""
from alembic import op
import sqlalchemy as sa
import trading.types


# revision identifiers, used by Alembic.
revision = '0003_guarantees'
down_revision = '0002_auctions'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
