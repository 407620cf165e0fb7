"""guarantees: guarantors, keys, guarantees, claims, deposits

Revision ID: 0003_guarantees
Revises: 0002_auctions
"""
from alembic import op
import sqlalchemy as sa
import trading.types


# revision identifiers, used by Alembic.
revision = '0003_guarantees'
down_revision = '0002_auctions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('guarantors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('created_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_guarantors_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guarantors')),
    sa.UniqueConstraint('code', name=op.f('uq_guarantors_code'))
    )
    op.create_table('guarantor_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guarantor_id', sa.Integer(), nullable=False),
    sa.Column('algorithm', sa.String(length=16), nullable=False),
    sa.Column('public_key_pem', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('valid_from', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['guarantor_id'], ['guarantors.id'], name=op.f('fk_guarantor_keys_guarantor_id_guarantors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guarantor_keys')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_guarantor_keys_fingerprint'))
    )
    with op.batch_alter_table('guarantor_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guarantor_keys_guarantor_id'), ['guarantor_id'], unique=False)

    op.create_table('deposits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('amount', trading.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_by', sa.String(length=64), nullable=True),
    sa.Column('refund_due_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refund_reason', sa.Text(), nullable=True),
    sa.Column('settled_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('settled_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_deposits_registration_id_registrations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposits'))
    )
    with op.batch_alter_table('deposits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deposits_refund_due_at'), ['refund_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deposits_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deposits_status'), ['status'], unique=False)

    op.create_table('guarantees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guarantee_no', sa.String(length=64), nullable=False),
    sa.Column('guarantor_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('applicant', sa.String(length=64), nullable=False),
    sa.Column('beneficiary', sa.String(length=200), nullable=False),
    sa.Column('project_code', sa.String(length=32), nullable=False),
    sa.Column('amount', trading.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('valid_from', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('received_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attached_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['guarantor_id'], ['guarantors.id'], name=op.f('fk_guarantees_guarantor_id_guarantors')),
    sa.ForeignKeyConstraint(['key_id'], ['guarantor_keys.id'], name=op.f('fk_guarantees_key_id_guarantor_keys')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_guarantees_registration_id_registrations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guarantees')),
    sa.UniqueConstraint('guarantee_no', name=op.f('uq_guarantees_guarantee_no'))
    )
    with op.batch_alter_table('guarantees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guarantees_applicant'), ['applicant'], unique=False)
        batch_op.create_index(batch_op.f('ix_guarantees_attached_at'), ['attached_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_guarantees_guarantor_id'), ['guarantor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_guarantees_project_code'), ['project_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_guarantees_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index('ix_guarantees_status_valid_until', ['status', 'valid_until'], unique=False)

    op.create_table('guarantee_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guarantee_id', sa.Integer(), nullable=False),
    sa.Column('amount', trading.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('filed_by', sa.String(length=64), nullable=False),
    sa.Column('filed_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['guarantee_id'], ['guarantees.id'], name=op.f('fk_guarantee_claims_guarantee_id_guarantees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guarantee_claims'))
    )
    with op.batch_alter_table('guarantee_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guarantee_claims_guarantee_id'), ['guarantee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_guarantee_claims_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('guarantee_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guarantee_claims_status'))
        batch_op.drop_index(batch_op.f('ix_guarantee_claims_guarantee_id'))

    op.drop_table('guarantee_claims')
    with op.batch_alter_table('guarantees', schema=None) as batch_op:
        batch_op.drop_index('ix_guarantees_status_valid_until')
        batch_op.drop_index(batch_op.f('ix_guarantees_registration_id'))
        batch_op.drop_index(batch_op.f('ix_guarantees_project_code'))
        batch_op.drop_index(batch_op.f('ix_guarantees_guarantor_id'))
        batch_op.drop_index(batch_op.f('ix_guarantees_attached_at'))
        batch_op.drop_index(batch_op.f('ix_guarantees_applicant'))

    op.drop_table('guarantees')
    with op.batch_alter_table('deposits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deposits_status'))
        batch_op.drop_index(batch_op.f('ix_deposits_registration_id'))
        batch_op.drop_index(batch_op.f('ix_deposits_refund_due_at'))

    op.drop_table('deposits')
    with op.batch_alter_table('guarantor_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guarantor_keys_guarantor_id'))

    op.drop_table('guarantor_keys')
    op.drop_table('guarantors')
