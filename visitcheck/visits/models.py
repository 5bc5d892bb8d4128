"""Planned visits (issue 16 item 1): a household and a day, planned on the tablet or by
the lead, that the practitioner's Today screen lists."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base
from ..revisioned import Revisioned


class VisitPlan(Revisioned, Base):
    """One planned visit. Encrypted: the day, the time, the purpose, whether it was
    cancelled (a day and a purpose next to an address say who is being watched).
    In clear only what the pull and the access checks need: the household, the team,
    who planned it. The uuid is made where it is planned, so a retry is the same plan."""

    __tablename__ = "visit_plans"

    planned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
