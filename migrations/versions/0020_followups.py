"""follow-through records added to submitted checklists (issue 11 item 2)

Revision ID: 0020
Revises: 0017
Create Date: 2026-11-29 17:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
# Chained after the head of main when this branch started (0017) so the chain has
# one head; the integrator re-chains it after the others.
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'followups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('checklist_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('rev', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('key_id', sa.String(length=32), nullable=False),
        sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
        sa.Column('sealed_fields', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_followups_author_id_users')),
        sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'],
                                name=op.f('fk_followups_checklist_id_checklists')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_followups')),
        sa.UniqueConstraint('uuid', name=op.f('uq_followups_uuid')),
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followups_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_checklist_id'), ['checklist_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_followups_key_id'), ['key_id'], unique=False)
    # Ciphertext never compresses: stored uncompressed on PostgreSQL, as since 0012.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE followups ALTER COLUMN sealed_fields SET STORAGE EXTERNAL')


def downgrade():
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followups_key_id'))
        batch_op.drop_index(batch_op.f('ix_followups_checklist_id'))
        batch_op.drop_index(batch_op.f('ix_followups_author_id'))
    op.drop_table('followups')
