"""interop: the outbox of messages pushed to the provincial platform

Revision ID: 0012_interop
Revises: 0004_certificates
"""
import sqlalchemy as sa
from alembic import op

import trading.types

# revision identifiers, used by Alembic.
revision = '0012_interop'
down_revision = '0011_oversight'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_messages',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('stream', sa.String(length=64), nullable=False),
        sa.Column('event', sa.String(length=32), nullable=False),
        sa.Column('idempotency_key', sa.String(length=64), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', trading.types.UTCDateTime(), nullable=False),
        sa.Column('claimed_until', trading.types.UTCDateTime(), nullable=True),
        sa.Column('claim_token', sa.String(length=32), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', trading.types.UTCDateTime(), nullable=False),
        sa.Column('delivered_at', trading.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('idempotency_key'),
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_status_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_outbox_stream', ['stream', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_stream')
        batch_op.drop_index('ix_outbox_status_due')
    op.drop_table('outbox_messages')
