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
    sa.Column('annulled_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bidder_id'], ['users.id'], name=op.f('fk_registrations_bidder_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_registrations_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations')),
    sa.UniqueConstraint('project_id', 'bidder_id', name=op.f('uq_registrations_project_id_bidder_id')),
    sa.UniqueConstraint('project_id', 'bidder_no', name=op.f('uq_registrations_project_id_bidder_no'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrations_bidder_id'), ['bidder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_project_id'), ['project_id'], unique=False)

    op.create_table('bids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('bidder_id', sa.Integer(), nullable=False),
    sa.Column('amount', trading.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('is_priority', sa.Boolean(), nullable=False),
    sa.Column('at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at_after', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['bidder_id'], ['users.id'], name=op.f('fk_bids_bidder_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_bids_project_id_projects')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_bids_registration_id_registrations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bids')),
    sa.UniqueConstraint('project_id', 'seq', name=op.f('uq_bids_project_id_seq'))
    )
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bids_project_id'), ['project_id'], unique=False)

    op.create_table('sealed_bids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('bidder_id', sa.Integer(), nullable=False),
    sa.Column('ciphertext', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('submitted_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_amount', trading.types.Money(precision=18, scale=2), nullable=True),
    sa.Column('opened_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bidder_id'], ['users.id'], name=op.f('fk_sealed_bids_bidder_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_sealed_bids_project_id_projects')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_sealed_bids_registration_id_registrations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sealed_bids')),
    sa.UniqueConstraint('project_id', 'bidder_id', name=op.f('uq_sealed_bids_project_id_bidder_id'))
    )
    with op.batch_alter_table('sealed_bids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealed_bids_project_id'), ['project_id'], unique=False)


def downgrade():
    op.drop_table('sealed_bids')
    op.drop_table('bids')
    op.drop_table('registrations')
