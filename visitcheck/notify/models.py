"""Notifications to team leads: one row per event and lead, written in the same
transaction as the event and delivered later by `flask --app visitcheck notify send`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..checklists.models import Checklist
from ..database import Base, UTCDateTime, UUIDString, new_uuid, utcnow


class Notification(Base):
    """Ids, kinds and times only: what a lead is told names no person (the email is a
    link to the checklist), so nothing here is encrypted."""

    __tablename__ = "notifications"
    # One event is told to one lead once, however many hosts or pushes record it.
    __table_args__ = (UniqueConstraint("event", "recipient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True, default=new_uuid)
    kind: Mapped[str] = mapped_column(String(32))  # urgent-flag | overdue-review
    # What happened, as a key: kind, checklist and the revision or submission it was about.
    event: Mapped[str] = mapped_column(String(120))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Delivery: a sender claims a row (claimed_at) before it talks to the mail server
    # and marks it sent only once the server accepted it.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    sent_via: Mapped[str | None] = mapped_column(String(16), default=None)  # smtp|log|void

    recipient: Mapped[User] = relationship()
    checklist: Mapped[Checklist] = relationship()
