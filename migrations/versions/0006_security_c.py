"""security (issue 12, part c): a per-user session version

Logging out and changing the password bump users.session_version; a browser session carries the version it
was signed in with and is refused once it differs.

Revision ID: 0006_security_c
Revises: 0004_certificates
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_security_c'
down_revision = '0005_security_a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
