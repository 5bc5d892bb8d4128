"""The ordered change feed behind `GET /api/v1/sync/pull`."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .models import Change, SyncCounter

COUNTER_ID = 1


def next_seq(session: Session) -> int:
    """Take the next change number.

    The UPDATE locks the counter row until commit (a write lock on SQLite),
    so writers are serialised and numbers become visible in order: a pull
    that has seen N never later finds a new change below N.
    """
    result = session.execute(
        update(SyncCounter)
        .where(SyncCounter.id == COUNTER_ID)
        .values(value=SyncCounter.value + 1)
        .returning(SyncCounter.value)
    ).first()
    if result is None:
        session.add(SyncCounter(id=COUNTER_ID, value=1))
        session.flush()
        return 1
    return int(result[0])


def serialise_writers(session: Session) -> None:
    """Take the feed's write lock now, before reading what the op will change.

    Every op that may write takes it first, so two ops on the same entity
    never both read the same revision (on SQLite this also starts the write
    transaction before the reads).
    """
    session.execute(
        update(SyncCounter).where(SyncCounter.id == COUNTER_ID).values(value=SyncCounter.value)
    )


def record(
    session: Session,
    *,
    type: str,
    entity_id: str,
    rev: int,
    household_id: int | None = None,
    user_id: int | None = None,
) -> Change:
    change = Change(
        seq=next_seq(session),
        type=type,
        entity_id=entity_id,
        rev=rev,
        household_id=household_id,
        user_id=user_id,
    )
    session.add(change)
    session.flush()
    return change


def visible_since(
    session: Session, *, cursor: int, limit: int, household_ids: list[int], user_id: int
) -> list[Change]:
    audience = Change.user_id == user_id
    if household_ids:
        audience = audience | Change.household_id.in_(household_ids)
    return list(
        session.scalars(
            select(Change)
            .where(Change.seq > cursor, audience)
            .order_by(Change.seq)
            .limit(limit)
        )
    )
