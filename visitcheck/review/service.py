"""Team lead review: the team's queue and one checklist, decrypted only for a lead
of the same team, each opening audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import service as audit
from ..auth.models import Role, User
from ..checklists import service as checklists
from ..checklists.models import Checklist, ChecklistStatus
from ..keys import Keyring
from ..people import service as people

REVIEWABLE = [
    ChecklistStatus.SUBMITTED,
    ChecklistStatus.RETURNED,
    ChecklistStatus.APPROVED,
    ChecklistStatus.ESCALATED,
]


class ReviewForbidden(Exception):
    """Only a team lead may review, and only their own team's checklists."""


class ChecklistNotFound(Exception):
    pass


@dataclass(frozen=True)
class QueueRow:
    id: str
    practitioner: str
    household: str
    visit_at: str | None
    status: str
    submitted_at: datetime | None


@dataclass(frozen=True)
class AnswerLine:
    label: str
    value: str


@dataclass(frozen=True)
class AnswerSection:
    code: str
    title: str
    lines: list[AnswerLine]


@dataclass(frozen=True)
class ChecklistDetail:
    id: str
    practitioner: str
    household: str
    status: str
    rev: int
    template: str
    template_version: int
    saved_at: str
    sections: list[AnswerSection]


def _require_lead(user: User) -> None:
    if user.role != Role.TEAM_LEAD:
        raise ReviewForbidden()


def team_queue(session: Session, *, lead: User, keyring: Keyring) -> list[QueueRow]:
    _require_lead(lead)
    rows = session.scalars(
        select(Checklist)
        .where(Checklist.team_id == lead.team_id, Checklist.status.in_(REVIEWABLE))
        .order_by(Checklist.submitted_at.desc(), Checklist.id.desc())
    ).all()
    audit.record(session, action="review.queue", actor=lead, detail={"shown": len(rows)})
    return [
        QueueRow(
            id=c.uuid,
            practitioner=c.author.name,
            household=people.household_address(c.household, keyring=keyring),
            visit_at=c.visit_at,
            status=c.status,
            submitted_at=c.submitted_at,
        )
        for c in rows
    ]


def _format(field: dict[str, Any], value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    options = {o["value"]: o["label"] for o in field.get("options", [])}
    if isinstance(value, list):
        return ", ".join(options.get(v, str(v)) for v in value)
    return options.get(value, str(value))


def _lines(fields: list[dict[str, Any]], answers: dict[str, Any],
           names: dict[str, str], prefix: str = "") -> list[AnswerLine]:
    lines: list[AnswerLine] = []
    for field in fields:
        if field["id"] not in answers:
            continue
        value = answers[field["id"]]
        if field["type"] == "group" and field.get("repeat") == "children":
            for person_id, child_answers in value.items():
                child = names.get(person_id, "Child")
                lines += _lines(field["fields"], child_answers, names, f"{prefix}{child}: ")
        elif field["type"] == "group":
            lines += _lines(field["fields"], value, names, f"{prefix}{field['label']}: ")
        else:
            lines.append(AnswerLine(prefix + field["label"], _format(field, value)))
    return lines


def open_for_review(
    session: Session, *, lead: User, public_id: str, keyring: Keyring
) -> ChecklistDetail:
    _require_lead(lead)
    checklist = checklists.checklist_by_public_id(session, public_id)
    if checklist is None or checklist.team_id != lead.team_id:
        raise ChecklistNotFound()  # another team's checklist is not even said to exist
    if checklist.status not in REVIEWABLE:
        raise ChecklistNotFound()  # drafts are the practitioner's until submitted
    content = checklists.checklist_content(checklist, keyring=keyring)
    audit.record(session, action="checklist.read", actor=lead, object_type="checklist",
                 object_id=checklist.uuid, detail={"rev": checklist.rev})
    template = checklists.template_definition(
        session, template=checklist.template, version=checklist.template_version
    )
    household = people.household_view(checklist.household, keyring=keyring)
    names = {m["person_id"]: m["name"] for m in household["members"]}
    sections = [
        AnswerSection(s.get("code", ""), s["title"],
                      _lines(s["fields"], content["answers"].get(s["id"], {}), names))
        for s in template["sections"]
    ]
    return ChecklistDetail(
        id=checklist.uuid,
        practitioner=checklist.author.name,
        household=household["address"],
        status=checklist.status,
        rev=checklist.rev,
        template=checklist.template,
        template_version=checklist.template_version,
        saved_at=content["saved_at"],
        sections=sections,
    )
