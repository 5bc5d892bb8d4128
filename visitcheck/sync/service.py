"""Applying a device's ops and answering its pulls (DESIGN.md §6).

A push's ops are applied in one transaction the caller commits (`apply_ops`):
each op's effect is written together with its recorded answer. A retry of an
op whose answer was lost finds the recorded answer and gets it again as
`duplicate`, so nothing is applied twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import select

from .. import strict_json
from ..audit import service as audit
from ..auth.models import User
from ..checklists import service as checklists
from ..chronology import service as chronology
from ..database import DbSession, is_uuid
from ..devices import service as devices
from ..errors import OpRefused, StaleRevision
from ..feed import service as changes
from ..followup import service as followups
from ..keys import Keyring, SealedEnvelopeInvalid, sealed_aad
from ..keys.service import open_envelope
from ..people import service as people
from ..problems import Problem
from ..review import withdrawal
from ..rules import service as rules
from ..sharing import service as sharing
from ..visits import service as visit_plans
from . import pull as pull_page
from .models import SyncConflict, SyncOp

MAX_OPS = 100
MAX_PULL_LIMIT = 500
# Revisions are 32-bit integer columns: a base_rev beyond them cannot name a revision.
MAX_REV = 2**31 - 1
OP_KEYS = {"op_id", "type", "entity_id", "base_rev", "sealed"}


class DeviceNotRegistered(Exception):
    pass


def _canonical(op: Any) -> str:
    return hashlib.sha256(
        json.dumps(op, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def _rejected(op_id: Any, problem: Problem) -> dict[str, Any]:
    # The answer names the op by its id; an id that is not a UUID is not echoed
    # back (the result stays in order, with op_id null).
    return {"op_id": op_id if is_uuid(op_id) else None, "status": "rejected",
            "error": problem.as_json()}


def _shape_problem(op: Any) -> Problem | None:
    if not isinstance(op, dict) or set(op) != OP_KEYS:
        return Problem("invalid-op", "Malformed op",
                       "an op has exactly op_id, type, entity_id, base_rev and sealed")
    if not is_uuid(op["op_id"]) or not is_uuid(op["entity_id"]):
        return Problem("invalid-op", "Malformed op",
                       "op_id and entity_id must be lowercase UUID strings")
    base_rev = op["base_rev"]
    if not isinstance(base_rev, int) or isinstance(base_rev, bool) or not (
            0 <= base_rev <= MAX_REV):
        return Problem("invalid-op", "Malformed op",
                       f"base_rev must be a whole number from 0 to {MAX_REV}")
    if not isinstance(op["type"], str) or op["type"] not in OP_HANDLERS:
        return Problem("unknown-op-type", "Unknown op type",
                       f"this server does not know op type {str(op['type'])[:64]!r}")
    if not isinstance(op["sealed"], dict):
        return Problem("sealed-invalid", "Sealed content does not open",
                       "sealed must be an envelope object")
    return None


def _recorded_answer(session: DbSession, op_id: str) -> SyncOp | None:
    return session.scalars(select(SyncOp).where(SyncOp.op_id == op_id)).first()


def replay(session: DbSession, *, op: dict[str, Any],
           recorded: dict[str, SyncOp] | None = None) -> dict[str, Any] | None:
    """The answer for an op seen before: `duplicate`, or `rejected` if its body changed.
    `recorded` holds the batch's answers already looked up, so a batch asks once."""
    seen = recorded.get(op["op_id"]) if recorded is not None else _recorded_answer(
        session, op["op_id"])
    if seen is None:
        return None
    if seen.body_hash != _canonical(op):
        return _rejected(op["op_id"], Problem(
            "op-id-reused", "Op id reused",
            "this op_id was used before for a different op; it was not applied",
        ))
    return {**json.loads(seen.answer), "status": "duplicate"}


class _StoredRow(Protocol):
    """What an op handler returns: a row carrying its new revision."""

    @property
    def rev(self) -> int: ...


# op type -> the service that applies it; each takes (session, user, entity_id, base_rev,
# payload, keyring), returns the stored row (with its new `rev`) or raises
# StaleRevision / OpRefused.
OP_HANDLERS: dict[str, Callable[..., _StoredRow]] = {
    "checklist.put": checklists.put_checklist,
    "household.put": people.put_household,
    "person.put": people.put_person,
    "membership.put": people.put_membership,
    "concern.put": people.put_concern,
    "alert.ack": sharing.acknowledge,
    "checklist.withdraw": withdrawal.withdraw,
    "checklist.followup": followups.record_followup,
    "chronology_event.put": chronology.put_event,
    "chronology.open": chronology.record_opening,  # an opening on a device, for the audit
    "visit_plan.put": visit_plans.put_plan,
}


def _apply(session: DbSession, *, user: User, op: dict[str, Any], payload: Any,
           keyring: Keyring) -> dict[str, Any]:
    try:
        row = OP_HANDLERS[op["type"]](session, user=user, entity_id=op["entity_id"],
                                      base_rev=op["base_rev"], payload=payload, keyring=keyring)
    except StaleRevision as stale:
        return {"op_id": op["op_id"], "status": "conflict", "rev": stale.current_rev,
                "current": stale.current}
    except OpRefused as error:
        return _rejected(op["op_id"], Problem(
            error.problem, error.title, error.detail,
            [e.as_json() for e in error.errors] or None,
        ))
    return {"op_id": op["op_id"], "status": "applied", "rev": row.rev}


def _open(session: DbSession, op: Any, *, keyring: Keyring) -> tuple[Any, dict | None]:
    """Check an op's shape and open its envelope: (payload, None) or (None, rejection).
    No database writes: this runs before the feed lock is taken."""
    problem = _shape_problem(op)
    if problem:
        return None, _rejected(op.get("op_id") if isinstance(op, dict) else None, problem)
    aad = sealed_aad(op["type"], op["entity_id"], op["op_id"], op["base_rev"])
    try:
        plaintext = open_envelope(session, op["sealed"], aad=aad, keyring=keyring)
    except SealedEnvelopeInvalid as error:
        return None, _rejected(op["op_id"], Problem(
            "sealed-invalid", "Sealed content does not open", str(error)))
    try:
        # Strict: a NaN stored here once made every later pull invalid JSON.
        return strict_json.loads(plaintext), None
    except strict_json.NotStrictJSON as error:
        return None, _rejected(op["op_id"], Problem(
            "sealed-invalid", "Sealed content is not JSON",
            f"the sealed plaintext must be strict UTF-8 JSON: {error}"))


def apply_ops(
    session: DbSession, *, user: User, device_id: str, ops: list[Any], keyring: Keyring
) -> list[dict[str, Any]]:
    """Answer ops in order, in one transaction the caller commits (or rolls back whole).

    Envelopes are opened first, outside the feed lock; then, under it, each op
    is checked against the recorded answers (a copy of it may have committed
    while we waited) and applied. `applied` is recorded with its answer, so a
    retry is a `duplicate`; a conflict is recorded once and decided again on a
    retry, where it can only stay a conflict; a rejected op writes nothing.

    The usual push applies cleanly: its ops run in one savepoint and their rows
    reach the database together, a few statements for the whole push. If any
    op is refused (a conflict or a rejection), that savepoint is rolled back
    and the ops run again one savepoint each, so a refused op leaves nothing
    behind whatever its handler wrote before refusing.
    """
    opened = [_open(session, op, keyring=keyring) for op in ops]
    if not any(rejection is None for _, rejection in opened):
        return [rejection for _, rejection in opened if rejection is not None]
    changes.serialise_writers(session, team_ids=[user.team_id])
    batch = session.begin_nested()
    answers = _apply_batch(session, user=user, device_id=device_id, ops=ops, opened=opened,
                           keyring=keyring, savepoint_each=False)
    # (An op refused before the lock, its envelope unopened, never reached a handler.)
    if all(a["status"] in CLEAN for a, (_, refused) in zip(answers, opened, strict=True)
           if refused is None):
        batch.commit()
    else:
        batch.rollback()
        answers = _apply_batch(session, user=user, device_id=device_id, ops=ops,
                               opened=opened, keyring=keyring, savepoint_each=True)
    # The open checklists reading the facts these ops changed are due again, in the
    # same transaction as the change (rules.service, "Flags that live").
    rules.facts_changed_by_ops(session, [
        (op["type"], op["entity_id"], payload)
        for op, (payload, _), answer in zip(ops, opened, answers, strict=True)
        if answer["status"] == "applied"])
    return answers


# Answers that leave nothing to undo: the op's rows are wanted, or it wrote none.
CLEAN = {"applied", "duplicate"}


def _apply_batch(session: DbSession, *, user: User, device_id: str, ops: list[Any],
                 opened: list[tuple[Any, dict | None]], keyring: Keyring,
                 savepoint_each: bool) -> list[dict[str, Any]]:
    # Under the lock: the answers recorded for these op ids, and what the checklist
    # puts will look up, a few queries for the whole push.
    to_apply = [(op, payload) for op, (payload, rejection) in zip(ops, opened, strict=True)
                if rejection is None]
    recorded = {row.op_id: row for row in session.scalars(select(SyncOp).where(
        SyncOp.op_id.in_({op["op_id"] for op, _ in to_apply})))}
    checklists.look_up_for_puts(session, user=user, keyring=keyring, puts=[
        (op["entity_id"], payload) for op, payload in to_apply if op["type"] == "checklist.put"])
    answers = []
    for op, (payload, rejection) in zip(ops, opened, strict=True):
        if rejection:
            answers.append(rejection)
            continue
        if not savepoint_each:
            answers.append(_apply_opened(session, user=user, device_id=device_id, op=op,
                                         payload=payload, keyring=keyring, recorded=recorded))
            continue
        savepoint = session.begin_nested()
        answer = _apply_opened(session, user=user, device_id=device_id, op=op,
                               payload=payload, keyring=keyring, recorded=recorded)
        if answer["status"] == "rejected":
            savepoint.rollback()
        else:
            savepoint.commit()
        answers.append(answer)
    return answers


def apply_op(
    session: DbSession, *, user: User, device_id: str, op: Any, keyring: Keyring
) -> dict[str, Any]:
    return apply_ops(session, user=user, device_id=device_id, ops=[op], keyring=keyring)[0]


def _apply_opened(session: DbSession, *, user: User, device_id: str, op: dict[str, Any],
                  payload: Any, keyring: Keyring, recorded: dict[str, SyncOp]
                  ) -> dict[str, Any]:
    earlier = replay(session, op=op, recorded=recorded)
    if earlier:
        return earlier
    answer = _apply(session, user=user, op=op, payload=payload, keyring=keyring)
    if answer["status"] == "applied":
        recorded[op["op_id"]] = SyncOp(
            op_id=op["op_id"], user_id=user.id, device_id=device_id, type=op["type"],
            entity_id=op["entity_id"], body_hash=_canonical(op), answer=json.dumps(answer),
        )
        session.add(recorded[op["op_id"]])
        _resolve_conflicts(session, user=user, op=op)
        _audit_op(session, user=user, device_id=device_id, op=op, payload=payload,
                  action="sync.applied", rev=answer["rev"])
    elif answer["status"] == "conflict":
        _record_conflict(session, user=user, device_id=device_id, op=op,
                         server_rev=answer["rev"])
        # The answer carries the server's current content: a read of it.
        _audit_op(session, user=user, device_id=device_id, op=op, payload=payload,
                  action="sync.conflict_read", rev=answer["rev"])
    return answer


# The public ids an op's payload names, by field, as audit subjects.
_PAYLOAD_SUBJECTS = {"household_id": "household", "person_id": "person",
                     "checklist_id": "checklist"}


def _audit_op(session: DbSession, *, user: User, device_id: str, op: dict[str, Any],
              payload: Any, action: str, rev: int) -> None:
    kind = op["type"].split(".")[0]
    subjects = {audit.subject(kind, op["entity_id"])}
    if isinstance(payload, dict):
        subjects |= {audit.subject(named, str(payload[field]))
                     for field, named in _PAYLOAD_SUBJECTS.items() if is_uuid(payload.get(field))}
        contact = payload.get("contact")
        if isinstance(contact, dict):  # a concern names the children it records contact with
            subjects |= {audit.subject("person", child) for child in contact if is_uuid(child)}
    audit.record(session, action=action, actor=user, object_type=kind,
                 object_id=op["entity_id"], device_id=device_id, subjects=subjects,
                 detail={"op_id": op["op_id"], "type": op["type"], "rev": rev}, flush=False)


def _record_conflict(session: DbSession, *, user: User, device_id: str, op: dict[str, Any],
                     server_rev: int) -> None:
    seen = session.scalars(select(SyncConflict).where(SyncConflict.op_id == op["op_id"])).first()
    if seen is None:
        session.add(SyncConflict(op_id=op["op_id"], user_id=user.id, device_id=device_id,
                                 type=op["type"], entity_id=op["entity_id"],
                                 base_rev=op["base_rev"], server_rev=server_rev))
        session.flush()


def _resolve_conflicts(session: DbSession, *, user: User, op: dict[str, Any]) -> None:
    """The user's next applied edit of the entity is their answer to its open conflicts."""
    if op["base_rev"] == 0:
        return  # a new entity has had no conflicts
    open_conflicts = session.scalars(select(SyncConflict).where(
        SyncConflict.entity_id == op["entity_id"], SyncConflict.user_id == user.id,
        SyncConflict.resolved_by_op_id.is_(None))).all()
    for conflict in open_conflicts:
        conflict.resolved_by_op_id = op["op_id"]


def check_push_device(session: DbSession, *, user: User, device_id: Any) -> None:
    """Raise DeviceNotRegistered, or devices.DeviceRevoked for a lost device."""
    device = devices.device_for_user(session, user=user, device_id=device_id) if is_uuid(
        device_id) else None
    if device is None:
        raise DeviceNotRegistered()
    devices.check_not_revoked(device, pushing=True)


# --- pull ------------------------------------------------------------------


def pull(
    session: DbSession, *, user: User, cursor: int, limit: int, keyring: Keyring
) -> dict[str, Any]:
    """Every change the user may see after `cursor`, oldest first, with current content."""
    return pull_encoded(session, user=user, cursor=cursor, limit=limit,
                        keyring=keyring).answer


def pull_encoded(
    session: DbSession, *, user: User, cursor: int, limit: int, keyring: Keyring,
    encode: Callable[[Any], str] = pull_page.wire_json,
) -> pull_page.PulledPage:
    """`pull`, with the answer's body as it goes on the wire (each change encoded
    once by `encode`)."""
    limit = max(1, min(limit, MAX_PULL_LIMIT))
    household_ids = people.caseload_household_ids(session, user=user)
    rows = changes.visible_since(session, team_id=user.team_id, cursor=cursor, limit=limit + 1,
                                 household_ids=household_ids, user_id=user.id)
    more = len(rows) > limit
    # Each kind of entity the page names in one query, and the page cut at a byte
    # budget (sync/pull.py): the same few queries however many changes it holds.
    return pull_page.page_of_changes(session, user=user, rows=rows[:limit], more=more,
                                     cursor=cursor, keyring=keyring, encode=encode)
