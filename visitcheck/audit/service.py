"""Writing the audit trail, and reading who has touched a person's records.

Callers pass who and what; this never commits. The entry is chained when the
caller's transaction commits (audit/chain.py). `subjects` names the persons,
households, concerns and checklists an entry touches, as "kind:public-id",
so "who has seen this child" can find it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from ..auth.models import User
from ..database import DbSession, utcnow
from . import chain
from .models import AuditEvent

# (ip, device id) of the request being answered, if any: set by create_app, so
# that services record where a read or write came from without seeing the request.
_request_context: Callable[[], tuple[str | None, str | None]] = lambda: (None, None)  # noqa: E731


def use_request_context(provider: Callable[[], tuple[str | None, str | None]]) -> None:
    global _request_context
    _request_context = provider


def subject(kind: str, public_id: str) -> str:
    return f"{kind}:{public_id}"


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
    subjects: Iterable[str] = (),
    device_id: str | None = None,
    flush: bool = True,
) -> AuditEvent:
    """`flush=False` where a caller writes its rows together (a push's batch)."""
    context_ip, context_device = _request_context()
    named = set(subjects)
    if object_type and object_id:
        named.add(subject(object_type, object_id))
    event = AuditEvent(
        at=utcnow(),
        action=action,
        actor_id=actor.id if actor else None,
        actor_username=actor.username if actor else actor_username,
        object_type=object_type,
        object_id=object_id,
        ip=ip or context_ip,
        device_id=device_id or context_device,
        detail=json.dumps(detail, sort_keys=True) if detail else None,
        subjects=" ".join(sorted(named)) or None,
    )
    session.add(event)
    if flush:
        session.flush()
    chain.add_pending(session, event)
    return event
