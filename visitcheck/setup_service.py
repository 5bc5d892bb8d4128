"""Bringing a database to a working state: schema, templates, keys."""

from __future__ import annotations

from flask_migrate import upgrade

from .checklists import service as checklists
from .database import DbSession
from .keys import Keyring
from .keys.service import ensure_sealing_key


def init_database(session: DbSession, *, keyring: Keyring) -> None:
    """Idempotent: upgrade to the newest migration, load the built-in template
    versions, and make the first sealing key if there is none."""
    upgrade()
    checklists.load_builtin_templates(session)
    ensure_sealing_key(session, keyring=keyring)
