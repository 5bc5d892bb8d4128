"""Checklist templates (versioned) and the checklists made with them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Computed,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import Base, UTCDateTime, UUIDString, utcnow
from ..keys import EncryptedFields
from ..people.models import Household


class ChecklistStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    ESCALATED = "escalated"


# checklists.queue_rank (migration 0027 has the same text): statuses as review/decisions.py
# has them (DECIDABLE awaiting, the rest of REVIEWABLE after), flag_rank 0-3 as stored.
QUEUE_RANK_SQL = (
    "CASE WHEN status IN ('submitted', 'escalated') THEN 0 "
    "WHEN status IN ('returned', 'approved') THEN 8 END "
    "+ flag_rank * 2 + CASE WHEN submitted_at IS NULL THEN 1 ELSE 0 END")


class ChecklistTemplate(Base):
    __tablename__ = "checklist_templates"
    __table_args__ = (UniqueConstraint("template", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[str] = mapped_column(Text)  # the template JSON, as loaded
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Checklist(EncryptedFields, Base):
    """Encrypted fields: the whole plaintext the device sealed (answers included).

    The uuid is made on the tablet, so a retried sync is the same checklist.
    """

    __tablename__ = "checklists"
    # The lead's queue filters and pages in SQL (review/queue.py); its urgency order is
    # this index's order, so a page reads its rows off the index, never a sort.
    __table_args__ = (Index("ix_checklists_queue", "team_id", "status", "submitted_at"),
                      Index("ix_checklists_queue_order", "team_id", "queue_rank",
                            "submitted_at", "id"),
                      # What is still due of a team, in order (rules.service, before
                      # every queue): SQLite's planner otherwise walks the team's rows.
                      Index("ix_checklists_team_flags_due", "team_id", "flags_due", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    template: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    rev: Mapped[int] = mapped_column(Integer)
    # In clear for the review queue's ordering; the visit's content is encrypted.
    visit_at: Mapped[str | None] = mapped_column(String(32), default=None)
    # JSON list of {"rule", "severity"} the server's rules raised at the last
    # evaluation: enough for the queue to sort and filter. The flags with their
    # reasons, which name people, are stored encrypted in `checklist_flags`.
    flag_summary: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    # The most pressing severity among the stored flags (0 urgent, 1 action, 2 review,
    # 3 none), kept with `flag_summary`: the queue's urgency order as an indexed column.
    flag_rank: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # The queue's urgency order before the time of submission, computed by the database
    # from the row itself (so whoever writes status, flags or submitted_at keeps it
    # right): awaiting a decision first, then the most pressing flag, then a missing
    # submission time last. Null for a draft, which is not in the queue.
    queue_rank: Mapped[int | None] = mapped_column(
        Integer, Computed(QUEUE_RANK_SQL, persisted=True))
    # True from a save, or a change of the facts the rules read, until the
    # server's rules have run over it again. They run after the push commits,
    # outside the feed lock (rules.service.evaluate_due_flags); whatever is still
    # due is evaluated before a lead's queue is shown and by `flags refresh`, so
    # a flag is never missing because a request died.
    flags_due: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                            index=True)
    # Bumped whenever the flags are marked due and whenever they are stored: an
    # evaluation stores its flags only if this is still what it read, so flags
    # read from older facts never overwrite newer ones (nor clear a newer mark).
    flags_rev: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the server's rules last ran over it; null before they ever did.
    flags_evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    author: Mapped[User] = relationship()
    household: Mapped[Household] = relationship()
