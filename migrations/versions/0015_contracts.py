"""tender contracts: the contract signed with an awarded lot's winner (合同签订), once per lot.

Revision ID: 0015_contracts
Revises: 0014_questions
"""
from alembic import op
import sqlalchemy as sa
import trading.types


# revision identifiers, used by Alembic.
revision = '0015_contracts'
down_revision = '0014_questions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tender_contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=True),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('amount', trading.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['tender_bids.id'], name=op.f('fk_tender_contracts_bid_id_tender_bids')),
    sa.ForeignKeyConstraint(['lot_id'], ['tender_lots.id'], name=op.f('fk_tender_contracts_lot_id_tender_lots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_contracts')),
    sa.UniqueConstraint('lot_id', name=op.f('uq_tender_contracts_lot_id'))
    )
    with op.batch_alter_table('tender_contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_contracts_recorded_at'), ['recorded_at'], unique=False)


def downgrade():
    with op.batch_alter_table('tender_contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_contracts_recorded_at'))
    op.drop_table('tender_contracts')
