"""Accounts: teams, users, passwords (argon2id), sign-in."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from ..database import DbSession
from . import passwords
from .models import Role, Team, User

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile.
_hasher = PasswordHasher()
# Verified against when no such user exists, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("visitcheck: no such user")


def use_insecure_fast_hashing_for_tests() -> None:
    """Cheap argon2id parameters so a test suite can sign in thousands of times.
    Hashes made this way are re-hashed at the next sign-in with real parameters."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    _DUMMY_HASH = _hasher.hash("visitcheck: no such user")

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH


class InvalidCredentials(Exception):
    """Wrong username or password, or a disabled account (never said which)."""


class AccountError(ValueError):
    """A user or team cannot be created as asked."""


class WeakPassword(AccountError):
    """The password is too short, or found in breaches, or too easy to guess."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(session: DbSession, *, username: str, password: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise InvalidCredentials() from None
    if user is None or not user.active:
        raise InvalidCredentials()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def user_by_public_id(session: DbSession, public_id: str) -> User | None:
    return session.scalars(select(User).where(User.uuid == public_id)).first()


def user_for_session(session: DbSession, session_id: str) -> User | None:
    """The user a session cookie names, unless their sessions were ended since."""
    public_id, _, epoch = session_id.partition(".")
    user = user_by_public_id(session, public_id)
    if user is None or str(user.session_epoch) != epoch:
        return None
    return user


def end_all_sessions(user: User) -> None:
    user.session_epoch += 1


def get_or_create_team(session: DbSession, *, name: str) -> Team:
    team = session.scalars(select(Team).where(Team.name == name)).first()
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team


def create_user(
    session: DbSession, *, username: str, password: str, role: str, team: Team, name: str = ""
) -> User:
    try:
        role = Role(role).value
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise AccountError(f"role must be one of {allowed}") from None
    if not username or len(username) > 80:
        raise AccountError("username must be 1 to 80 characters")
    weak = passwords.password_problem(password, username=username, name=name)
    if weak:
        raise WeakPassword(f"the password {weak}")
    if session.scalars(select(User).where(User.username == username)).first():
        raise AccountError(f"user {username!r} exists already")
    user = User(
        username=username,
        name=name or username,
        role=role,
        team_id=team.id,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user
