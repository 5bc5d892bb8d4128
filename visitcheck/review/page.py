"""One checklist on one screen for a lead of its team: every answer, flags with
reasons and what answers them, the household's people and concerns, earlier visits,
decisions and alerts. Every opening is audited."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from ..audit import service as audit
from ..auth.models import User
from ..checklists import service as checklists
from ..checklists.models import Checklist
from ..database import DbSession, iso_utc, utcnow
from ..keys import Keyring, decrypt_fields
from ..people import service as people
from ..people.models import Concern, Person
from ..rules.service import RULES_NOT_RUN
from ..sharing import service as sharing
from ..uk_time import when_words
from . import answers as answers_
from .answers import AnswerSection
from .decisions import (
    DECIDABLE,
    REVIEWABLE,
    _team_checklist,
)
from .models import ReviewDecision
from .queue import (
    OVERDUE_RULE,
    _title,
    _with_flags_evaluated,
    is_overdue,
)
from .words import (
    DECISION_WORDS,
    PROCEDURE_WORDS,
    STATUS_WORDS,
    Flag,
    flags_of,
    flags_with_reasons,
    residence_words,
)

# --- one checklist ------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerLine:
    label: str
    value: str


@dataclass(frozen=True)
class ConcernLine:
    id: str
    basis: str
    source: str
    source_withheld: bool
    details: list[AnswerLine]
    contact: list[AnswerLine]  # child name -> kind of contact


@dataclass(frozen=True)
class PersonLine:
    id: str
    name: str
    is_child: bool
    residence: str
    concerns: list[ConcernLine]


@dataclass(frozen=True)
class EarlierChecklist:
    id: str
    visit_at: str | None
    status_words: str
    practitioner: str
    kind: str = "Home visit"  # the template's title


@dataclass(frozen=True)
class DecisionLine:
    decision: str
    words: str
    procedure: str | None
    comment: str
    lead: str
    decided_at: datetime
    supervision_date: date | None


@dataclass(frozen=True)
class ChecklistDetail:
    id: str
    household_id: str
    practitioner: str
    household: str
    status: str
    status_words: str
    rev: int
    template: str
    title: str  # the template's title: "Home visit", "Child observation"
    template_version: int
    saved_at: str
    submitted_at: datetime | None
    overdue: bool
    sections: list[AnswerSection]
    flags: list[Flag]
    earlier: list[EarlierChecklist]
    persons: list[PersonLine]
    decisions: list[DecisionLine]
    alerts: list[sharing.AlertGroup]
    can_decide: bool
    visit_at: str | None = None
    # Follow-through after submission (followup/trail.py): the trail, oldest first,
    # and each raised flag with what answers it.
    trail: list[Any] = field(default_factory=list)
    flag_answers: list[Any] = field(default_factory=list)


def _concern_line(session: DbSession, concern: Concern, *, viewer: User,
                  names: dict[str, str], keyring: Keyring) -> ConcernLine:
    data = sharing.concern_shown_to(session, concern=concern,
                                    view=people.concern_view(concern, keyring=keyring),
                                    viewer=viewer, via="review")
    yes_no = {True: "Yes", False: "No", None: "Not recorded"}
    details = [
        AnswerLine("Source date", when_words(data["source_date"]) if data.get("source_date")
                   else "Not recorded"),
        AnswerLine("Verified", yes_no.get(data.get("verified"), "Not recorded")),
        AnswerLine("Fact or opinion", (data.get("fact_or_opinion") or "not recorded")
                   .capitalize()),
        AnswerLine("MAPPA category", data.get("mappa_category") or "unknown"),
        AnswerLine("MAPPA level", data.get("mappa_level") or "unknown"),
        AnswerLine("Works or volunteers with children",
                   (data.get("works_with_children") or "unknown").capitalize()),
    ]
    if data.get("orders"):
        details.append(AnswerLine("Orders", data["orders"]))
    if data.get("notes"):
        details.append(AnswerLine("Notes", data["notes"]))
    contact = [AnswerLine(names.get(child, "A child not in this household"),
                          sharing.CONTACT_WORDS.get(level, level))
               for child, level in sorted((data.get("contact") or {}).items())]
    return ConcernLine(id=concern.uuid, basis=sharing.basis_words(data.get("basis", [])),
                       source=data.get("source", ""),
                       source_withheld=data["source_withheld"], details=details,
                       contact=contact)


def _decision_lines(session: DbSession, checklist: Checklist, *,
                    keyring: Keyring) -> list[DecisionLine]:
    rows = session.scalars(select(ReviewDecision).where(
        ReviewDecision.checklist_id == checklist.id)
        .order_by(ReviewDecision.decided_at.desc(), ReviewDecision.id.desc())).all()
    return [DecisionLine(
        decision=r.decision, words=DECISION_WORDS.get(r.decision, r.decision),
        procedure=PROCEDURE_WORDS.get(r.procedure) if r.procedure else None,
        comment=decrypt_fields(r, keyring=keyring).get("comment", ""),
        lead=r.lead.name, decided_at=r.decided_at, supervision_date=r.supervision_date,
    ) for r in rows]


def _names_of_others(session: DbSession, *, lead: User, keyring: Keyring,
                     person_ids: set[str]) -> dict[str, str]:
    """Names of people the answers are about who are not (or no longer) in the household:
    a person of concern linked elsewhere, a member who moved out. The lead's team only."""
    if not person_ids:
        return {}
    persons = session.scalars(select(Person).where(Person.uuid.in_(sorted(person_ids)),
                                                   Person.team_id == lead.team_id)).all()
    names = {}
    for person in persons:
        fields = decrypt_fields(person, keyring=keyring)
        names[person.uuid] = fields["names"][0] if fields.get("names") else ""
    return names


def _rule_actions(template: dict[str, Any]) -> dict[str, str]:
    return {RULES_NOT_RUN["rule"]: RULES_NOT_RUN["action"],
            **{r["id"]: r.get("action", "") for r in template.get("rules", [])
               if isinstance(r, dict) and "id" in r}}


def open_for_review(
    session: DbSession, *, lead: User, public_id: str, keyring: Keyring,
    now: datetime | None = None,
) -> ChecklistDetail:
    """One checklist on one screen, for a lead of its team. Every opening is audited,
    and so is each concern shown."""
    checklist = _team_checklist(session, lead=lead, public_id=public_id)
    _with_flags_evaluated(session, lead=lead, keyring=keyring)
    now = now or utcnow()
    content = checklists.checklist_content(checklist, keyring=keyring)
    audit.record(session, action="checklist.read", actor=lead, object_type="checklist",
                 object_id=checklist.uuid, detail={"rev": checklist.rev})
    template = checklists.template_definition(
        session, template=checklist.template, version=checklist.template_version
    )
    household = people.household_view(checklist.household, keyring=keyring)
    audit.record(session, action="household.read", actor=lead, object_type="household",
                 object_id=checklist.household.uuid,
                 subjects=[audit.subject("person", m["person_id"])
                           for m in household["members"]])
    names = {m["person_id"]: m["name"] for m in household["members"]}
    answers = content.get("answers") or {}
    names.update(_names_of_others(session, lead=lead, keyring=keyring,
                                  person_ids=answers_.person_ids(template, answers) - set(names)))
    from ..followup.answered import flag_key  # follow-through builds on review's reads
    from ..followup.trail import follow_through

    trail, flag_answers = follow_through(
        session, checklist=checklist, answers=answers, keyring=keyring,
        submitted_at=iso_utc(checklist.submitted_at))
    # S8's "flag it answers" holds a flag's key: shown by the flag's words.
    sections = answers_.render_sections(template, answers, names=names, flag_words={
        f.key: f.reason for f in flag_answers})
    actions = _rule_actions(template)
    overdue = is_overdue(checklist, now=now)
    flags = flags_with_reasons(session, [checklist], keyring=keyring)[checklist.uuid] or [
        Flag(f.rule, f.severity, actions.get(f.rule, "")) for f in flags_of(checklist)]
    # One line per flag: who and why, and what answers it (an S8 action naming it, a
    # response recorded since), matched by rule and subject.
    answer_of = {f.key: f for f in flag_answers}
    flags = [replace(f, answer=answer_of.get(flag_key(f.rule, f.subject))) for f in flags]
    if overdue:
        flags.insert(0, Flag(OVERDUE_RULE, "urgent", "Review now."))

    persons = []
    for member in checklist.household.memberships:
        concerns = session.scalars(select(Concern).where(
            Concern.person_id == member.person_id, Concern.team_id == lead.team_id)
            .order_by(Concern.id)).all()
        lines = []
        for concern in concerns:
            lines.append(_concern_line(session, concern, viewer=lead, names=names,
                                       keyring=keyring))
            audit.record(session, action="concern.read", actor=lead, object_type="concern",
                         object_id=concern.uuid)
        persons.append(PersonLine(id=member.person.uuid, name=names.get(member.person.uuid, ""),
                                  is_child=member.person.is_child,
                                  residence=residence_words(member.residence),
                                  concerns=lines))
    persons.sort(key=lambda p: (not p.concerns, p.is_child, p.name))

    earlier = session.scalars(select(Checklist).where(
        Checklist.household_id == checklist.household_id, Checklist.id != checklist.id,
        Checklist.team_id == lead.team_id, Checklist.status.in_(REVIEWABLE))
        .order_by(Checklist.submitted_at.desc(), Checklist.id.desc())).all()

    alerts = sharing.alert_groups(session, team_id=lead.team_id, keyring=keyring,
                                  household=checklist.household)
    sharing.audit_alert_groups(session, groups=alerts, viewer=lead)
    return ChecklistDetail(
        id=checklist.uuid,
        household_id=checklist.household.uuid,
        practitioner=checklist.author.name,
        household=household["address"],
        status=checklist.status,
        status_words=STATUS_WORDS.get(checklist.status, checklist.status),
        rev=checklist.rev,
        template=checklist.template,
        title=str(template.get("title") or checklist.template),
        template_version=checklist.template_version,
        saved_at=content["saved_at"],
        submitted_at=checklist.submitted_at,
        overdue=overdue,
        sections=sections,
        flags=flags,
        earlier=[EarlierChecklist(c.uuid, c.visit_at, STATUS_WORDS.get(c.status, c.status),
                                  c.author.name, _title(c)) for c in earlier],
        persons=persons,
        decisions=_decision_lines(session, checklist, keyring=keyring),
        alerts=alerts,
        can_decide=checklist.status in DECIDABLE,
        visit_at=checklist.visit_at,
        trail=trail,
        flag_answers=flag_answers,
    )





