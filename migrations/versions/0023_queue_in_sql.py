"""the lead's queue in SQL: each checklist's most pressing stored severity, and indexes

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 18:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

# 0 urgent, 1 action, 2 review, 3 none: review/queue.py's SEVERITIES order.
_SET_RANK = ("UPDATE checklists SET flag_rank = COALESCE((SELECT MIN(CASE f.severity WHEN 'urgent' THEN 0 WHEN 'action' THEN 1 "
         "WHEN 'review' THEN 2 ELSE 3 END) FROM checklist_flags f "
         "WHERE f.checklist_id = checklists.id), 3)")


def upgrade():
    with op.batch_alter_table('checklists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flag_rank', sa.Integer(), server_default='3',
                                      nullable=False))
        batch_op.create_index('ix_checklists_queue', ['team_id', 'status', 'submitted_at'],
                              unique=False)
    op.execute(_SET_RANK)
    with op.batch_alter_table('checklist_flags', schema=None) as batch_op:
        batch_op.create_index('ix_checklist_flags_checklist_rule',
                              ['checklist_id', 'rule', 'severity'], unique=False)


def downgrade():
    with op.batch_alter_table('checklist_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_checklist_flags_checklist_rule')
    with op.batch_alter_table('checklists', schema=None) as batch_op:
        batch_op.drop_index('ix_checklists_queue')
        batch_op.drop_column('flag_rank')
