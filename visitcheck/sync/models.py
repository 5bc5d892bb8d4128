"""The sync journal: every op's answer, and the stale edits devices sent.

The ordered feed of changes devices pull is `visitcheck/feed/`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime, UUIDString, utcnow


class SyncOp(Base):
    """An op's answer, written in the same transaction as its effect.

    A retry of the same op_id finds this row and gets the same answer again,
    so nothing is ever applied twice.
    """

    __tablename__ = "sync_ops"

    id: Mapped[int] = mapped_column(primary_key=True)
    op_id: Mapped[str] = mapped_column(UUIDString, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str] = mapped_column(UUIDString, index=True)
    type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(UUIDString, index=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(Text)  # JSON of the first answer
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncConflict(Base):
    """A stale edit a device sent: kept so that no conflict passes unrecorded.

    The device shows both versions to its user; the choice comes back as a new
    op based on the current revision, which `resolved_by_op_id` then names.
    """

    __tablename__ = "sync_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    op_id: Mapped[str] = mapped_column(UUIDString, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str] = mapped_column(UUIDString)
    type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(UUIDString, index=True)
    base_rev: Mapped[int] = mapped_column(Integer)
    server_rev: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by_op_id: Mapped[str | None] = mapped_column(UUIDString, default=None)
