"""Configuration: one frozen dataclass, read from the environment in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Config:
    instance_path: Path
    database_url: str
    secret_key: str | None = None
    # Base64url of 32 bytes; when unset a 0600 key file in instance/ is used.
    master_key: str | None = None
    ratelimit_storage_uri: str = "memory://"
    session_cookie_secure: bool = False
    idle_lock_seconds: int = 300
    max_unlock_failures: int = 10
    pbkdf2_iterations: int = 600_000
    sync_rate_limit: str = "600/minute"
    # The longest wait between a tablet's retries of a failing sync (from 5 s up).
    sync_backoff_max_seconds: int = 300
    login_rate_limit: str = "5/minute"
    testing: bool = False

    @classmethod
    def from_env(cls, instance_path: Path) -> Config:
        env = os.environ
        default_db = f"sqlite:///{instance_path / 'visitcheck.sqlite3'}"
        return cls(
            instance_path=instance_path,
            database_url=normalise_database_url(env.get("DATABASE_URL", default_db)),
            secret_key=env.get("SECRET_KEY"),
            master_key=env.get("VISITCHECK_MASTER_KEY"),
            ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI", "memory://"),
            session_cookie_secure=env.get("SESSION_COOKIE_SECURE", "0") == "1",
            idle_lock_seconds=int(env.get("VISITCHECK_IDLE_LOCK_SECONDS", "300")),
            max_unlock_failures=int(env.get("VISITCHECK_MAX_UNLOCK_FAILURES", "10")),
            sync_rate_limit=env.get("VISITCHECK_SYNC_RATE_LIMIT", "600/minute"),
            sync_backoff_max_seconds=int(env.get("VISITCHECK_SYNC_BACKOFF_MAX_SECONDS", "300")),
        )


def normalise_database_url(url: str) -> str:
    """Let `postgres://` and `postgresql://` URLs use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
