"""Households, persons, who lives where, and whose caseload a household is on.

People are entities (DOMAIN.md principle 3): a person is recorded once and
linked to households. Names, addresses and dates of birth are personal and
kept in the encrypted fields; only what queries need is in clear.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime, UUIDString, new_uuid, utcnow
from ..keys import EncryptedFields


class Residence(enum.StrEnum):
    LIVES_HERE = "lives_here"
    OVERNIGHT_WEEKLY = "overnight_weekly"
    OCCASIONALLY = "stays_occasionally"
    VISITS_REGULARLY = "visits_regularly"
    LIVES_ELSEWHERE = "lives_elsewhere"


class Household(EncryptedFields, Base):
    """Encrypted fields: address, professionals involved."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True, default=new_uuid)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    rev: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[HouseholdMember]] = relationship(
        back_populates="household", cascade="all, delete-orphan"
    )


class Person(EncryptedFields, Base):
    """Encrypted fields: names, aliases, date of birth or estimated age, sex."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True, default=new_uuid)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    # In clear so that alerts can find the children without decrypting everyone.
    is_child: Mapped[bool] = mapped_column(Boolean, default=False)
    rev: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HouseholdMember(Base):
    """A person's link to a household. Set-like: adding the same link twice is one link."""

    __tablename__ = "household_members"
    __table_args__ = (UniqueConstraint("household_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True, default=new_uuid)
    rev: Mapped[int] = mapped_column(Integer, default=1)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    residence: Mapped[str] = mapped_column(String(32))

    household: Mapped[Household] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship()


class CaseloadAssignment(Base):
    """A household on a practitioner's caseload: what they may see and sync."""

    __tablename__ = "caseload_assignments"
    __table_args__ = (UniqueConstraint("user_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Concern(EncryptedFields, Base):
    """What is known about a person who may pose a risk to children (DOMAIN.md).

    Encrypted fields: basis, source and date, verified, protected source, MAPPA,
    orders, work with children, contact with each child.
    """

    __tablename__ = "concerns"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    rev: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()
