"""the stored flags carry their checklist's place in the queue's order: a flag or severity
filter reads an index that leads with the flag or the severity

Revision ID: 0029
Revises: 0027
Create Date: 2026-11-29 23:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0027'
branch_labels = None
depends_on = None

# Each `checklist_flags` row carries a copy of its checklist's `team_id`, `queue_rank`
# and `submitted_at`, and `ix_checklist_flags_queue_order` is (team, rule, the queue's
# order): the queue filtered to one flag is then an index read that starts at the
# flag, whatever the flag's place in the team's order (review/queue.py). Without it the
# database walks the team's order index and probes each checklist's flags until a page
# is found: 40,000 probes for a flag only approved checklists carry.
#
# `ix_checklist_flags_severity_order` is the same for a severity filter: (team, severity,
# the queue's order), over every flag but a stored `overdue-review`, which the filter
# leaves out (whether a checklist is overdue is asked now); `rule` last only so that
# SQLite, which needs it for that test, reads the index alone. Without it the database
# walks the awaiting checklists and probes each one's flags (about 70 ms at 100,000 for
# urgent).
#
# Triggers keep the copy, so every writer does (the rules' flag rows, pushes,
# decisions, withdrawals, bulk writes): a new flag takes its checklist's values; a
# checklist whose place changes gives its flags the new one. A later batch-mode
# rebuild of `checklists` on SQLite drops the trigger on it: such a migration must
# create it again (tests/api/test_queue_counts.py fails otherwise).

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER checklist_flags_take_order AFTER INSERT ON checklist_flags BEGIN
        UPDATE checklist_flags SET (team_id, queue_rank, submitted_at) =
            (SELECT c.team_id, c.queue_rank, c.submitted_at FROM checklists AS c
             WHERE c.id = NEW.checklist_id)
        WHERE id = NEW.id;
    END""",
    """CREATE TRIGGER checklist_flags_follow_order AFTER UPDATE ON checklists
    WHEN OLD.queue_rank IS NOT NEW.queue_rank OR OLD.submitted_at IS NOT NEW.submitted_at
         OR OLD.team_id IS NOT NEW.team_id BEGIN
        UPDATE checklist_flags SET team_id = NEW.team_id, queue_rank = NEW.queue_rank,
                                   submitted_at = NEW.submitted_at
        WHERE checklist_id = NEW.id;
    END""",
]
_PG = [
    # A row trigger before the insert: the copy is written with the row, not after it.
    """CREATE OR REPLACE FUNCTION checklist_flags_take_order() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        SELECT c.team_id, c.queue_rank, c.submitted_at
          INTO NEW.team_id, NEW.queue_rank, NEW.submitted_at
          FROM checklists AS c WHERE c.id = NEW.checklist_id;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER checklist_flags_take_order BEFORE INSERT OR UPDATE OF checklist_id "
    "ON checklist_flags FOR EACH ROW EXECUTE FUNCTION checklist_flags_take_order()",
    # Statement-level over transition tables, as the queue's counters (0027): a bulk
    # UPDATE of many checklists is one UPDATE of their flags.
    """CREATE OR REPLACE FUNCTION checklist_flags_follow_order() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE checklist_flags AS f
           SET team_id = n.team_id, queue_rank = n.queue_rank, submitted_at = n.submitted_at
          FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id
         WHERE f.checklist_id = n.id
           AND (o.queue_rank IS DISTINCT FROM n.queue_rank
                OR o.submitted_at IS DISTINCT FROM n.submitted_at
                OR o.team_id IS DISTINCT FROM n.team_id);
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER checklist_flags_follow_order AFTER UPDATE ON checklists "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION checklist_flags_follow_order()",
]
# The severity index's rows: written as review/queue.py writes its filter (a literal),
# so both databases' planners see the query implies it.
_NOT_OVERDUE = "rule <> 'overdue-review'"
_FILL = """
    UPDATE checklist_flags SET (team_id, queue_rank, submitted_at) =
        (SELECT c.team_id, c.queue_rank, c.submitted_at FROM checklists AS c
         WHERE c.id = checklist_flags.checklist_id)
"""


def upgrade():
    # Plain nullable columns: SQLite adds them without rebuilding the table.
    op.add_column('checklist_flags', sa.Column('team_id', sa.Integer(), nullable=True))
    op.add_column('checklist_flags', sa.Column('queue_rank', sa.Integer(), nullable=True))
    op.add_column('checklist_flags',
                  sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(_FILL)
    op.create_index('ix_checklist_flags_queue_order', 'checklist_flags',
                    ['team_id', 'rule', 'queue_rank', 'submitted_at', 'checklist_id'],
                    unique=False)
    op.create_index('ix_checklist_flags_severity_order', 'checklist_flags',
                    ['team_id', 'severity', 'queue_rank', 'submitted_at', 'checklist_id',
                     'rule'],
                    unique=False, postgresql_where=sa.text(_NOT_OVERDUE),
                    sqlite_where=sa.text(_NOT_OVERDUE))
    for statement in _PG if op.get_bind().dialect.name == 'postgresql' else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS checklist_flags_follow_order ON checklists")
        op.execute("DROP TRIGGER IF EXISTS checklist_flags_take_order ON checklist_flags")
        op.execute("DROP FUNCTION IF EXISTS checklist_flags_follow_order()")
        op.execute("DROP FUNCTION IF EXISTS checklist_flags_take_order()")
    else:
        op.execute("DROP TRIGGER IF EXISTS checklist_flags_follow_order")
        op.execute("DROP TRIGGER IF EXISTS checklist_flags_take_order")
    op.drop_index('ix_checklist_flags_severity_order', table_name='checklist_flags')
    op.drop_index('ix_checklist_flags_queue_order', table_name='checklist_flags')
    with op.batch_alter_table('checklist_flags', schema=None) as batch_op:
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('queue_rank')
        batch_op.drop_column('team_id')
