"""forged: the issuer's repudiation of a guarantee (伪造/否认保函) before staff confirm the forgery

Revision ID: 0013_forged
Revises: 0012_interop
"""
import sqlalchemy as sa
from alembic import op

import trading.types

# revision identifiers, used by Alembic.
revision = '0013_forged'
down_revision = '0012_interop'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('guarantees') as batch_op:
        batch_op.add_column(sa.Column('repudiated_at', trading.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('repudiated_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('repudiation_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('guarantees') as batch_op:
        batch_op.drop_column('repudiation_reason')
        batch_op.drop_column('repudiated_by')
        batch_op.drop_column('repudiated_at')
