"""Checklists: template versions, and the rules for storing a practitioner's checklist."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cached_property
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from ..auth.models import User
from ..database import DbSession, is_uuid, transaction_memo, utcnow
from ..errors import Forbidden, InvalidEntity, OpRefused, StaleRevision
from ..feed import service as changes
from ..keys import Keyring, decrypt_fields, encrypt_fields
from ..people import service as people

# The decision's table only: the review capability's rules stay above checklists.
from ..review.models import ReviewDecision
from ..rules import engine as rules
from ..rules.engine import CompiledRules
from .models import Checklist, ChecklistStatus, ChecklistTemplate
from .validation import FieldError, validate_answers

# Template versions are a 32-bit integer column; a larger one names no template
# (and made PostgreSQL raise on the look-up).
MAX_TEMPLATE_VERSION = 2**31 - 1
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
    """Add a template version. An existing version is never changed under old entries.

    Stored as given, keys in the order loaded (never sorted): the rules' meaning
    must not depend on how a store orders an object, and what the tablet is
    served must equal what was loaded. A rule whose `let` binds from an object
    is refused: its order would be up to whoever stores or sends it."""
    slug, version = definition.get("template"), definition.get("version")
    if not isinstance(slug, str) or not isinstance(version, int) or "sections" not in definition:
        raise InvalidChecklist("a template needs a string `template`, an integer `version` "
                               "and `sections`")
    for rule in definition.get("rules") or []:
        if where := rules.malformed_lets(rule.get("when") if isinstance(rule, dict) else rule):
            name = rule.get("id") if isinstance(rule, dict) else None
            raise InvalidChecklist(
                f"rule {name!r}: `let` takes an ordered list of [name, expression] pairs, "
                f"not an object (at {', '.join(where)}); see docs/rules.md")
    existing = session.scalars(
        select(ChecklistTemplate).where(
            ChecklistTemplate.template == slug, ChecklistTemplate.version == version
        )
    ).first()
    text = json.dumps(definition, ensure_ascii=False)
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


class LoadedTemplate:
    """A stored template version, parsed, and its rules compiled when first needed.
    Made once per process for each stored text: a loaded version never changes."""

    def __init__(self, text: str):
        self.definition: dict[str, Any] = json.loads(text)
        self._alone: dict[str, CompiledRules] = {}

    @cached_property
    def rules(self) -> rules.CompiledRules:
        return rules.compile_rules(self.definition.get("rules", []))

    def rule(self, rule_id: str) -> CompiledRules:
        """One of the version's rules on its own (nothing if it has none by that id),
        compiled once: for a question about one rule, such as the lead's overdue reviews."""
        if rule_id not in self._alone:
            self._alone[rule_id] = rules.compile_rules(
                [r for r in self.definition.get("rules", []) if r.get("id") == rule_id])
        return self._alone[rule_id]


# By stored text: parsing a large template on every op costs more than fetching it.
_loaded: dict[str, LoadedTemplate] = {}


def loaded_template(session: DbSession, *, template: str, version: int) -> LoadedTemplate:
    memo = transaction_memo(session, "templates")
    if (template, version) not in memo:
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
        if text not in _loaded:
            _loaded[text] = LoadedTemplate(text)
        memo[template, version] = _loaded[text]
    return memo[template, version]


def template_definition(session: DbSession, *, template: str, version: int) -> dict[str, Any]:
    return loaded_template(session, template=template, version=version).definition


# --- checklists ------------------------------------------------------------


def checklist_by_public_id(session: DbSession, public_id: str) -> Checklist | None:
    return session.scalars(select(Checklist).where(Checklist.uuid == public_id)).first()


def look_up_for_puts(session: DbSession, *, user: User, puts: list[tuple[str, Any]],
                     keyring: Keyring) -> None:
    """Fetch what a push's checklist puts (entity id, opened payload) will ask for,
    a few queries for the whole push, for put_checklist to find in this transaction
    (a query per op would also flush every op before it, one by one)."""
    memo = transaction_memo(session, "checklists")
    wanted = [entity_id for entity_id, _ in puts if entity_id not in memo]
    memo.update(dict.fromkeys(wanted))
    for checklist in session.scalars(select(Checklist).where(Checklist.uuid.in_(wanted))):
        memo[checklist.uuid] = checklist
    households = [str(p["household_id"]) for _, p in puts
                  if isinstance(p, dict) and "household_id" in p]
    people.look_up_households(session, user=user, household_ids=households, keyring=keyring)


def _stored_checklist(session: DbSession, public_id: str) -> Checklist | None:
    memo = transaction_memo(session, "checklists")
    return memo[public_id] if public_id in memo else checklist_by_public_id(session, public_id)


_LOOK_UP = object()


def checklist_content(checklist: Checklist, *, keyring: Keyring,
                      decision: Any = _LOOK_UP) -> dict[str, Any]:
    """The plaintext as the device sealed it, plus the server's status and revision,
    and the team lead's latest decision (`review`, None before any). `decision`: that
    decision's row (or None), where the caller loaded it with others (the pull)."""
    payload = decrypt_fields(checklist, keyring=keyring)
    return {
        **payload,
        "id": checklist.uuid,
        "status": checklist.status,
        "rev": checklist.rev,
        "review": decision_view(checklist, keyring=keyring) if decision is _LOOK_UP
        else decision_row_view(decision, keyring=keyring),
    }


def latest_decision(session: DbSession, checklist: Checklist) -> ReviewDecision | None:
    return session.scalars(select(ReviewDecision).where(
        ReviewDecision.checklist_id == checklist.id)
        .order_by(ReviewDecision.decided_at.desc(), ReviewDecision.id.desc())).first()


def decision_view(checklist: Checklist, *, keyring: Keyring) -> dict[str, Any] | None:
    """The latest decision as the author's device receives it (the `review` key of the
    pull's checklist data), or None before any. Here rather than in review/ because it
    is part of a checklist's content, which review, sync and chronology all read."""
    session = object_session(checklist)
    return decision_row_view(latest_decision(session, checklist) if session is not None
                             else None, keyring=keyring)


def decision_row_view(row: ReviewDecision | None, *, keyring: Keyring
                      ) -> dict[str, Any] | None:
    """A decision as the author's device receives it; None for none."""
    if row is None:
        return None
    return {
        "decision": row.decision,
        "comment": decrypt_fields(row, keyring=keyring).get("comment", ""),
        "procedure": row.procedure,
        "supervision_date": row.supervision_date.isoformat() if row.supervision_date else None,
        "decided_at": row.decided_at.isoformat(),
        "lead": row.lead.name,
    }


def _check_payload(payload: Any) -> None:
    if not isinstance(payload, dict):
        raise InvalidChecklist("the sealed content must be a JSON object")
    unknown, missing = set(payload) - PAYLOAD_KEYS, PAYLOAD_KEYS - set(payload)
    errors = [FieldError(k, "is not a checklist field") for k in sorted(unknown)]
    errors += [FieldError(k, "is required") for k in sorted(missing)]
    if errors:
        raise InvalidChecklist("the checklist's fields are not as expected", errors)
    # Types first: a list where a string is expected is no key to look anything up by.
    if not isinstance(payload["template"], str) or not 0 < len(payload["template"]) <= 64:
        raise InvalidChecklist("bad template", [FieldError("template", "must be a template name")])
    if not is_uuid(payload["household_id"]):
        raise InvalidChecklist("bad household id",
                               [FieldError("household_id", "must be an id (lowercase UUID)")])
    if not isinstance(payload["status"], str) or payload["status"] not in DEVICE_STATUSES:
        raise InvalidChecklist("a device may save a draft or submit",
                               [FieldError("status", "must be draft or submitted")])
    if not isinstance(payload["template_version"], int) or isinstance(
        payload["template_version"], bool
    ) or not 0 < payload["template_version"] <= MAX_TEMPLATE_VERSION:
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
    allowed = facts.people
    if not submitting and "adults" in allowed:
        # S3 is where a concern about an adult of the household is first written:
        # a draft may hold it before the tablet can record the concern (it needs a
        # basis and a source); a submission may not (docs/people-on-the-tablet.md).
        allowed = {**allowed, "persons_of_concern":
                   allowed.get("persons_of_concern", set()) | allowed["adults"]}
    errors = validate_answers(template, payload["answers"], children=facts.children,
                              complete=submitting, people=allowed)
    if errors:
        raise InvalidChecklist("some answers need attention", errors)

    checklist = _stored_checklist(session, entity_id)
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
        transaction_memo(session, "checklists")[entity_id] = checklist
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
    # The server's rules run over every save once the push has committed
    # (rules.service.evaluate_due_flags), outside the feed lock: they only read. A
    # draft's flags come back to its author's device, as the team's records show them.
    checklist.flags_due = True
    encrypt_fields(checklist, payload, keyring=keyring)
    changes.record(session, team_id=checklist.team_id, type="checklist",
                   entity_id=checklist.uuid, rev=checklist.rev, user_id=user.id)
    return checklist
