"""Checklists: template versions, and the rules for storing a practitioner's checklist."""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from typing import Any

from sqlalchemy import select

from ..auth.models import User
from ..database import DbSession, utcnow
from ..errors import Forbidden, InvalidEntity, OpRefused, StaleRevision
from ..keys import Keyring, decrypt_fields, encrypt_fields
from ..people import service as people
from ..sync import changes
from . import flags
from .models import Checklist, ChecklistStatus, ChecklistTemplate
from .validation import FieldError, validate_answers

PAYLOAD_KEYS = {"template", "template_version", "household_id", "status", "answers", "saved_at"}
DEVICE_STATUSES = {ChecklistStatus.DRAFT.value, ChecklistStatus.SUBMITTED.value}
# The author may change a checklist only while it is theirs to work on.
EDITABLE_STATUSES = {ChecklistStatus.DRAFT.value, ChecklistStatus.RETURNED.value}


class InvalidChecklist(InvalidEntity):
    pass


class ChecklistForbidden(Forbidden):
    pass


class ChecklistAlreadySubmitted(OpRefused):
    problem = "already-submitted"
    title = "The checklist was submitted and is with the team lead"


# --- templates -------------------------------------------------------------


def builtin_template_files() -> list[dict[str, Any]]:
    folder = resources.files("visitcheck.checklists") / "templates"
    return [
        json.loads(entry.read_text())
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]


def load_template(session: DbSession, *, definition: dict[str, Any]) -> ChecklistTemplate:
    """Add a template version. An existing version is never changed under old entries."""
    slug, version = definition.get("template"), definition.get("version")
    if not isinstance(slug, str) or not isinstance(version, int) or "sections" not in definition:
        raise InvalidChecklist("a template needs a string `template`, an integer `version` "
                               "and `sections`")
    existing = session.scalars(
        select(ChecklistTemplate).where(
            ChecklistTemplate.template == slug, ChecklistTemplate.version == version
        )
    ).first()
    text = json.dumps(definition, sort_keys=True)
    if existing:
        if json.loads(existing.definition) != definition:
            raise InvalidChecklist(f"{slug} version {version} exists with other content; "
                                   "load it as a new version")
        return existing
    row = ChecklistTemplate(template=slug, version=version, definition=text)
    session.add(row)
    session.flush()
    return row


def load_builtin_templates(session: DbSession) -> None:
    for definition in builtin_template_files():
        load_template(session, definition=definition)


def all_templates(session: DbSession) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ChecklistTemplate).order_by(ChecklistTemplate.template, ChecklistTemplate.version)
    )
    return [json.loads(row.definition) for row in rows]


# Parsed templates by their stored text: parsing a large template on every op
# costs more than fetching it.
_parsed: dict[str, dict[str, Any]] = {}


def template_definition(session: DbSession, *, template: str, version: int) -> dict[str, Any]:
    text = session.scalars(
        select(ChecklistTemplate.definition).where(
            ChecklistTemplate.template == template, ChecklistTemplate.version == version
        )
    ).first()
    if text is None:
        raise InvalidChecklist(
            f"unknown template {template} version {version}",
            [FieldError("template_version", "is not a loaded template version")],
        )
    if text not in _parsed:
        _parsed[text] = json.loads(text)
    return _parsed[text]


# --- checklists ------------------------------------------------------------


def checklist_by_public_id(session: DbSession, public_id: str) -> Checklist | None:
    return session.scalars(select(Checklist).where(Checklist.uuid == public_id)).first()


def checklist_content(checklist: Checklist, *, keyring: Keyring) -> dict[str, Any]:
    """The plaintext as the device sealed it, plus the server's status and revision,
    and the team lead's latest decision (`review`, None before any)."""
    from ..review.service import decision_view  # review builds on checklists

    payload = decrypt_fields(checklist, keyring=keyring)
    return {
        **payload,
        "id": checklist.uuid,
        "status": checklist.status,
        "rev": checklist.rev,
        "review": decision_view(checklist, keyring=keyring),
    }


def server_flags(session: DbSession, checklist: Checklist, *, keyring: Keyring
                 ) -> list[dict[str, Any]]:
    """The flags the server's rules raise for a stored checklist, with their reasons."""
    template = template_definition(session, template=checklist.template,
                                   version=checklist.template_version)
    return flags.flags_for_checklist(session, checklist, template=template, keyring=keyring)


def _check_payload(payload: Any) -> None:
    if not isinstance(payload, dict):
        raise InvalidChecklist("the sealed content must be a JSON object")
    unknown, missing = set(payload) - PAYLOAD_KEYS, PAYLOAD_KEYS - set(payload)
    errors = [FieldError(k, "is not a checklist field") for k in sorted(unknown)]
    errors += [FieldError(k, "is required") for k in sorted(missing)]
    if errors:
        raise InvalidChecklist("the checklist's fields are not as expected", errors)
    if payload["status"] not in DEVICE_STATUSES:
        raise InvalidChecklist("a device may save a draft or submit",
                               [FieldError("status", "must be draft or submitted")])
    if not isinstance(payload["template_version"], int) or isinstance(
        payload["template_version"], bool
    ):
        raise InvalidChecklist("bad template version",
                               [FieldError("template_version", "must be an integer")])
    try:
        datetime.fromisoformat(payload["saved_at"])
    except (TypeError, ValueError):
        raise InvalidChecklist("bad saved_at",
                               [FieldError("saved_at", "must be an ISO 8601 time")]) from None


def put_checklist(
    session: DbSession,
    *,
    user: User,
    entity_id: str,
    base_rev: int,
    payload: Any,
    keyring: Keyring,
) -> Checklist:
    """Create or update `user`'s own checklist from a device's op. Flushes, never commits.

    Raises InvalidChecklist / ChecklistForbidden / ChecklistAlreadySubmitted
    (the op is rejected) or StaleRevision (a conflict the user must see).
    """
    _check_payload(payload)
    facts = people.household_facts(session, user=user, household_id=str(payload["household_id"]),
                                   keyring=keyring)
    if facts is None or not facts.on_caseload:
        raise ChecklistForbidden("the household is not on your caseload",
                                 [FieldError("household_id", "is not on your caseload")])
    household = facts.household
    template = template_definition(
        session, template=payload["template"], version=payload["template_version"]
    )
    submitting = payload["status"] == ChecklistStatus.SUBMITTED
    errors = validate_answers(template, payload["answers"], children=facts.children,
                              complete=submitting, people=facts.people)
    if errors:
        raise InvalidChecklist("some answers need attention", errors)

    checklist = checklist_by_public_id(session, entity_id)
    if checklist is None:
        if base_rev != 0:
            raise InvalidChecklist("no such checklist to update; a new one starts at base_rev 0")
        checklist = Checklist(
            uuid=entity_id,
            author_id=user.id,
            team_id=user.team_id,
            household_id=household.id,
            template=payload["template"],
            template_version=payload["template_version"],
            status=payload["status"],
            rev=0,
        )
        session.add(checklist)
    else:
        if checklist.author_id != user.id:
            raise ChecklistForbidden("this checklist belongs to someone else")
        if checklist.rev != base_rev:
            raise StaleRevision(checklist.rev, checklist_content(checklist, keyring=keyring))
        if checklist.status not in EDITABLE_STATUSES:
            raise ChecklistAlreadySubmitted(
                f"the checklist is {checklist.status}; it can change only if it is returned"
            )
        if (checklist.household_id, checklist.template, checklist.template_version) != (
            household.id, payload["template"], payload["template_version"]
        ):
            raise InvalidChecklist("a checklist keeps its household and template version")

    checklist.status = payload["status"]
    checklist.rev += 1
    checklist.updated_at = utcnow()
    checklist.visit_at = payload["answers"].get("visit", {}).get("visit_at") or None
    if submitting:
        checklist.submitted_at = utcnow()
    encrypt_fields(checklist, payload, keyring=keyring)
    session.flush()
    if submitting:
        # The same rules the tablet ran, over everything the team holds, for the
        # lead's queue. (A draft's flags are the tablet's own until it is submitted;
        # the server's are computed on pull.)
        checklist.flag_summary = flags.summary(
            flags.flags_for_checklist(session, checklist, template=template, keyring=keyring))
    changes.record(session, type="checklist", entity_id=checklist.uuid, rev=checklist.rev,
                   user_id=user.id)
    return checklist
