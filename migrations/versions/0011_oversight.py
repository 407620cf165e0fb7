"""oversight: notifications and their outbox, notification settings, the credit list, deadline items, ratings

Revision ID: 0011_oversight
Revises: 0004_certificates
"""
from alembic import op
import sqlalchemy as sa
import trading.types


revision = '0011_oversight'
down_revision = '0007_audit_chains'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('ref', sa.String(length=64), nullable=True),
        sa.Column('dedupe_key', sa.String(length=120), nullable=True),
        sa.Column('created_at', trading.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('read_at', trading.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'dedupe_key', name='uq_notifications_user_dedupe'),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at'], unique=False)
        batch_op.create_index('ix_notifications_user_kind_ref', ['user_id', 'kind', 'ref'], unique=False)
    op.create_table(
        'notification_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('address', sa.String(length=200), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', trading.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('created_at', trading.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', trading.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('notification_id', 'channel', name='uq_deliveries_notification_channel'),
    )
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_status_next', ['status', 'next_attempt_at'], unique=False)
    op.create_table(
        'notification_settings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=200), nullable=True),
        sa.Column('email_on', sa.Boolean(), nullable=False),
        sa.Column('sms_on', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('user_id'),
    )
    op.create_table(
        'credit_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('cause', sa.String(length=32), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=False),
        sa.Column('bar_from', sa.Date(), nullable=False),
        sa.Column('bar_until', sa.Date(), nullable=False),
        sa.Column('project_code', sa.String(length=32), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', trading.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('confirmed_by', sa.String(length=64), nullable=True),
        sa.Column('confirmed_at', trading.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('repaired_by', sa.String(length=64), nullable=True),
        sa.Column('repaired_at', trading.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('repair_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['organisations.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('credit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_credit_entries_org_status', ['org_id', 'status'], unique=False)
    op.create_table(
        'deadline_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('object', sa.String(length=64), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('responsible', sa.String(length=64), nullable=False),
        sa.Column('started_at', trading.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('due_at', trading.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('card', sa.String(length=8), nullable=False),
        sa.Column('yellow_at', trading.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('red_at', trading.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('closed_at', trading.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('closed_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', trading.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'object', 'started_at', name='uq_deadline_items_kind_object_start'),
    )
    with op.batch_alter_table('deadline_items', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_items_open', ['closed_at', 'due_at'], unique=False)
    op.create_table(
        'ratings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=64), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('stars', sa.Integer(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('created_at', trading.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('answered_by', sa.String(length=64), nullable=True),
        sa.Column('answered_at', trading.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('subject', 'user_id', name='uq_ratings_subject_user'),
    )
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ratings_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ratings_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('ratings')
    op.drop_table('deadline_items')
    with op.batch_alter_table('credit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_entries_org_status')
    op.drop_table('credit_entries')
    op.drop_table('notification_settings')
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_status_next')
    op.drop_table('notification_deliveries')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_kind_ref')
        batch_op.drop_index('ix_notifications_user_read')
    op.drop_table('notifications')
