"""The declarative base every model derives from (plain SQLAlchemy, no Flask).

Keeping it Flask-free lets `visitcheck.keys` define its tables without
importing Flask; `extensions.db` is built on this same base and metadata.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, TypeAlias

from sqlalchemy import DateTime, MetaData, String, TypeDecorator, event
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

# Stable constraint names so Alembic batch migrations work on SQLite too.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# What services take: a plain Session (tests, scripts) or Flask-SQLAlchemy's
# `db.session`, a scoped_session proxying the same methods.  scoped_session is
# invariant in its session class and db.session is parameterised with
# flask_sqlalchemy's Session subclass, which this Flask-free module must not
# import, hence `scoped_session[Any]`.
DbSession: TypeAlias = Session | scoped_session[Any]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class UUIDString(TypeDecorator):
    """Public ids: lowercase UUID strings, the same on every database and on the wire."""

    impl = String(36)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return str(uuid.UUID(str(value)))

    def process_result_value(self, value, dialect):
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime | None) -> str | None:
    """A stored time as the wire and the rules write it: ISO 8601 in UTC with `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def new_uuid() -> str:
    return str(uuid.uuid4())


def is_uuid(value: object) -> bool:
    """A lowercase UUID string, as ids are on the wire."""
    if not isinstance(value, str):
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


# session.info key: what services looked up in the current transaction.
_MEMOS = "visitcheck.transaction_memos"


def transaction_memo(session: DbSession, name: str) -> dict[Any, Any]:
    """A dict for what a service looked up in this transaction, so a push of fifty
    ops asks the database once. Forgotten when any transaction or savepoint ends
    (what it held may have been rolled back) and whenever a service that changes
    what is memoised says so (`forget_transaction_memos`)."""
    return session.info.setdefault(_MEMOS, {}).setdefault(name, {})


def forget_transaction_memos(session: DbSession) -> None:
    session.info.pop(_MEMOS, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_transaction_end(session: Session, transaction) -> None:
    forget_transaction_memos(session)
