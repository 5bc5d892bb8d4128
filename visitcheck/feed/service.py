"""The ordered change feed behind `GET /api/v1/sync/pull`: one ordered feed per team.

Every pull is scoped within one team (a user's caseload and own records are their
team's), so each team numbers its own changes. A team's numbers come from its row
in `feed_counters`. Whoever writes for a team takes that row's lock first
(`serialise_writers`) and holds it until commit, so the team's writers are
serialised and its numbers become visible in order: a pull that has seen N never
later finds a new change of its team below N. Writers of different teams take
different rows and do not wait for each other.

While a transaction holds a team's lock it hands out that team's numbers from
memory and writes the counter once, just before commit. A transaction that writes
for several teams (a retention purge, the rules over several teams' checklists, a
user moving team) takes their locks in ascending team order, so two such
transactions never wait for each other in a circle (docs/sync-protocol.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..database import DbSession
from .models import Change, FeedCounter

# A change whose type ends so says the entity is gone (a retention purge): pull
# sends it as {"type": <entity type>, "data": {"id": …, "deleted": true}}.
DELETED_SUFFIX = ".deleted"
# session.info key: {team_id: the last number handed out} for the teams whose lock
# this transaction holds.
_HELD = "visitcheck.feed_seq"


def _held(session: DbSession | Session) -> dict[int, int]:
    return session.info.setdefault(_HELD, {})


def _take_lock(session: DbSession, team_id: int, *, increment: int) -> int:
    """Lock the team's counter row (made at 0 the first time) and add `increment`."""
    bump = (update(FeedCounter).where(FeedCounter.team_id == team_id)
            .values(value=FeedCounter.value + increment).returning(FeedCounter.value))
    result = session.execute(bump).first()
    if result is None:  # the team's first change: its row, made once whoever races
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(FeedCounter).values(team_id=team_id, value=0)
                        .on_conflict_do_nothing(index_elements=["team_id"]))
        result = session.execute(bump).first()
    assert result is not None  # noqa: S101 - the row exists now
    return int(result[0])


def serialise_writers(session: DbSession, *, team_ids: Iterable[int]) -> None:
    """Take these teams' feed locks now, before reading what the writes will change.

    Every op that may write takes its team's lock first, so two ops on the same
    entity never both read the same revision (on SQLite this also starts the write
    transaction before the reads). Several teams are locked in ascending order;
    a transaction that already holds some may only add teams above them.
    """
    held = _held(session)
    for team_id in sorted(set(team_ids)):
        if team_id not in held:
            held[team_id] = _take_lock(session, team_id, increment=0)


def next_seq(session: DbSession, team_id: int) -> int:
    held = _held(session)
    if team_id not in held:
        held[team_id] = _take_lock(session, team_id, increment=0)
    held[team_id] += 1
    return held[team_id]


def counter(session: DbSession, team_id: int) -> int:
    """The team's last change number as committed (0 before its first)."""
    return session.scalar(select(FeedCounter.value).where(FeedCounter.team_id == team_id)) or 0


def join_team(session: DbSession, *, from_team_id: int, to_team_id: int) -> None:
    """A user moves from one team to another: their devices' cursor counts the old
    team's changes, so the new team's numbers are raised to at least the old team's.
    Every change the new team records from now on is then above any cursor the user
    holds (what the new team recorded before is announced again as households reach
    their caseload, as for any caseload assignment). Both locks are taken, in order,
    so no change of the old team is being numbered above the value read."""
    if from_team_id == to_team_id:
        return
    serialise_writers(session, team_ids=[from_team_id, to_team_id])
    held = _held(session)
    held[to_team_id] = max(held[to_team_id], held[from_team_id])


@event.listens_for(Session, "before_commit")
def _write_counters(session: Session) -> None:
    # Savepoints commit too (one per op): only the outermost commit writes.
    if session.info.get(_HELD) and not session.in_nested_transaction():
        for team_id, value in sorted(session.info[_HELD].items()):
            session.execute(update(FeedCounter).where(FeedCounter.team_id == team_id)
                            .values(value=value))


@event.listens_for(Session, "after_transaction_end")
def _release(session: Session, transaction) -> None:
    if transaction.parent is None:  # the database transaction ended: so did the locks
        session.info.pop(_HELD, None)


def record(
    session: DbSession,
    *,
    team_id: int,
    type: str,
    entity_id: str,
    rev: int,
    household_id: int | None = None,
    user_id: int | None = None,
) -> Change:
    """A change in `team_id`'s feed: the household's team, or the user's."""
    change = Change(
        team_id=team_id,
        seq=next_seq(session, team_id),
        type=type,
        entity_id=entity_id,
        rev=rev,
        household_id=household_id,
        user_id=user_id,
    )
    session.add(change)  # flushed with the op's other rows: a push's changes in one insert
    return change


def visible_since(
    session: DbSession, *, team_id: int, cursor: int, limit: int, household_ids: list[int],
    user_id: int
) -> list[Any]:
    """The next `limit` changes of the team the user may see, oldest first, as plain rows
    (`seq`, `type`, `entity_id`, `rev`, `user_id`): a catch-up reads 500 a page, and
    building an ORM object for each cost more than the query."""
    audience = Change.user_id == user_id
    if household_ids:
        audience = audience | Change.household_id.in_(household_ids)
    return list(
        session.execute(
            select(Change.seq, Change.type, Change.entity_id, Change.rev, Change.user_id)
            .where(Change.team_id == team_id, Change.seq > cursor, audience)
            .order_by(Change.seq)
            .limit(limit)
        )
    )
