"""Server-side sessions: what makes a session cookie worth something.

The cookie Flask signs holds a random token (`SESSION_TOKEN_KEY`); the server keeps
its SHA-256 in `user_sessions` (in the database every worker and host shares). A
request is signed in only while that row is open: it ends at sign-out (a copied
cookie stops working), after the idle limit or the absolute limit, and when the
user's sessions are ended all at once (`auth.service.end_all_sessions`: a device
reported lost, an account disabled or moved). See docs/security.md, "Sessions".

A session that registered a device is the tablet's sync session: it is bound to
that device (a revoked device is refused with or without its header) and has its
own, longer idle limit, since the tablet works offline for hours behind its own
5-minute passphrase lock. When it expires the tablet keeps its outbox and sends it
after the next sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from ..database import DbSession, utcnow
from .models import User, UserSession

# The key in Flask's session cookie that holds the token.
SESSION_TOKEN_KEY = "sid"  # noqa: S105 - a key name, not a secret
# last_seen_at is written at most this often: the idle limit does not need the second,
# and a write per request would serialise every request of a user.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta
    device_idle: timedelta


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Ended and expired sessions are kept this long (the audit trail holds sign-ins and
# sign-outs for good), then deleted when their user next signs in.
KEEP_ENDED = timedelta(days=30)


def start(session: DbSession, *, user: User, now: datetime | None = None) -> str:
    """A new session for `user`; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    session.execute(delete(UserSession).where(
        UserSession.user_id == user.id, UserSession.created_at < now - KEEP_ENDED))
    session.add(UserSession(token_hash=_hash(token), user_id=user.id, created_at=now,
                            last_seen_at=now))
    session.flush()
    return token


def by_token(session: DbSession, token: object) -> UserSession | None:
    if not isinstance(token, str) or not token:
        return None
    return session.scalars(select(UserSession).where(
        UserSession.token_hash == _hash(token))).first()


def _expiry(record: UserSession, *, limits: SessionLimits, now: datetime) -> str | None:
    if now - record.created_at >= limits.absolute:
        return "absolute"
    idle = limits.device_idle if record.device_id else limits.idle
    if now - record.last_seen_at >= idle:
        return "idle"
    return None


def check(session: DbSession, *, token: object, user: User, limits: SessionLimits,
          now: datetime | None = None) -> UserSession | None:
    """The open session the token names for `user`, its last use brought up to date;
    None (and the session ended, if it just expired) otherwise. Flushes."""
    record = by_token(session, token)
    if record is None or record.user_id != user.id or record.ended_at is not None:
        return None
    now = now or utcnow()
    expired = _expiry(record, limits=limits, now=now)
    if expired:
        _end(record, reason=expired, now=now)
        session.flush()
        return None
    if now - record.last_seen_at >= TOUCH_EVERY:
        record.last_seen_at = now
        session.flush()
    return record


def _end(record: UserSession, *, reason: str, now: datetime) -> None:
    record.ended_at = now
    record.end_reason = reason


def end(session: DbSession, *, token: object, now: datetime | None = None) -> None:
    """Sign-out: the session ends for every worker; its cookie is worth nothing after."""
    record = by_token(session, token)
    if record is not None and record.ended_at is None:
        _end(record, reason="sign-out", now=now or utcnow())
        session.flush()


def bind_device(session: DbSession, *, token: object, device_id: str) -> None:
    """The session registered this device: it is the device's sync session from now on."""
    record = by_token(session, token)
    if record is not None and record.device_id is None:
        record.device_id = device_id
        session.flush()
