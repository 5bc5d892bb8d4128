"""visit plans: planned visits for the Today screen (issue 16)

Revision ID: 0025
Revises: 0022
Create Date: 2026-11-29 18:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('planned_by_id', sa.Integer(), nullable=False),
    sa.Column('rev', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('sealed_fields', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['planned_by_id'], ['users.id'], name=op.f('fk_visit_plans_planned_by_id_users')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_visit_plans_household_id_households')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_visit_plans_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_plans')),
    sa.UniqueConstraint('uuid', name=op.f('uq_visit_plans_uuid'))
    )
    with op.batch_alter_table('visit_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_plans_planned_by_id'), ['planned_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_plans_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_plans_key_id'), ['key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_plans_team_id'), ['team_id'], unique=False)
    # Ciphertext never compresses: stored uncompressed on PostgreSQL, as since 0012.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE visit_plans ALTER COLUMN sealed_fields SET STORAGE EXTERNAL')


def downgrade():
    with op.batch_alter_table('visit_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_plans_team_id'))
        batch_op.drop_index(batch_op.f('ix_visit_plans_key_id'))
        batch_op.drop_index(batch_op.f('ix_visit_plans_household_id'))
        batch_op.drop_index(batch_op.f('ix_visit_plans_planned_by_id'))

    op.drop_table('visit_plans')
