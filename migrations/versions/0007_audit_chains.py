"""audit: one chain per project (and for accounts, guarantors), anchored; the old single chain kept as `legacy`

Revision ID: 0007_audit_chains
Revises: 0004_certificates

The existing entries are not rehashed: they become the chain `legacy` with chain_seq = seq and their hashes
unchanged (trading.audit.entry_hash omits the "chain" key for that chain), so every hash quoted before the
migration — a certificate's audit_head included — still verifies. Its head row moves from audit_head to
audit_chains; the first anchor the scheduler writes covers it. New entries go to the new chains.
"""
from alembic import op
import sqlalchemy as sa

revision = '0007_audit_chains'
down_revision = '0006_security_c'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'audit_chains',
        sa.Column('chain', sa.String(length=64), nullable=False),
        sa.Column('seq', BigId, nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_chains')),
    )
    op.create_table(
        'audit_anchored',
        sa.Column('chain', sa.String(length=64), nullable=False),
        sa.Column('seq', BigId, nullable=False),
        sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_anchored')),
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('chain_seq', BigId, nullable=True))
    op.execute("UPDATE audit_log SET chain = 'legacy', chain_seq = seq")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('chain', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('chain_seq', existing_type=BigId, nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_log_chain_chain_seq'), ['chain', 'chain_seq'])
    op.execute("INSERT INTO audit_chains (chain, seq, hash) SELECT 'legacy', seq, hash FROM audit_head "
               "WHERE id = 1 AND seq > 0")
    op.drop_table('audit_head')
    if op.get_bind().dialect.name == 'postgresql':
        # the global order of entries comes from a sequence now: no lock shared by appends to different chains
        op.execute("CREATE SEQUENCE audit_log_seq_seq OWNED BY audit_log.seq")
        op.execute("ALTER TABLE audit_log ALTER COLUMN seq SET DEFAULT nextval('audit_log_seq_seq')")
        op.execute("SELECT setval('audit_log_seq_seq', coalesce((SELECT max(seq) FROM audit_log), 0) + 1, false)")
    # SQLite: seq is an INTEGER PRIMARY KEY, the rowid, assigned on insert


def downgrade():
    # Only the legacy chain can go back to the single-chain layout; entries of the new chains are kept but their
    # chain column is dropped, so verification of the old kind fails if there are any.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE audit_log ALTER COLUMN seq DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS audit_log_seq_seq")
    op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', BigId, nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head')),
    )
    op.execute("INSERT INTO audit_head (id, seq, hash) SELECT 1, coalesce(max(seq), 0), "
               "coalesce(max(hash), '" + "0" * 64 + "') FROM audit_chains WHERE chain = 'legacy'")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_log_chain_chain_seq'), type_='unique')
        batch_op.drop_column('chain_seq')
        batch_op.drop_column('chain')
    op.drop_table('audit_anchored')
    op.drop_table('audit_chains')
