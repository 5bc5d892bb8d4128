"""the lead's queue served by an index and counters: checklists.queue_rank, computed, and queue_counts kept by triggers

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-29 20:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
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
        batch_op.create_index('ix_checklists_team_flags_due', ['team_id', 'flags_due', 'id'],
                              unique=False)
    # After the rebuild: SQLite's batch mode would drop the triggers with the old table.
    _create_queue_counts()


def downgrade():
    _drop_queue_counts()
    with op.batch_alter_table('checklists', schema=None) as batch_op:
        batch_op.drop_index('ix_checklists_team_flags_due')
        batch_op.drop_index('ix_checklists_queue_order')
        batch_op.drop_column('queue_rank')


# --- queue_counts: the queue's totals and per-flag counts, kept by the database --------
#
# One row per (team, status, rule, severity): how many of the team's checklists of that
# status carry a stored flag of that rule and severity (each counted once however many
# subjects). Besides the flags themselves: ('', '') counts the checklists, (rule, '*')
# those with the rule at any severity, ('*', severity) those with a flag of that
# severity. A stored `overdue-review` is left out (review/queue.py asks it now). The
# checklist row's `flag_summary` is what is counted: the rules write it with the flags.
# Triggers on `checklists` keep it, so every writer does (pushes, the rules, decisions,
# withdrawals, retention purges, bulk inserts). A later batch-mode rebuild of
# `checklists` on SQLite drops triggers: such a migration must create them again
# (tests/api/test_queue_counts.py fails otherwise).

_SQLITE_KEYS = """
    SELECT '' AS rule, '' AS severity
    UNION SELECT COALESCE(json_extract(value, '$.rule'), ''),
                 COALESCE(json_extract(value, '$.severity'), '')
          FROM json_each({row}.flag_summary) WHERE json_extract(value, '$.rule') != 'overdue-review'
    UNION SELECT COALESCE(json_extract(value, '$.rule'), ''), '*'
          FROM json_each({row}.flag_summary) WHERE json_extract(value, '$.rule') != 'overdue-review'
    UNION SELECT '*', COALESCE(json_extract(value, '$.severity'), '')
          FROM json_each({row}.flag_summary) WHERE json_extract(value, '$.rule') != 'overdue-review'
"""
_SQLITE_ADD = """
    INSERT INTO queue_counts (team_id, status, rule, severity, checklists)
    SELECT NEW.team_id, NEW.status, k.rule, k.severity, 1 FROM ({keys}) AS k WHERE true
    ON CONFLICT (team_id, status, rule, severity) DO UPDATE SET checklists = checklists + 1;
""".format(keys=_SQLITE_KEYS.format(row="NEW"))
_SQLITE_TAKE = """
    UPDATE queue_counts SET checklists = checklists - 1
    WHERE team_id = OLD.team_id AND status = OLD.status
      AND (rule, severity) IN (SELECT k.rule, k.severity FROM ({keys}) AS k);
""".format(keys=_SQLITE_KEYS.format(row="OLD"))
_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER queue_counts_insert AFTER INSERT ON checklists BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER queue_counts_delete AFTER DELETE ON checklists BEGIN {_SQLITE_TAKE} END",
    "CREATE TRIGGER queue_counts_update AFTER UPDATE OF team_id, status, flag_summary "
    "ON checklists WHEN OLD.team_id IS NOT NEW.team_id OR OLD.status IS NOT NEW.status "
    f"OR OLD.flag_summary IS NOT NEW.flag_summary BEGIN {_SQLITE_TAKE} {_SQLITE_ADD} END",
]
_SQLITE_FILL = """
    INSERT INTO queue_counts (team_id, status, rule, severity, checklists)
    SELECT team_id, status, rule, severity, count(*) FROM (
        SELECT c.id, c.team_id, c.status, '' AS rule, '' AS severity FROM checklists c
        UNION SELECT c.id, c.team_id, c.status, COALESCE(json_extract(j.value, '$.rule'), ''),
                     COALESCE(json_extract(j.value, '$.severity'), '')
              FROM checklists c, json_each(c.flag_summary) j
              WHERE json_extract(j.value, '$.rule') != 'overdue-review'
        UNION SELECT c.id, c.team_id, c.status, COALESCE(json_extract(j.value, '$.rule'), ''), '*'
              FROM checklists c, json_each(c.flag_summary) j
              WHERE json_extract(j.value, '$.rule') != 'overdue-review'
        UNION SELECT c.id, c.team_id, c.status, '*', COALESCE(json_extract(j.value, '$.severity'), '')
              FROM checklists c, json_each(c.flag_summary) j
              WHERE json_extract(j.value, '$.rule') != 'overdue-review'
    ) GROUP BY team_id, status, rule, severity
"""

_PG = [
    """
    CREATE OR REPLACE FUNCTION queue_count_keys(summary text)
    RETURNS TABLE (k_rule text, k_severity text) LANGUAGE sql IMMUTABLE AS $$
        WITH f AS (
            SELECT COALESCE(e->>'rule', '') AS r, COALESCE(e->>'severity', '') AS s
            FROM jsonb_array_elements(COALESCE(summary, '[]')::jsonb) AS e
            WHERE e->>'rule' IS DISTINCT FROM 'overdue-review')
        SELECT '', '' UNION SELECT r, s FROM f UNION SELECT r, '*' FROM f
        UNION SELECT '*', s FROM f
    $$
    """,
    # Statement-level, over the statement's transition tables: one upsert per key
    # and statement (a bulk insert of 100,000 rows is one, not 100,000 updates of the
    # same counter row), the keys taken in order so two writers lock them alike.
    """
    CREATE OR REPLACE FUNCTION queue_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO queue_counts AS q (team_id, status, rule, severity, checklists)
            SELECT n.team_id, n.status, k.k_rule, k.k_severity, count(*)
            FROM new_rows n CROSS JOIN LATERAL queue_count_keys(n.flag_summary) AS k
            GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            ON CONFLICT (team_id, status, rule, severity)
            DO UPDATE SET checklists = q.checklists + EXCLUDED.checklists;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO queue_counts AS q (team_id, status, rule, severity, checklists)
            SELECT o.team_id, o.status, k.k_rule, k.k_severity, -count(*)
            FROM old_rows o CROSS JOIN LATERAL queue_count_keys(o.flag_summary) AS k
            GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            ON CONFLICT (team_id, status, rule, severity)
            DO UPDATE SET checklists = q.checklists + EXCLUDED.checklists;
        ELSE
            INSERT INTO queue_counts AS q (team_id, status, rule, severity, checklists)
            SELECT d.team_id, d.status, d.k_rule, d.k_severity, sum(d.delta)
            FROM (
                SELECT n.team_id, n.status, k.k_rule, k.k_severity, 1 AS delta
                FROM new_rows n JOIN old_rows o ON o.id = n.id
                CROSS JOIN LATERAL queue_count_keys(n.flag_summary) AS k
                WHERE (o.team_id, o.status, o.flag_summary)
                      IS DISTINCT FROM (n.team_id, n.status, n.flag_summary)
                UNION ALL
                SELECT o.team_id, o.status, k.k_rule, k.k_severity, -1
                FROM old_rows o JOIN new_rows n ON n.id = o.id
                CROSS JOIN LATERAL queue_count_keys(o.flag_summary) AS k
                WHERE (o.team_id, o.status, o.flag_summary)
                      IS DISTINCT FROM (n.team_id, n.status, n.flag_summary)
            ) AS d
            GROUP BY 1, 2, 3, 4 HAVING sum(d.delta) <> 0 ORDER BY 1, 2, 3, 4
            ON CONFLICT (team_id, status, rule, severity)
            DO UPDATE SET checklists = q.checklists + EXCLUDED.checklists;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER queue_counts_insert AFTER INSERT ON checklists "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_keep()",
    "CREATE TRIGGER queue_counts_delete AFTER DELETE ON checklists "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_keep()",
    "CREATE TRIGGER queue_counts_update AFTER UPDATE ON checklists "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_keep()",
]
_PG_FILL = """
    INSERT INTO queue_counts (team_id, status, rule, severity, checklists)
    SELECT c.team_id, c.status, k.k_rule, k.k_severity, count(*)
    FROM checklists c CROSS JOIN LATERAL queue_count_keys(c.flag_summary) AS k
    GROUP BY c.team_id, c.status, k.k_rule, k.k_severity
"""


def _create_queue_counts():
    op.create_table(
        'queue_counts',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('rule', sa.String(length=64), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('checklists', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
        sa.PrimaryKeyConstraint('team_id', 'status', 'rule', 'severity'))
    if op.get_bind().dialect.name == 'postgresql':
        for statement in _PG:
            op.execute(statement)
        op.execute(_PG_FILL)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
        op.execute(_SQLITE_FILL)


def _drop_queue_counts():
    if op.get_bind().dialect.name == 'postgresql':
        for name in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS queue_counts_{name} ON checklists")
        op.execute("DROP FUNCTION IF EXISTS queue_counts_keep()")
        op.execute("DROP FUNCTION IF EXISTS queue_count_keys(text)")
    else:
        for name in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS queue_counts_{name}")
    op.execute("DROP TABLE IF EXISTS queue_counts")
