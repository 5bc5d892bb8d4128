"""The change feed's tables: the changes, and one counter per team that orders them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime, UUIDString, utcnow


class FeedCounter(Base):
    """A team's last change number. Taking the next one locks the team's row until
    commit, so the team's numbers become visible in order and a pull (always within
    one team) never skips one. Other teams' writers take other rows."""

    __tablename__ = "feed_counters"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True,
                                         autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Change(Base):
    """A change a device may pull: numbered within its team (`seq`), primary key
    (team_id, seq), which is also the pull's index."""

    __tablename__ = "changes"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True,
                                         autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(UUIDString, index=True)
    rev: Mapped[int] = mapped_column(Integer)
    # Who may see it: everyone with the household on their caseload, and/or one user.
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
