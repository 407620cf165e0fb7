"""auctions: registrations, bids, sealed bids

Revision ID: 0002_auctions
Revises: 0001_trading
"""
from alembic import op
import sqlalchemy as sa
import trading.types


# revision identifiers, used by Alembic.
revision = '0002_auctions'
down_revision = '0001_trading'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
