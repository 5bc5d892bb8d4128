"""The ordered change feed behind `GET /api/v1/sync/pull`.

Change numbers come from a one-row counter. Whoever writes takes the row's
lock first (`serialise_writers`) and holds it until commit, so writers are
serialised and numbers become visible in order: a pull that has seen N never
later finds a new change below N. While a transaction holds the lock it hands
out numbers from memory and writes the counter once, just before commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from ..database import DbSession
from .models import Change, SyncCounter

COUNTER_ID = 1
# A change whose type ends so says the entity is gone (a retention purge): pull
# sends it as {"type": <entity type>, "data": {"id": …, "deleted": true}}.
DELETED_SUFFIX = ".deleted"
# session.info key: the last number handed out by a transaction holding the lock.
_HELD = "visitcheck.feed_seq"


def _take_lock(session: DbSession, *, increment: int) -> int:
    result = session.execute(
        update(SyncCounter)
        .where(SyncCounter.id == COUNTER_ID)
        .values(value=SyncCounter.value + increment)
        .returning(SyncCounter.value)
    ).first()
    if result is None:  # a database made without the first migration's counter row
        session.add(SyncCounter(id=COUNTER_ID, value=increment))
        session.flush()
        return increment
    return int(result[0])


def serialise_writers(session: DbSession) -> None:
    """Take the feed's write lock now, before reading what the ops will change.

    Every op that may write takes it first, so two ops on the same entity
    never both read the same revision (on SQLite this also starts the write
    transaction before the reads).
    """
    if _HELD not in session.info:
        session.info[_HELD] = _take_lock(session, increment=0)


def next_seq(session: DbSession) -> int:
    if _HELD in session.info:
        session.info[_HELD] += 1
        return session.info[_HELD]
    return _take_lock(session, increment=1)


@event.listens_for(Session, "before_commit")
def _write_counter(session: Session) -> None:
    # Savepoints commit too (one per op): only the outermost commit writes.
    if _HELD in session.info and not session.in_nested_transaction():
        session.execute(update(SyncCounter).where(SyncCounter.id == COUNTER_ID)
                        .values(value=session.info[_HELD]))


@event.listens_for(Session, "after_transaction_end")
def _release(session: Session, transaction) -> None:
    if transaction.parent is None:  # the database transaction ended: so did the lock
        session.info.pop(_HELD, None)


def record(
    session: DbSession,
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
    session.add(change)  # flushed with the op's other rows: a push's changes in one insert
    return change


def visible_since(
    session: DbSession, *, cursor: int, limit: int, household_ids: list[int], user_id: int
) -> list[Any]:
    """The next `limit` changes the user may see, oldest first, as plain rows (`seq`,
    `type`, `entity_id`, `rev`, `user_id`): a catch-up reads 500 a page, and building
    an ORM object for each cost more than the query."""
    audience = Change.user_id == user_id
    if household_ids:
        audience = audience | Change.household_id.in_(household_ids)
    return list(
        session.execute(
            select(Change.seq, Change.type, Change.entity_id, Change.rev, Change.user_id)
            .where(Change.seq > cursor, audience)
            .order_by(Change.seq)
            .limit(limit)
        )
    )
