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
    # Failed sign-ins (auth/views.py): per account and address, per address whatever the
    # account, and per account from anywhere (browsers it signed in from are exempt).
    login_rate_limit: str = "5/minute"
    login_address_rate_limit: str = "20/minute;100/hour"
    login_account_rate_limit: str = "30/hour"
    # Server-side sessions (auth/sessions.py; OWASP ASVS 5.0 7.3.1, 7.3.2): a web page's
    # session ends after 30 minutes unused and 12 hours after sign-in whatever happens.
    session_idle_seconds: int = 30 * 60
    session_absolute_seconds: int = 12 * 60 * 60
    # The tablet's sync session (one that registered a device) may sit unused through a
    # day of visits offline; the device locks itself after idle_lock_seconds meanwhile.
    device_session_idle_seconds: int = 8 * 60 * 60
    # Whether create_app checks that the master keys open what the database holds. On for
    # every start configured from the environment; tests that build their own Config
    # share one database across key sets and turn it on where they test it.
    check_master_key_at_start: bool = False
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto it trusts: sign-in
    # limits per address need the client's address, not the proxy's.
    trusted_proxies: int = 0
    testing: bool = False
    # Notifications to team leads (notify/): SMTP when MAIL_SERVER is set, else the log.
    mail_server: str | None = None
    mail_port: int = 25
    mail_username: str | None = None
    mail_password: str | None = None
    mail_use_tls: bool = False
    mail_from: str = "visitcheck@localhost"
    # Where the links in those emails point (the server as leads reach it).
    base_url: str = "http://localhost:5000"

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
            mail_server=env.get("MAIL_SERVER") or None,
            mail_port=int(env.get("MAIL_PORT", "25")),
            mail_username=env.get("MAIL_USERNAME") or None,
            mail_password=env.get("MAIL_PASSWORD") or None,
            mail_use_tls=env.get("MAIL_USE_TLS", "0").lower() in ("1", "true", "yes"),
            mail_from=env.get("MAIL_FROM", "visitcheck@localhost"),
            base_url=env.get("VISITCHECK_BASE_URL", "http://localhost:5000").rstrip("/"),
            session_idle_seconds=int(env.get("VISITCHECK_SESSION_IDLE_SECONDS", "1800")),
            session_absolute_seconds=int(env.get("VISITCHECK_SESSION_ABSOLUTE_SECONDS",
                                                 "43200")),
            device_session_idle_seconds=int(env.get("VISITCHECK_DEVICE_SESSION_IDLE_SECONDS",
                                                    "28800")),
            check_master_key_at_start=True,
            trusted_proxies=int(env.get("VISITCHECK_TRUSTED_PROXIES", "0")),
            sync_backoff_max_seconds=int(env.get("VISITCHECK_SYNC_BACKOFF_MAX_SECONDS", "300")),
        )


def normalise_database_url(url: str) -> str:
    """Let `postgres://` and `postgresql://` URLs use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
