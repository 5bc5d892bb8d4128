"""Legal holds and the reports of retention purges."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime, UUIDString, new_uuid, utcnow


class LegalHold(Base):
    """A household or a person that must not be purged, whatever its age (an
    inquiry, a court case). Names its subject by public id, not by a foreign key:
    the hold stays on record after it is released and the subject purged."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True, default=new_uuid)
    subject_type: Mapped[str] = mapped_column(String(16))  # household | person
    subject_id: Mapped[str] = mapped_column(UUIDString, index=True)
    # Why, in words that name an order or an inquiry, not a person.
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(80))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    released_by: Mapped[str | None] = mapped_column(String(80), default=None)
    release_reason: Mapped[str | None] = mapped_column(Text, default=None)


class RetentionReport(Base):
    """What one purge (or dry run) found and deleted: counts and public ids, no names."""

    __tablename__ = "retention_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True, default=new_uuid)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    as_of: Mapped[date] = mapped_column(Date)
    dry_run: Mapped[bool] = mapped_column(Boolean)
    run_by: Mapped[str] = mapped_column(String(80))
    report: Mapped[str] = mapped_column(Text)  # JSON
