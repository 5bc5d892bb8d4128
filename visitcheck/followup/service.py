"""Follow-through records (issue 11 item 2): what a practitioner adds to a submitted
visit without rewriting it — an action's status and outcome, a referral's outcome, a
response to a flag, a late entry. Append-only: a record is never changed; a later
record about the same row says what happened next.

Only the checklist's author records them: the visit is on their devices (pull sends
a checklist to its author only), and the trail says who did what. A colleague who
takes the family on records their own visit.

Op `checklist.followup` (docs/sync-protocol.md): entity_id is the record's uuid, made
on the tablet; base_rev is 0; the sealed payload is
`{"checklist_id", "kind", "row_id"?, "rule"?, "subject"?, "status"?, "text"?,
"recorded_at"}`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from ..audit import service as audit
from ..auth.models import User
from ..checklists import service as checklists
from ..checklists.models import Checklist, ChecklistStatus
from ..checklists.validation import FieldError
from ..database import DbSession, is_uuid
from ..errors import Forbidden, InvalidEntity, OpRefused
from ..feed import service as changes
from ..keys import Keyring, decrypt_fields, encrypt_fields
from .models import Followup, FollowupKind

# Where the template keeps the rows a record refers to (home-visit v1, S8). The
# context step (rules/context.py, static/app/rules/context.js) lays records over the same rows.
ACTIONS = ("analysis", "actions")
REFERRALS = ("analysis", "referrals")
ACTION_STATUSES = ("open", "done", "cancelled")
MAX_TEXT = 10_000
MAX_REFERENCE = 200  # a row id, rule id or subject id
PAYLOAD_KEYS = {"checklist_id", "kind", "row_id", "rule", "subject", "status", "text",
                "recorded_at"}


class NotSubmitted(OpRefused):
    """A draft is changed by editing it; follow-through is for what was submitted."""

    problem = "not-submitted"
    title = "The visit has not been submitted"


class AlreadyRecorded(OpRefused):
    """Append-only: a record id already stored with other content is never overwritten."""

    problem = "append-only"
    title = "This follow-through record is already stored"


def _text(payload: dict[str, Any], errors: list[FieldError], *, required: bool) -> None:
    text = payload.get("text")
    if text is None and not required:
        return
    if not isinstance(text, str) or (required and not text.strip()):
        errors.append(FieldError("text", "must be said in words"))
    elif len(text) > MAX_TEXT:
        errors.append(FieldError("text", f"must be at most {MAX_TEXT} characters"))


def _rows(answers: dict[str, Any], where: tuple[str, str]) -> dict[str, Any]:
    rows = (answers.get(where[0]) or {}).get(where[1]) if isinstance(
        answers.get(where[0]), dict) else None
    return rows if isinstance(rows, dict) else {}


def _payload_errors(payload: Any, answers: dict[str, Any] | None,
                    rules: set[str] | None = None) -> list[FieldError]:
    """What is wrong with a record's payload; `answers` (the checklist's) and `rules`
    (its template's rule ids) to check what it refers to, None before the checklist
    is known."""
    if not isinstance(payload, dict):
        return [FieldError("payload", "must be a JSON object")]
    errors = [FieldError(key, "is not a field of a follow-through record")
              for key in sorted(set(payload) - PAYLOAD_KEYS)]
    errors += [FieldError(key, f"must be at most {MAX_REFERENCE} characters")
               for key in ("row_id", "rule", "subject")
               if isinstance(payload.get(key), str) and len(payload[key]) > MAX_REFERENCE]
    if not is_uuid(payload.get("checklist_id")):
        errors.append(FieldError("checklist_id", "must be a checklist's id"))
    try:
        recorded = datetime.fromisoformat(str(payload.get("recorded_at", "")).replace(
            "Z", "+00:00"))
        if recorded.tzinfo is None:
            errors.append(FieldError("recorded_at", "must carry its offset from UTC"))
    except ValueError:
        errors.append(FieldError("recorded_at", "must be an ISO 8601 time"))
    kind = payload.get("kind")
    if kind not in {k.value for k in FollowupKind}:
        errors.append(FieldError("kind", "must be one of "
                                 + ", ".join(k.value for k in FollowupKind)))
        return errors
    if kind in (FollowupKind.ACTION_STATUS, FollowupKind.REFERRAL_OUTCOME):
        where = ACTIONS if kind == FollowupKind.ACTION_STATUS else REFERRALS
        row_id = payload.get("row_id")
        if not isinstance(row_id, str) or not row_id:
            errors.append(FieldError("row_id", "must name the row it is about"))
        elif answers is not None and row_id not in _rows(answers, where):
            errors.append(FieldError("row_id", f"is not a row of {where[0]}.{where[1]} "
                                     "in this visit"))
    if kind == FollowupKind.ACTION_STATUS:
        if payload.get("status") not in ACTION_STATUSES:
            errors.append(FieldError("status", "must be one of " + ", ".join(ACTION_STATUSES)))
        _text(payload, errors, required=False)
    elif kind == FollowupKind.FLAG_RESPONSE:
        if not isinstance(payload.get("rule"), str) or not payload["rule"]:
            errors.append(FieldError("rule", "must name the flag's rule"))
        elif rules is not None and payload["rule"] not in rules:
            errors.append(FieldError("rule", "is not a rule of this visit's template"))
        subject = payload.get("subject")
        if subject is not None and not isinstance(subject, str):
            errors.append(FieldError("subject", "must be the flag's subject or null"))
        _text(payload, errors, required=True)
    else:
        _text(payload, errors, required=True)
    return errors


def _content(payload: dict[str, Any]) -> dict[str, Any]:
    """What is encrypted at rest: the record's own words and what it refers to."""
    return {key: payload.get(key) for key in ("row_id", "rule", "subject", "status", "text")}


def record_followup(session: DbSession, *, user: User, entity_id: str, base_rev: int,
                    payload: Any, keyring: Keyring) -> Followup:
    """`checklist.followup`: store one follow-through record on a submitted checklist of
    the user's, on any status after submission (approved included), and mark the
    checklist's flags due so the server's rules read it. Idempotent for the same
    content; a record is never changed. Flushes, never commits."""
    errors = _payload_errors(payload, None)
    if base_rev != 0:
        errors.append(FieldError("base_rev", "must be 0: a record is never edited"))
    if errors:
        raise InvalidEntity("the follow-through record needs attention", errors)
    checklist = checklists.checklist_by_public_id(session, payload["checklist_id"])
    if checklist is None or checklist.author_id != user.id:
        # Someone else's checklist is not even said to exist.
        raise Forbidden("no such checklist of yours",
                        [FieldError("checklist_id", "is not known")])
    if checklist.status == ChecklistStatus.DRAFT.value:
        raise NotSubmitted("change the draft itself; follow-through is added after "
                           "submission")
    stored = session.scalars(select(Followup).where(Followup.uuid == entity_id)).first()
    if stored is not None:
        if (stored.author_id == user.id and stored.checklist_id == checklist.id
                and stored.kind == payload["kind"]
                and decrypt_fields(stored, keyring=keyring) == _content(payload)):
            return stored  # the same record sent again under a new op id
        raise AlreadyRecorded("a follow-through record is never changed: add a new one")
    answers = decrypt_fields(checklist, keyring=keyring).get("answers") or {}
    template = checklists.template_definition(session, template=checklist.template,
                                              version=checklist.template_version)
    rules = {str(r.get("id")) for r in template.get("rules", []) if isinstance(r, dict)}
    errors = _payload_errors(payload, answers if isinstance(answers, dict) else {}, rules)
    if errors:
        raise InvalidEntity("the follow-through record needs attention", errors)

    recorded_at = datetime.fromisoformat(payload["recorded_at"].replace("Z", "+00:00"))
    row = Followup(uuid=entity_id, checklist_id=checklist.id, author_id=user.id,
                   kind=payload["kind"], rev=1, recorded_at=recorded_at.astimezone(UTC))
    encrypt_fields(row, _content(payload), keyring=keyring)
    session.add(row)
    # The rules read the record (a referral's outcome clears referral-no-outcome):
    # evaluated again once the push commits (sync/api.py), or by the lead's queue.
    checklist.flags_due = True
    session.flush()
    changes.record(session, team_id=checklist.team_id, type="followup", entity_id=row.uuid,
                   rev=1, user_id=checklist.author_id)
    # The checklist comes back to its author's devices with the server's flags anew.
    changes.record(session, team_id=checklist.team_id, type="checklist",
                   entity_id=checklist.uuid, rev=checklist.rev, user_id=checklist.author_id)
    audit.record(session, action="checklist.followup", actor=user, object_type="checklist",
                 object_id=checklist.uuid, detail={"followup": row.uuid, "kind": row.kind})
    return row


def followup_view(row: Followup, *, checklist_uuid: str, keyring: Keyring) -> dict[str, Any]:
    """A record as a device and the context step read it."""
    return {
        "id": row.uuid,
        "checklist_id": checklist_uuid,
        "kind": row.kind,
        **decrypt_fields(row, keyring=keyring),
        "recorded_at": row.recorded_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "author": {"id": row.author.uuid, "name": row.author.name},
        "rev": row.rev,
    }


def followups_of(session: DbSession, checklists_: list[Checklist], *, keyring: Keyring
                 ) -> dict[int, list[dict[str, Any]]]:
    """The records of these checklists, by checklist row id, in the order they were
    recorded (the trail's order, and the order later records win in)."""
    return followups_by_id(session, {c.id: c.uuid for c in checklists_}, keyring=keyring)


def followups_by_id(session: DbSession, uuids: dict[int, str], *, keyring: Keyring
                    ) -> dict[int, list[dict[str, Any]]]:
    """`followups_of` for checklists known by row id and public id (rows read as plain
    columns)."""
    out: dict[int, list[dict[str, Any]]] = {row_id: [] for row_id in uuids}
    if not out:
        return out
    for row in session.scalars(select(Followup).where(Followup.checklist_id.in_(list(out)))
                               .order_by(Followup.recorded_at, Followup.id)):
        out[row.checklist_id].append(followup_view(row, checklist_uuid=uuids[row.checklist_id],
                                                   keyring=keyring))
    return out


def followup_by_public_id(session: DbSession, public_id: str) -> Followup | None:
    return session.scalars(select(Followup).where(Followup.uuid == public_id)).first()


def checklist_ids_of(session: DbSession, followup_ids: list[str]) -> list[str]:
    """The checklists (public ids) these records were added to."""
    if not followup_ids:
        return []
    return list(session.scalars(select(Checklist.uuid).join(
        Followup, Followup.checklist_id == Checklist.id).where(
        Followup.uuid.in_(followup_ids)).distinct()))
