"""Writing the audit trail, and reading who has touched a person's records.

Callers pass who and what; this never commits. The entry is chained when the
caller's transaction commits (audit/chain.py). `subjects` names the persons,
households, concerns and checklists an entry touches, as "kind:public-id",
so "who has seen this child" can find it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from ..auth.models import User
from ..checklists.models import Checklist
from ..database import DbSession, utcnow
from ..people.models import Concern, Household, HouseholdMember, Person
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


# --- who has seen this child ------------------------------------------------------


@dataclass(frozen=True)
class AccessRow:
    at: datetime
    who: str
    action: str
    what: str  # "kind:public-id" of the record the entry is about
    device_id: str
    ip: str


def person_record_ids(session: DbSession, *, person_id: str) -> set[str]:
    """Public ids of the records about a person: the person, their households, the
    concerns about them, and their households' checklists."""
    ids = {person_id}
    person = session.scalars(select(Person).where(Person.uuid == person_id)).first()
    if person is None:
        return ids  # purged, or never here: the trail still has what it had
    homes = list(session.scalars(select(HouseholdMember.household_id)
                                 .where(HouseholdMember.person_id == person.id)))
    ids |= set(session.scalars(select(Household.uuid).where(Household.id.in_(homes))))
    ids |= set(session.scalars(select(Concern.uuid).where(Concern.person_id == person.id)))
    ids |= set(session.scalars(select(Checklist.uuid).where(Checklist.household_id.in_(homes))))
    return ids


def access_log(session: DbSession, *, person_id: str, viewer: User | None = None,
               viewer_name: str = "", limit: int = 5000) -> list[AccessRow]:
    """Every read and write touching a person's records, oldest first; the asking is
    itself audited. Matches an entry's object or subjects (what a page showed)."""
    ids = person_record_ids(session, person_id=person_id)
    matches = [AuditEvent.object_id.in_(ids)] + [
        AuditEvent.subjects.contains(f":{public_id}", autoescape=True) for public_id in ids]
    rows = session.scalars(select(AuditEvent).where(or_(*matches))
                           .order_by(AuditEvent.at, AuditEvent.id).limit(limit)).all()
    out = [AccessRow(e.at, e.actor_username or "", e.action,
                     f"{e.object_type}:{e.object_id}" if e.object_id else _first_subject(
                         e.subjects, ids), e.device_id or "", e.ip or "") for e in rows]
    record(session, action="audit.access_read", actor=viewer,
           actor_username=None if viewer else viewer_name, object_type="person",
           object_id=person_id, detail={"entries": len(out)})
    return out


def _first_subject(subjects: str | None, ids: set[str]) -> str:
    for named in (subjects or "").split():
        if named.split(":", 1)[-1] in ids:
            return named
    return ""
