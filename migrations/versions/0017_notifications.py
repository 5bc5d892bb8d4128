"""notifications to team leads, and the address they are emailed to

Revision ID: 0017
Revises: 0012
Create Date: 2026-11-29 17:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('event', sa.String(length=120), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('checklist_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_via', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'],
                                name=op.f('fk_notifications_checklist_id_checklists')),
        sa.ForeignKeyConstraint(['recipient_id'], ['users.id'],
                                name=op.f('fk_notifications_recipient_id_users')),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'],
                                name=op.f('fk_notifications_team_id_teams')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
        sa.UniqueConstraint('event', 'recipient_id', name=op.f('uq_notifications_event')),
        sa.UniqueConstraint('uuid', name=op.f('uq_notifications_uuid')),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_checklist_id'), ['checklist_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_recipient_id'), ['recipient_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_team_id'), ['team_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_sent_at'), ['sent_at'],
                              unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_sent_at'))
        batch_op.drop_index(batch_op.f('ix_notifications_team_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_recipient_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_checklist_id'))
    op.drop_table('notifications')
