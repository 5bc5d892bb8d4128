"""one ordered change feed per team (issue 14 item 3)

`feed_counters` holds one counter per team; `changes` gains `team_id` and is keyed
(team_id, seq), so a team's writers lock only their team's counter. Existing
changes keep their numbers and get the team of their household (or of the user
they are addressed to). Every team's counter starts at the old single counter's
value, so every change recorded from now on is above any cursor a device holds.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-29 20:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_counters',
    sa.Column('team_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_feed_counters_team_id_teams')),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_feed_counters'))
    )
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
    op.execute('UPDATE changes SET team_id = (SELECT households.team_id FROM households'
               ' WHERE households.id = changes.household_id) WHERE household_id IS NOT NULL')
    op.execute('UPDATE changes SET team_id = (SELECT users.team_id FROM users'
               ' WHERE users.id = changes.user_id) WHERE team_id IS NULL AND user_id IS NOT NULL')
    op.execute('DELETE FROM changes WHERE team_id IS NULL')  # addressed to no one
    op.execute('INSERT INTO feed_counters (team_id, value) SELECT teams.id, COALESCE('
               '(SELECT MAX(value) FROM sync_counter), (SELECT MAX(seq) FROM changes), 0)'
               ' FROM teams')
    with op.batch_alter_table('changes', schema=None, recreate='always') as batch_op:
        batch_op.alter_column('team_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('pk_changes', type_='primary')
        batch_op.create_primary_key('pk_changes', ['team_id', 'seq'])
        batch_op.create_foreign_key(batch_op.f('fk_changes_team_id_teams'), 'teams',
                                    ['team_id'], ['id'])
    op.drop_table('sync_counter')


def downgrade():
    op.create_table('sync_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_counter'))
    )
    # Per-team numbers collide across teams: number every change anew above every
    # team's counter, so devices pull them all again rather than skip one.
    bind = op.get_bind()
    base = bind.execute(sa.text('SELECT COALESCE(MAX(value), 0) FROM feed_counters')).scalar()
    rows = bind.execute(sa.text(
        'SELECT team_id, seq FROM changes ORDER BY created_at, team_id, seq')).all()
    for number, (team_id, seq) in enumerate(rows, start=1):
        bind.execute(sa.text('UPDATE changes SET seq = :new WHERE team_id = :team AND seq = :seq'),
                     {'new': -(base + number), 'team': team_id, 'seq': seq})
    op.execute('UPDATE changes SET seq = -seq')
    op.bulk_insert(sa.table('sync_counter', sa.column('id', sa.Integer),
                            sa.column('value', sa.BigInteger)),
                   [{'id': 1, 'value': base + len(rows)}])
    with op.batch_alter_table('changes', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('fk_changes_team_id_teams', type_='foreignkey')
        batch_op.drop_constraint('pk_changes', type_='primary')
        batch_op.create_primary_key('pk_changes', ['seq'])
        batch_op.drop_column('team_id')
    op.drop_table('feed_counters')
