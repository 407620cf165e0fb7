"""tender questions: bidders' anonymous questions (答疑), answered by a clarification.

Revision ID: 0014_questions
Revises: 0008_tenders
"""
from alembic import op
import sqlalchemy as sa
import trading.types


# revision identifiers, used by Alembic.
revision = '0014_questions'
down_revision = '0008_tenders'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tender_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('asker_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('asked_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['tender_clarifications.id'], name=op.f('fk_tender_questions_answered_by_tender_clarifications')),
    sa.ForeignKeyConstraint(['asker_id'], ['users.id'], name=op.f('fk_tender_questions_asker_id_users')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_tender_questions_tender_id_tenders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_questions'))
    )
    with op.batch_alter_table('tender_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_questions_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_tender_questions_tender_id'), ['tender_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tender_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_questions_tender_id'))
        batch_op.drop_index(batch_op.f('ix_tender_questions_status'))
    op.drop_table('tender_questions')
