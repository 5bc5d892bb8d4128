"""The flags the server's rules raised, stored per checklist (docs/rules.md,
"Flags that live").

What SQL filters and counts on is in clear (rule, severity, subject id); what
names people (the reason, the action, the answers behind the flag) is
encrypted at rest like every other personal field.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime, UUIDString, utcnow
from ..keys import EncryptedFields

# The rows a severity filter reads: every stored flag but `overdue-review`, which the
# queue asks of the rule now (review/queue.py). Migration 0029 writes the same.
NOT_OVERDUE_SQL = "rule <> 'overdue-review'"


class ChecklistFlag(EncryptedFields, Base):
    """One flag of a checklist's latest evaluation. Encrypted fields: `reason`,
    `action` and `answers` (the section/field paths behind the flag)."""

    __tablename__ = "checklist_flags"
    # The queue's flag filters and counts (review/queue.py); a flag filter's page is
    # read off the second, which leads with the flag and follows the queue's order.
    __table_args__ = (Index("ix_checklist_flags_checklist_rule", "checklist_id", "rule",
                            "severity"),
                      Index("ix_checklist_flags_queue_order", "team_id", "rule",
                            "queue_rank", "submitted_at", "checklist_id"),
                      # A severity filter's page: the same, leading with the severity,
                      # without the stored `overdue-review` rows the filter leaves out
                      # (`rule` last only so that SQLite reads the index alone).
                      Index("ix_checklist_flags_severity_order", "team_id", "severity",
                            "queue_rank", "submitted_at", "checklist_id", "rule",
                            postgresql_where=text(NOT_OVERDUE_SQL),
                            sqlite_where=text(NOT_OVERDUE_SQL)))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True)
    checklist_id: Mapped[int] = mapped_column(
        ForeignKey("checklists.id", ondelete="CASCADE"), index=True)
    # The order the rules raised them in: the tablet and the lead read them so.
    position: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    # A person, user, referral row or checklist id (or a role); null for the visit.
    subject: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    # When this set was stored; an evaluation that finds the same set leaves it (the
    # checklist's `flags_evaluated_at` says when the rules last ran).
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Copies of the checklist's team_id, queue_rank and submitted_at: its place in the
    # queue's order. Written by the database only (triggers, migration 0029), never
    # set here: a new flag takes its checklist's, a checklist that moves moves its flags.
    team_id: Mapped[int | None] = mapped_column(Integer)
    queue_rank: Mapped[int | None] = mapped_column(Integer)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
