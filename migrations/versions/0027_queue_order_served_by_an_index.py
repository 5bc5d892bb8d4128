"""the lead's queue order served by an index: checklists.queue_rank, computed

Revision ID: 0027
Revises: 0025
Create Date: 2026-11-29 20:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0025'
branch_labels = None
depends_on = None

# The same text as visitcheck/checklists/models.py QUEUE_RANK_SQL (a test compares them).
QUEUE_RANK_SQL = (
    "CASE WHEN status IN ('submitted', 'escalated') THEN 0 "
    "WHEN status IN ('returned', 'approved') THEN 8 END "
    "+ flag_rank * 2 + CASE WHEN submitted_at IS NULL THEN 1 ELSE 0 END")


def upgrade():
    # SQLite adds a stored generated column only by rebuilding the table (batch mode).
    with op.batch_alter_table('checklists', schema=None, recreate='auto') as batch_op:
        batch_op.add_column(sa.Column('queue_rank', sa.Integer(),
                                      sa.Computed(QUEUE_RANK_SQL, persisted=True),
                                      nullable=True))
        batch_op.create_index('ix_checklists_queue_order',
                              ['team_id', 'queue_rank', 'submitted_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('checklists', schema=None) as batch_op:
        batch_op.drop_index('ix_checklists_queue_order')
        batch_op.drop_column('queue_rank')
