"""flags due: the server's rules run after the push commits

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 04:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checklists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flags_due', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.create_index(batch_op.f('ix_checklists_flags_due'), ['flags_due'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('checklists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklists_flags_due'))
        batch_op.drop_column('flags_due')
