"""The audit trail: sign-ins, every write, and every read of personal data.

Each entry is chained to the one before it by a keyed hash (see audit/chain.py),
so an edited, deleted or reordered entry is found by `audit verify`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The name given at sign-in, kept for failures where no user matched.
    actor_username: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    # The device the request named (X-Visitcheck-Device), when it named one.
    device_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # Space-separated "kind:public-id" of every person, household, concern and
    # checklist the entry touches: what "who has seen this child" searches.
    subjects: Mapped[str | None] = mapped_column(Text, default=None)
    # The chain, filled in just before the writing transaction commits: the
    # entry's place, the master key id its chain key derives from, and
    # HMAC(previous entry's hash | this entry).
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True, default=None)
    chain_key_id: Mapped[str | None] = mapped_column(String(32), default=None)
    chain_hash: Mapped[str | None] = mapped_column(String(64), default=None)


class AuditChainHead(Base):
    """One row: the last chained entry. Appending takes its row lock until commit,
    so entries from every worker and host form one chain."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    chain_hash: Mapped[str] = mapped_column(String(64), default="")
