"""Entities a device edits by revision: a row with a public uuid made on the device, a
team, a household, a revision and encrypted fields (planned visits, chronology events).

One way to take a `*.put` op for them: a new row starts at base_rev 0, an edit must name
the revision it was made on (an older one is a conflict with the current row), and each
stored revision is announced on the team's feed to the devices holding the household.
The capability still decides who may write and what the fields mean."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from .database import DbSession, UTCDateTime, UUIDString, utcnow
from .errors import InvalidEntity, StaleRevision
from .feed import service as feed
from .keys import EncryptedFields, Keyring, encrypt_fields


class Revisioned(EncryptedFields):
    """The columns every revisioned entity has; in clear only what pulls and access
    checks need."""

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(UUIDString, unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    rev: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def check_new(base_rev: int, *, what: str) -> None:
    """A row the server does not hold yet may only be created (base_rev 0)."""
    if base_rev != 0:
        raise InvalidEntity(f"no such {what} to update; a new one starts at base_rev 0")


def next_revision(row: Revisioned, *, base_rev: int,
                  current: Callable[[], dict[str, Any]]) -> None:
    """Move a stored row to its next revision, or raise the conflict a device resolves
    (`current()` gives the row as that device would receive it)."""
    if row.rev != base_rev:
        raise StaleRevision(row.rev, current())
    row.rev += 1
    row.updated_at = utcnow()


def store(session: DbSession, row: Revisioned, data: dict[str, Any], *, type: str,
          keyring: Keyring) -> None:
    """Encrypt the fields, write the row and announce this revision on its team's feed.
    Flushes, never commits."""
    encrypt_fields(row, data, keyring=keyring)
    session.add(row)
    session.flush()
    feed.record(session, team_id=row.team_id, type=type, entity_id=row.uuid, rev=row.rev,
                household_id=row.household_id)
