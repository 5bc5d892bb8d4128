"""Follow-through records: one row per record, never changed once stored."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..checklists.models import Checklist
from ..database import Base, UTCDateTime, UUIDString, utcnow
from ..keys import EncryptedFields


class FollowupKind(enum.StrEnum):
    ACTION_STATUS = "action_status"
    REFERRAL_OUTCOME = "referral_outcome"
    FLAG_RESPONSE = "flag_response"
    ADDENDUM = "addendum"


class Followup(EncryptedFields, Base):
    """Encrypted fields: what the record says (row or rule+subject it refers to, status,
    text), since the text names people. Kind and times are in clear: they order the
    trail and say nothing about anyone.

    The uuid is made on the tablet, so a retried sync is the same record."""

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    # Append-only: always 1. Kept so the record answers like every other op's row.
    rev: Mapped[int] = mapped_column(Integer, default=1)
    # When the practitioner recorded it, by the device's clock (it may have been offline).
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the server stored it.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    checklist: Mapped[Checklist] = relationship()
    author: Mapped[User] = relationship()
