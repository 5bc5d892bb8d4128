"""Teams and the people who use visitcheck."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime, UUIDString, new_uuid, utcnow


class Role(enum.StrEnum):
    HEALTH_VISITOR = "health_visitor"
    SCHOOL_NURSE = "school_nurse"
    TEAM_LEAD = "team_lead"
    ADMIN = "admin"

    @property
    def is_practitioner(self) -> bool:
        return self in (Role.HEALTH_VISITOR, Role.SCHOOL_NURSE)


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True, default=new_uuid)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where a team lead is told at once of an urgent flag (notify/); None: the log only.
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    # Part of the session's user id: raising it ends every session of this user
    # (a device reported lost must not stay signed in).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login keeps this in the session
        return f"{self.uuid}.{self.session_epoch}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class UserSession(Base):
    """A signed-in session, held on the server so that every worker and host sees it end:
    at sign-out, after the idle or the absolute limit, or when its device is revoked.
    The browser's (signed) cookie holds only a random token; its SHA-256 is kept here."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The device the tablet app registered under this session, once it has: from then on
    # the session is refused when that device is revoked, whatever headers a call sends.
    device_id: Mapped[str | None] = mapped_column(UUIDString, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # sign-out | idle | absolute
    end_reason: Mapped[str | None] = mapped_column(String(16), default=None)
