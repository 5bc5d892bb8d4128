"""Significant events a practitioner adds to a child's chronology (issue 16 item 2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import Base, UTCDateTime, UUIDString, utcnow
from ..keys import EncryptedFields


class ChronologyEvent(EncryptedFields, Base):
    """One significant event in one child's life, as a practitioner recorded it.

    Encrypted fields: everything said about it (date, source, agency, fact or opinion,
    the event, its impact on the child, the action). In clear only the ids the pull and
    the access checks need: the child, the household it was recorded under, the author.
    The uuid is made on the tablet, so a retried sync is the same event.
    """

    __tablename__ = "chronology_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rev: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()
