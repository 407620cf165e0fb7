"""notices: an index on notifications.dedupe_key, so the scheduler finds which reminders a sweep already sent in
one indexed query instead of one look-up per bidder per running auction each second.

Revision ID: 0016_notice_keys
Revises: 0015_contracts
"""

from alembic import op

revision = '0016_notice_keys'
down_revision = '0015_contracts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_notifications_dedupe_key", "notifications", ["dedupe_key"])


def downgrade():
    op.drop_index("ix_notifications_dedupe_key", table_name="notifications")
