"""Planned visits (issue 16 item 1): a household and a day, planned on the tablet or by
the lead, that the practitioner's Today screen lists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime, UUIDString, utcnow
from ..keys import EncryptedFields


class VisitPlan(EncryptedFields, Base):
    """One planned visit. Encrypted: the day, the time, the purpose, whether it was
    cancelled (a day and a purpose next to an address say who is being watched).
    In clear only what the pull and the access checks need: the household, the team,
    who planned it. The uuid is made where it is planned, so a retry is the same plan."""

    __tablename__ = "visit_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    planned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rev: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
