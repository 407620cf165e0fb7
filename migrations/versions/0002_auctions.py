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
    op.create_table('registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('bidder_id', sa.Integer(), nullable=False),
    sa.Column('bidder_no', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('security_type', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('created_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bidder_id'], ['users.id'], name=op.f('fk_registrations_bidder_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_registrations_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations')),
    sa.UniqueConstraint('project_id', 'bidder_id', name=op.f('uq_registrations_project_id_bidder_id')),
    sa.UniqueConstraint('project_id', 'bidder_no', name=op.f('uq_registrations_project_id_bidder_no'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrations_bidder_id'), ['bidder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_project_id'), ['project_id'], unique=False)


def downgrade():
    op.drop_table('registrations')
