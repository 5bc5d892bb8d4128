"""Significant events a practitioner adds to a child's chronology (issue 16 item 2)."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import Base
from ..revisioned import Revisioned


class ChronologyEvent(Revisioned, Base):
    """One significant event in one child's life, as a practitioner recorded it.

    Encrypted fields: everything said about it (date, source, agency, fact or opinion,
    the event, its impact on the child, the action). In clear only the ids the pull and
    the access checks need: the child, the household it was recorded under, the author.
    The uuid is made on the tablet, so a retried sync is the same event.
    """

    __tablename__ = "chronology_events"

    child_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    author: Mapped[User] = relationship()
