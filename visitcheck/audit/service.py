"""Writing the audit trail. Callers pass who and what; this never commits."""

from __future__ import annotations

import json
from typing import Any

from ..auth.models import User
from ..database import DbSession
from .models import AuditEvent


def record(
    session: DbSession,
    *,
    action: str,
    actor: User | None = None,
    actor_username: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor else None,
        actor_username=actor.username if actor else actor_username,
        object_type=object_type,
        object_id=object_id,
        ip=ip,
        detail=json.dumps(detail, sort_keys=True) if detail else None,
    )
    session.add(event)
    session.flush()
    return event
