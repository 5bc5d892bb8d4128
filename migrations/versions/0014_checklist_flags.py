"""checklist flags: the server's flags stored with who and why, and kept live

Each flag of a checklist's latest evaluation is a row: rule, severity and
subject in clear for the queue's SQL; reason, action and the answers behind
it encrypted at rest (they name people). `flags_rev` guards against flags read
from older facts overwriting newer ones; `flags_evaluated_at` says when the
rules last ran. Every existing checklist is marked due, so its flags are
stored with their reasons at the next push, queue or `flags refresh`.

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-29 17:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'checklist_flags',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('checklist_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=64), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('subject', sa.String(length=64), nullable=True),
        sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('key_id', sa.String(length=32), nullable=False),
        sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
        sa.Column('sealed_fields', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'],
                                name=op.f('fk_checklist_flags_checklist_id_checklists'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_flags')),
        sa.UniqueConstraint('uuid', name=op.f('uq_checklist_flags_uuid')),
    )
    with op.batch_alter_table('checklist_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_flags_checklist_id'), ['checklist_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_checklist_flags_rule'), ['rule'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklist_flags_subject'), ['subject'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_checklist_flags_key_id'), ['key_id'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # Random bytes do not compress (see 0012).
        op.execute('ALTER TABLE checklist_flags ALTER COLUMN sealed_fields SET STORAGE EXTERNAL')
    with op.batch_alter_table('checklists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flags_rev', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('flags_evaluated_at', sa.DateTime(timezone=True),
                                      nullable=True))
    # Flags so far were a summary without reasons: evaluate every checklist again.
    op.execute(sa.text('UPDATE checklists SET flags_due = :due').bindparams(due=True))


def downgrade():
    with op.batch_alter_table('checklists', schema=None) as batch_op:
        batch_op.drop_column('flags_evaluated_at')
        batch_op.drop_column('flags_rev')
    with op.batch_alter_table('checklist_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_flags_key_id'))
        batch_op.drop_index(batch_op.f('ix_checklist_flags_subject'))
        batch_op.drop_index(batch_op.f('ix_checklist_flags_rule'))
        batch_op.drop_index(batch_op.f('ix_checklist_flags_checklist_id'))
    op.drop_table('checklist_flags')
