"""Withdrawing a submission (issue 11 item 4): a visit submitted by mistake goes back to
draft, on the server and on its author's devices, until the team lead has decided on it.

It is an op like any other (`checklist.withdraw`, sealed, idempotent: docs/sync-protocol.md),
so a practitioner can withdraw offline and the withdrawal syncs with the rest of the
outbox. The payload is `{"withdrawn_at": "<ISO 8601>"}`, the device's time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..audit import service as audit
from ..auth.models import User
from ..checklists import service as checklists
from ..checklists.models import Checklist, ChecklistStatus
from ..checklists.validation import FieldError
from ..database import DbSession, utcnow
from ..errors import Forbidden, InvalidEntity, OpRefused, StaleRevision
from ..feed import service as changes
from ..keys import Keyring


class AlreadyDecided(OpRefused):
    """The lead has approved, returned or escalated it: the decision stands, and the
    practitioner edits a returned visit instead of withdrawing it."""

    problem = "already-decided"
    title = "The team lead has already decided on this visit"


def _payload_errors(payload: Any) -> list[FieldError]:
    if not isinstance(payload, dict) or set(payload) - {"withdrawn_at"}:
        return [FieldError("payload", "must be {\"withdrawn_at\": <ISO 8601 time>}")]
    try:
        datetime.fromisoformat(str(payload.get("withdrawn_at", "")).replace("Z", "+00:00"))
    except ValueError:
        return [FieldError("withdrawn_at", "must be an ISO 8601 time")]
    return []


def withdraw(session: DbSession, *, user: User, entity_id: str, base_rev: int, payload: Any,
             keyring: Keyring) -> Checklist:
    """`checklist.withdraw`: the author takes a submitted visit back to draft.

    Idempotent: a checklist already back to draft answers `applied` at its revision and
    changes nothing. Refused once the lead has decided (`already-decided`); a device that
    withdraws an older revision than the server holds gets a conflict, as for a put.
    Flushes, never commits."""
    errors = _payload_errors(payload)
    if errors:
        raise InvalidEntity("the withdrawal needs attention", errors)
    checklist = checklists.checklist_by_public_id(session, entity_id)
    if checklist is None or checklist.author_id != user.id:
        # Someone else's checklist is not even said to exist.
        raise Forbidden("no such checklist of yours", [FieldError("entity_id", "is not known")])
    if checklist.status == ChecklistStatus.DRAFT.value:
        return checklist  # withdrawn already (or never submitted): nothing to undo
    if checklist.status != ChecklistStatus.SUBMITTED.value:
        raise AlreadyDecided(f"the checklist is {checklist.status}; it can no longer be "
                             "withdrawn")
    if checklist.rev != base_rev:
        raise StaleRevision(checklist.rev,
                            checklists.checklist_content(checklist, keyring=keyring))

    now = utcnow()
    checklist.status = ChecklistStatus.DRAFT.value
    checklist.rev += 1
    checklist.updated_at = now
    checklist.submitted_at = None
    # Its flags are the tablet's own again until it is submitted anew.
    checklist.flags_due = False
    checklist.flag_summary = "[]"
    checklist.flag_rank = 3
    session.flush()
    changes.record(session, team_id=checklist.team_id, type="checklist",
                   entity_id=checklist.uuid, rev=checklist.rev, user_id=checklist.author_id)
    audit.record(session, action="checklist.withdraw", actor=user, object_type="checklist",
                 object_id=checklist.uuid,
                 detail={"rev": checklist.rev, "withdrawn_at": payload["withdrawn_at"]})
    return checklist
