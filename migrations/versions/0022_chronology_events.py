"""chronology events: significant events practitioners add to a child's chronology

Revision ID: 0022
Revises: 0015
Create Date: 2026-11-29 18:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
# The brief names '0012'; main's head is '0015' (0013, 0017, 0015 were re-chained), and
# two heads stop init_database's upgrade(), so this follows the head. Re-chain freely.
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('chronology_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('rev', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('sealed_fields', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_chronology_events_author_id_users')),
    sa.ForeignKeyConstraint(['child_id'], ['persons.id'], name=op.f('fk_chronology_events_child_id_persons')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_chronology_events_household_id_households')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_chronology_events_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chronology_events')),
    sa.UniqueConstraint('uuid', name=op.f('uq_chronology_events_uuid'))
    )
    with op.batch_alter_table('chronology_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chronology_events_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chronology_events_child_id'), ['child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chronology_events_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chronology_events_key_id'), ['key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chronology_events_team_id'), ['team_id'], unique=False)
    # Ciphertext never compresses: stored uncompressed on PostgreSQL, as since 0012.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE chronology_events ALTER COLUMN sealed_fields SET STORAGE EXTERNAL')


def downgrade():
    with op.batch_alter_table('chronology_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chronology_events_team_id'))
        batch_op.drop_index(batch_op.f('ix_chronology_events_key_id'))
        batch_op.drop_index(batch_op.f('ix_chronology_events_household_id'))
        batch_op.drop_index(batch_op.f('ix_chronology_events_child_id'))
        batch_op.drop_index(batch_op.f('ix_chronology_events_author_id'))

    op.drop_table('chronology_events')
