"""the lead's alerts page served by a summary: alert_groups, one row per concern x
household, kept by triggers on alerts, with an index in the page's order

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-30 00:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


# --- alert_groups: one row per (concern, household) with alerts, kept by the database ----
#
# recipients: its alerts; unacknowledged: those with no acknowledged_at; latest_raised_at:
# the newest raised_at; team_id: the household's team (an alert's team). The lead's
# alerts page reads a page of these rows through ix_alert_groups_page, in the page's
# order, instead of grouping all the team's alerts (visitcheck/sharing/service.py).
# Triggers on `alerts` keep it, so every writer does (raising, acknowledgements,
# retention purges, bulk inserts). No migration rebuilds `alerts` in batch mode after
# 0010; one that does on SQLite drops these triggers and must create them again
# (tests/api/test_alert_groups.py fails otherwise).

# SQLite: one writer at a time, row triggers.
_SQLITE_ADD = """
    INSERT INTO alert_groups (team_id, concern_id, household_id, recipients, unacknowledged,
                              latest_raised_at)
    SELECT h.team_id, NEW.concern_id, NEW.household_id, 1, NEW.acknowledged_at IS NULL,
           NEW.raised_at
    FROM households h WHERE h.id = NEW.household_id
    ON CONFLICT (concern_id, household_id) DO UPDATE SET
        recipients = recipients + 1,
        unacknowledged = unacknowledged + excluded.unacknowledged,
        latest_raised_at = max(latest_raised_at, excluded.latest_raised_at);
"""
# After the row is gone (or changed): the newest of the group's alerts left.
_SQLITE_TAKE = """
    UPDATE alert_groups SET
        recipients = recipients - 1,
        unacknowledged = unacknowledged - (OLD.acknowledged_at IS NULL),
        latest_raised_at = COALESCE((SELECT max(a.raised_at) FROM alerts a
                                     WHERE a.concern_id = OLD.concern_id
                                       AND a.household_id = OLD.household_id),
                                    latest_raised_at)
    WHERE concern_id = OLD.concern_id AND household_id = OLD.household_id;
    DELETE FROM alert_groups
    WHERE concern_id = OLD.concern_id AND household_id = OLD.household_id
      AND recipients <= 0;
"""
_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER alert_groups_insert AFTER INSERT ON alerts BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER alert_groups_delete AFTER DELETE ON alerts BEGIN {_SQLITE_TAKE} END",
    # An acknowledgement: the one update the application makes, and a cheap one.
    "CREATE TRIGGER alert_groups_acknowledge AFTER UPDATE OF acknowledged_at ON alerts "
    "WHEN (OLD.acknowledged_at IS NULL) IS NOT (NEW.acknowledged_at IS NULL) "
    "AND OLD.concern_id = NEW.concern_id AND OLD.household_id = NEW.household_id "
    "AND OLD.raised_at IS NEW.raised_at BEGIN "
    "UPDATE alert_groups SET unacknowledged = unacknowledged "
    "+ (NEW.acknowledged_at IS NULL) - (OLD.acknowledged_at IS NULL) "
    "WHERE concern_id = NEW.concern_id AND household_id = NEW.household_id; END",
    # Anything else that moves an alert between groups or changes when it was raised.
    "CREATE TRIGGER alert_groups_update AFTER UPDATE OF concern_id, household_id, raised_at "
    "ON alerts WHEN OLD.concern_id IS NOT NEW.concern_id "
    "OR OLD.household_id IS NOT NEW.household_id OR OLD.raised_at IS NOT NEW.raised_at "
    f"BEGIN {_SQLITE_TAKE} {_SQLITE_ADD} END",
]

# PostgreSQL: statement-level, over the statement's transition tables (one write per
# group and statement, not one per row). Counts move by deltas added to the row as it
# is when locked, so concurrent writers to one group add up rather than overwrite each
# other; the newest raised_at is looked for again only when the rows taken away held it
# (a row raised since, by another writer, is newer and is kept).
_PG_ADD = """
    INSERT INTO alert_groups AS g (team_id, concern_id, household_id, recipients,
                                   unacknowledged, latest_raised_at)
    SELECT h.team_id, n.concern_id, n.household_id, count(*),
           count(*) - count(n.acknowledged_at), max(n.raised_at)
    FROM {new} n JOIN households h ON h.id = n.household_id
    GROUP BY h.team_id, n.concern_id, n.household_id ORDER BY 2, 3
    ON CONFLICT (concern_id, household_id) DO UPDATE SET
        recipients = g.recipients + EXCLUDED.recipients,
        unacknowledged = g.unacknowledged + EXCLUDED.unacknowledged,
        latest_raised_at = GREATEST(g.latest_raised_at, EXCLUDED.latest_raised_at);
"""
_PG_TAKE = """
    UPDATE alert_groups AS g SET
        recipients = g.recipients - d.recipients,
        unacknowledged = g.unacknowledged - d.unacknowledged,
        latest_raised_at = CASE WHEN g.latest_raised_at > d.latest THEN g.latest_raised_at
            ELSE COALESCE((SELECT max(a.raised_at) FROM alerts a
                           WHERE a.concern_id = g.concern_id
                             AND a.household_id = g.household_id),
                          g.latest_raised_at) END
    FROM (SELECT o.concern_id, o.household_id, count(*) AS recipients,
                 count(*) - count(o.acknowledged_at) AS unacknowledged,
                 max(o.raised_at) AS latest
          FROM {old} o GROUP BY o.concern_id, o.household_id) AS d
    WHERE g.concern_id = d.concern_id AND g.household_id = d.household_id;
    DELETE FROM alert_groups AS g
    USING (SELECT DISTINCT o.concern_id, o.household_id FROM {old} o) AS d
    WHERE g.concern_id = d.concern_id AND g.household_id = d.household_id
      AND g.recipients <= 0;
"""
# An update counts only the rows whose group, raised_at or acknowledgement changed:
# taken away as they were, added as they are.
_PG_CHANGED = (
    "(SELECT {row}.* FROM old_rows o JOIN new_rows n ON n.id = o.id "
    "WHERE (o.concern_id, o.household_id, o.raised_at, o.acknowledged_at IS NULL) "
    "IS DISTINCT FROM (n.concern_id, n.household_id, n.raised_at, n.acknowledged_at IS NULL))")
_PG_KEEP = f"""
    CREATE OR REPLACE FUNCTION alert_groups_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_PG_ADD.format(new="new_rows")}
        ELSIF TG_OP = 'DELETE' THEN
            {_PG_TAKE.format(old="old_rows")}
        ELSE
            {_PG_TAKE.format(old=_PG_CHANGED.format(row="o"))}
            {_PG_ADD.format(new=_PG_CHANGED.format(row="n"))}
        END IF;
        RETURN NULL;
    END
    $$
"""
_PG_TRIGGERS = [
    "CREATE TRIGGER alert_groups_insert AFTER INSERT ON alerts "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_groups_keep()",
    "CREATE TRIGGER alert_groups_delete AFTER DELETE ON alerts "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_groups_keep()",
    "CREATE TRIGGER alert_groups_update AFTER UPDATE ON alerts "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION alert_groups_keep()",
]

_FILL = """
    INSERT INTO alert_groups (team_id, concern_id, household_id, recipients, unacknowledged,
                              latest_raised_at)
    SELECT h.team_id, a.concern_id, a.household_id, count(*),
           count(*) - count(a.acknowledged_at), max(a.raised_at)
    FROM alerts a JOIN households h ON h.id = a.household_id
    GROUP BY h.team_id, a.concern_id, a.household_id
"""


def upgrade():
    op.create_table(
        'alert_groups',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('concern_id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.Column('unacknowledged', sa.Integer(), nullable=False),
        sa.Column('latest_raised_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'],
                                name=op.f('fk_alert_groups_team_id_teams')),
        sa.ForeignKeyConstraint(['concern_id'], ['concerns.id'],
                                name=op.f('fk_alert_groups_concern_id_concerns')),
        sa.ForeignKeyConstraint(['household_id'], ['households.id'],
                                name=op.f('fk_alert_groups_household_id_households')),
        sa.PrimaryKeyConstraint('concern_id', 'household_id', name=op.f('pk_alert_groups')))
    # The page's order, exactly: a page is a walk along this index.
    op.create_index('ix_alert_groups_page', 'alert_groups', [
        'team_id', sa.text('unacknowledged DESC'), sa.text('latest_raised_at DESC'),
        'concern_id', 'household_id'], unique=False)
    # A group's alerts, found together: the page's alerts, and the newest raised_at looked
    # for again when a purge takes a group's newest alert away.
    op.create_index('ix_alerts_group', 'alerts', ['concern_id', 'household_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_PG_KEEP)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    op.execute(_FILL)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for name in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS alert_groups_{name} ON alerts")
        op.execute("DROP FUNCTION IF EXISTS alert_groups_keep()")
    else:
        for name in ('insert', 'delete', 'acknowledge', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS alert_groups_{name}")
    op.drop_index('ix_alerts_group', table_name='alerts')
    op.drop_index('ix_alert_groups_page', table_name='alert_groups')
    op.drop_table('alert_groups')
