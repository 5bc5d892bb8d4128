"""Alerts about adults who may pose a risk (lesson L1): who was told, and who has seen it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import Base, UTCDateTime, UUIDString, new_uuid, utcnow
from ..people.models import Concern, Household


class Alert(Base):
    """One professional told about one concern, for one household with children.

    Holds ids and times only: what the alert says is built from the concern,
    the person and the household (all encrypted) when it is delivered.
    """

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("user_id", "concern_id", "household_id"),
                      # A group's alerts together (migration 0030).
                      Index("ix_alerts_group", "concern_id", "household_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True, default=new_uuid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    rev: Mapped[int] = mapped_column(Integer, default=1)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the professional acknowledged it on their device (it may have been offline),
    # and when the server learnt of it.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    acknowledgement_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime,
                                                                         default=None)

    user: Mapped[User] = relationship()
    concern: Mapped[Concern] = relationship()
    household: Mapped[Household] = relationship()


class AlertGroupSummary(Base):
    """One concern at one household on the lead's alerts page, counted: kept by triggers
    on `alerts` (migration 0030), so every writer keeps it (raising, acknowledgements,
    retention purges). Read by sharing/service.py to order and page the groups; never
    written by the application."""

    __tablename__ = "alert_groups"
    __table_args__ = (Index("ix_alert_groups_page", "team_id", text("unacknowledged DESC"),
                            text("latest_raised_at DESC"), "concern_id", "household_id"),)

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))  # the household's team
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id"), primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    recipients: Mapped[int] = mapped_column(Integer)
    unacknowledged: Mapped[int] = mapped_column(Integer)
    latest_raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
