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
