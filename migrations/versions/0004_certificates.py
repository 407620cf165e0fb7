"""certificates: objections, certificates

Revision ID: 0004_certificates
Revises: 0003_guarantees
"""
from alembic import op
import sqlalchemy as sa
import trading.types


# revision identifiers, used by Alembic.
revision = '0004_certificates'
down_revision = '0003_guarantees'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'objections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('registration_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('grounds', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('resolution', sa.Text(), nullable=True),
        sa.Column('resolved_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', trading.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', trading.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id']),
        sa.ForeignKeyConstraint(['registration_id'], ['registrations.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index('ix_objections_project_status', ['project_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_objections_project_id'), ['project_id'], unique=False)

    op.create_table(
        'certificates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('number_text', sa.String(length=64), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('facts', sa.Text(), nullable=False),
        sa.Column('signature', sa.String(length=128), nullable=False),
        sa.Column('public_key', sa.String(length=64), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('issued_at', trading.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('issued_by', sa.String(length=64), nullable=False),
        sa.Column('revoked_at', trading.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_by', sa.String(length=64), nullable=True),
        sa.Column('revoke_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('number'),
        sa.UniqueConstraint('number_text'),
        sa.UniqueConstraint('project_id'),
        sa.UniqueConstraint('sha256'),
    )


def downgrade():
    op.drop_table('certificates')
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objections_project_id'))
        batch_op.drop_index('ix_objections_project_status')
    op.drop_table('objections')
