"""A team lead's decisions on checklists (S9 of DOMAIN.md)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import Base, UTCDateTime, UUIDString, new_uuid, utcnow
from ..keys import EncryptedFields


class Decision(enum.StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    ESCALATE = "escalate"


class Procedure(enum.StrEnum):
    """What an escalation names: the procedure the lead starts."""

    CHILD_PROTECTION_REFERRAL = "child_protection_referral"
    STRATEGY_DISCUSSION = "strategy_discussion"
    ORGANISED_COMPLEX_ABUSE = "organised_complex_abuse"
    LADO_REFERRAL = "lado_referral"
    MAPPA_CHECK = "mappa_check"


class ReviewDecision(EncryptedFields, Base):
    """One decision. Encrypted fields: the comment (it may name people).

    The decision, procedure and supervision date are in clear: the queue and the
    overdue check need them, and they say nothing about anyone.
    """

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True, default=new_uuid)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    procedure: Mapped[str | None] = mapped_column(String(40), default=None)
    supervision_date: Mapped[date | None] = mapped_column(Date, default=None)
    # The checklist's revision the lead decided on, and the one the decision made.
    checklist_rev: Mapped[int] = mapped_column(Integer)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    lead: Mapped[User] = relationship()


class QueueCount(Base):
    """The lead's queue's totals and per-flag counts, kept by triggers on `checklists`
    (migration 0027): how many of a team's checklists of a status carry a stored flag
    of (rule, severity), each once. ('', '') counts the checklists themselves, (rule,
    '*') those with the rule at any severity, ('*', severity) those with a flag of that
    severity. A stored `overdue-review` is not counted: the queue asks it now. Read by
    review/queue.py; never written by the application."""

    __tablename__ = "queue_counts"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    rule: Mapped[str] = mapped_column(String(64), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16), primary_key=True)
    checklists: Mapped[int] = mapped_column(Integer)
