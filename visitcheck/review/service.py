"""Team lead review (S9 of DOMAIN.md): the team's queue, one checklist on one screen,
and the lead's decisions. Content is decrypted only for a lead of the same team,
and each opening and each decision is audited.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, distinct, exists, func, or_, select
from sqlalchemy.orm import joinedload, object_session

from ..audit import service as audit
from ..auth.models import Role, User
from ..checklists import service as checklists
from ..checklists.models import Checklist, ChecklistStatus
from ..database import DbSession, new_uuid, utcnow
from ..keys import Keyring, decrypt_fields, encrypt_fields
from ..people import service as people
from ..people.models import Concern, Household, Person
from ..rules import overdue
from ..rules import service as flags
from ..rules.models import ChecklistFlag
from ..rules.service import RULES_NOT_RUN
from ..sharing import service as sharing
from ..sync import changes
from ..uk_time import when_words
from . import answers as answers_
from .answers import AnswerSection
from .models import Decision, Procedure, ReviewDecision

REVIEWABLE = [
    ChecklistStatus.SUBMITTED,
    ChecklistStatus.RETURNED,
    ChecklistStatus.APPROVED,
    ChecklistStatus.ESCALATED,
]
# Awaiting the lead: a decision may be taken on these.
DECIDABLE = {ChecklistStatus.SUBMITTED.value, ChecklistStatus.ESCALATED.value}
STATUS_AFTER = {
    Decision.APPROVE: ChecklistStatus.APPROVED,
    Decision.RETURN: ChecklistStatus.RETURNED,
    Decision.ESCALATE: ChecklistStatus.ESCALATED,
}
DECISION_WORDS = {
    Decision.APPROVE.value: "Approved",
    Decision.RETURN.value: "Returned to the practitioner",
    Decision.ESCALATE.value: "Escalated",
}
PROCEDURE_WORDS = {
    Procedure.CHILD_PROTECTION_REFERRAL.value: "Child protection referral",
    Procedure.STRATEGY_DISCUSSION.value: "Strategy discussion",
    Procedure.ORGANISED_COMPLEX_ABUSE.value: "Organised and complex abuse procedure",
    Procedure.LADO_REFERRAL.value: "Referral to the designated officer (LADO)",
    Procedure.MAPPA_CHECK.value: "MAPPA check",
}
STATUS_WORDS = {
    ChecklistStatus.DRAFT.value: "Not yet submitted",
    ChecklistStatus.SUBMITTED.value: "Awaiting review",
    ChecklistStatus.RETURNED.value: "Returned",
    ChecklistStatus.APPROVED.value: "Approved",
    ChecklistStatus.ESCALATED.value: "Escalated",
}
# Most pressing first; flags are prompts, not scores, so only the order is used.
SEVERITIES = ("urgent", "action", "review")
SEVERITY_WORDS = {"urgent": "Urgent", "action": "Action", "review": "Review"}
OVERDUE_RULE = "overdue-review"
STALE_DRAFT_AGE = timedelta(days=2)
PER_PAGE = 20
SORTS = ("urgency", "oldest", "newest", "visit")


class ReviewForbidden(Exception):
    """Only a team lead may review, and only their own team's checklists."""


class ChecklistNotFound(Exception):
    pass


class DecisionRefused(Exception):
    """The decision cannot be taken as asked; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class CommentRequired(DecisionRefused):
    def __init__(self):
        super().__init__("Say what the practitioner needs to change.", "comment")


class ProcedureRequired(DecisionRefused):
    def __init__(self):
        super().__init__("Choose the procedure you are starting.", "procedure")


class NotAwaitingDecision(DecisionRefused):
    def __init__(self, status: str):
        super().__init__(f"This checklist is {STATUS_WORDS.get(status, status).lower()}: "
                         "there is no decision to take on it now.")


class ChecklistChanged(DecisionRefused):
    """The checklist changed since the lead opened it (resubmitted, or decided by another)."""

    def __init__(self):
        super().__init__("The checklist changed since you opened it. Read it again, then "
                         "decide.")


def _require_lead(user: User) -> None:
    if user.role != Role.TEAM_LEAD:
        raise ReviewForbidden()


def _with_flags_evaluated(session: DbSession, *, lead: User, keyring: Keyring) -> None:
    """A lead never sees a submission before the server's rules have run over it:
    any the push could not evaluate (the request died after its commit) are done now."""
    flags.evaluate_due_flags(session, team_id=lead.team_id, keyring=keyring)


# --- flags and working days ---------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    rule: str
    severity: str
    action: str = ""
    # Who and why, with names (stored encrypted; rules.service.stored_flags_of): only
    # where a lead reads one checklist's flags, never in the queue's counts.
    reason: str = ""
    subject: str | None = None
    # What answers it (followup.trail.FlagAnswer), on the lead's checklist page only.
    answer: Any = None

    @property
    def severity_words(self) -> str:
        return SEVERITY_WORDS.get(self.severity, self.severity.capitalize())

    @property
    def rule_words(self) -> str:
        return self.rule.replace("-", " ").capitalize()


def _severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def flags_of(checklist: Checklist) -> list[Flag]:
    """The flags the server's rules raised at the last change, most pressing first."""
    try:
        raw = json.loads(checklist.flag_summary or "[]")
    except ValueError:
        raw = []
    flags = {Flag(str(f["rule"]), str(f.get("severity", "review")))
             for f in raw if isinstance(f, dict) and "rule" in f}
    return sorted(flags, key=lambda f: (_severity_rank(f.severity), f.rule))


def flags_with_reasons(session: DbSession, checklists_: list[Checklist], *, keyring: Keyring
                       ) -> dict[str, list[Flag]]:
    """Each checklist's stored flags, one per rule and subject (two children, two
    lines), with the reason naming them; most pressing first, in the rules' order
    within a severity."""
    stored = flags.stored_flags_of(session, checklists_, keyring=keyring)
    return {uuid: sorted((Flag(str(f["rule"]), str(f["severity"]), str(f.get("action") or ""),
                               str(f.get("reason") or ""), f.get("subject"))
                          for f in raised), key=lambda f: _severity_rank(f.severity))
            for uuid, raised in stored.items()}


def is_overdue(checklist: Checklist, *, now: datetime) -> bool:
    """`overdue-review`, as the checklist's template's own rule says (rules/overdue.py)."""
    session = object_session(checklist)
    assert session is not None  # noqa: S101 - a queued checklist was loaded by a session
    return overdue.is_overdue(session, checklist, now=now)


def age_words(since: datetime | None, *, now: datetime) -> str:
    if since is None:
        return "not given"
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if seconds < 86400:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''}"


# --- the queue ------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    flag: str = ""
    severity: str = ""
    practitioner: str = ""  # user public id
    household: str = ""  # household public id
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "urgency"
    page: int = 1


@dataclass(frozen=True)
class QueueRow:
    id: str
    practitioner: str
    household: str
    visit_at: str | None
    status: str
    status_words: str
    submitted_at: datetime | None
    age: str
    flags: list[Flag]
    overdue: bool
    kind: str = ""  # the template's title: "Home visit", "Child observation"


@dataclass(frozen=True)
class DraftRow:
    """A draft, shown only as "not yet submitted": never its content."""

    practitioner: str
    household: str
    started: datetime
    age: str


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class QueueChoices:
    practitioners: list[Choice]
    households: list[Choice]
    flags: list[Choice]


@dataclass
class QueuePage:
    rows: list[QueueRow]
    overdue: list[QueueRow]
    stale_drafts: list[DraftRow]
    flag_counts: list[tuple[Flag, int]]
    total: int
    page: int
    pages: int
    filters: QueueFilters = field(default_factory=QueueFilters)


class _Addresses:
    """Household addresses decrypted once per request, only for the lead's own team."""

    def __init__(self, keyring: Keyring):
        self.keyring = keyring
        self.cache: dict[int, str] = {}

    def __call__(self, household: Household) -> str:
        if household.id not in self.cache:
            self.cache[household.id] = people.household_address(household, keyring=self.keyring)
        return self.cache[household.id]


def queue_choices(session: DbSession, *, lead: User, keyring: Keyring) -> QueueChoices:
    """What the queue's filters offer: the team's practitioners and households, and flags."""
    _require_lead(lead)
    _with_flags_evaluated(session, lead=lead, keyring=keyring)
    practitioners = session.scalars(
        select(User).where(User.team_id == lead.team_id,
                           User.role.in_([Role.HEALTH_VISITOR.value, Role.SCHOOL_NURSE.value]))
        .order_by(User.name)).all()
    households = session.scalars(
        select(Household).where(Household.team_id == lead.team_id,
                                Household.id.in_(select(Checklist.household_id)))
        .order_by(Household.id)).all()
    address = _Addresses(keyring)
    rules: set[str] = {OVERDUE_RULE, *session.scalars(
        select(ChecklistFlag.rule).distinct()
        .join(Checklist, Checklist.id == ChecklistFlag.checklist_id)
        .where(Checklist.team_id == lead.team_id))}
    return QueueChoices(
        practitioners=[Choice(u.uuid, u.name) for u in practitioners],
        households=sorted((Choice(h.uuid, address(h)) for h in households),
                          key=lambda c: c.label),
        flags=[Choice(r, r.replace("-", " ").capitalize()) for r in sorted(rules)],
    )


def _row(checklist: Checklist, *, now: datetime, address: _Addresses,
         reasons: dict[str, list[Flag]] | None = None, overdue: bool) -> QueueRow:
    flags = (reasons or {}).get(checklist.uuid) or flags_of(checklist)
    # Overdue as asked now, not as the last evaluation stored it.
    flags = [f for f in flags if f.rule != OVERDUE_RULE]
    if overdue:
        flags = [Flag(OVERDUE_RULE, "urgent"), *flags]
    return QueueRow(
        id=checklist.uuid,
        kind=_title(checklist),
        practitioner=checklist.author.name,
        household=address(checklist.household),
        visit_at=checklist.visit_at,
        status=checklist.status,
        status_words=STATUS_WORDS.get(checklist.status, checklist.status),
        submitted_at=checklist.submitted_at,
        age=age_words(checklist.submitted_at, now=now),
        flags=flags,
        overdue=overdue,
    )


def _title(checklist: Checklist) -> str:
    """The checklist's kind in words: its template's title (one place for it)."""
    session = object_session(checklist)
    if session is None:  # not loaded from a session: nothing to read the template from
        return checklist.template
    definition = checklists.loaded_template(session, template=checklist.template,
                                            version=checklist.template_version).definition
    return str(definition.get("title") or checklist.template)


def _scope(lead: User, filters: QueueFilters) -> list[Any]:
    """Status, practitioner, household and visit dates, as SQL: what flag counts are
    taken over (the team's reviewable checklists only)."""
    where: list[Any] = [Checklist.team_id == lead.team_id, Checklist.status.in_(REVIEWABLE)]
    if filters.status:
        where.append(Checklist.status == filters.status)
    if filters.practitioner:
        where.append(Checklist.author_id == select(User.id).where(
            User.uuid == filters.practitioner).scalar_subquery())
    if filters.household:
        where.append(Checklist.household_id == select(Household.id).where(
            Household.uuid == filters.household).scalar_subquery())
    # The visit's day is the first ten characters of its ISO time; none matches no range.
    visit_day = func.substr(Checklist.visit_at, 1, 10)
    if filters.date_from:
        where.append(visit_day >= filters.date_from.isoformat())
    if filters.date_to:
        where.append(visit_day <= filters.date_to.isoformat())
    return where


def _has_flag(*, rule: str | None = None, severity: str | None = None) -> Any:
    """A stored flag of this rule or severity on the checklist. A stored `overdue-review`
    does not count: whether a checklist is overdue is asked now (_overdue_now), since
    the stored one is only as fresh as the last `flags refresh`."""
    where = [ChecklistFlag.checklist_id == Checklist.id, ChecklistFlag.rule != OVERDUE_RULE]
    if rule is not None:
        where.append(ChecklistFlag.rule == rule)
    if severity is not None:
        where.append(ChecklistFlag.severity == severity)
    return exists().where(*where)


def _overdue_now(session: DbSession, *, lead: User, now: datetime) -> list[Checklist]:
    """The team's overdue checklists, most overdue first, asked of the template's rule
    now. Only a submitted checklist with an urgent stored flag can be overdue (the rule
    asks for both), so the rule runs over those alone: what it costs grows with the
    checklists every lead must see at the top, not with the team's history."""
    candidates = session.scalars(
        select(Checklist).options(joinedload(Checklist.author), joinedload(Checklist.household))
        .where(Checklist.team_id == lead.team_id,
               Checklist.status == ChecklistStatus.SUBMITTED.value,
               Checklist.flag_summary.like('%"urgent"%'))
        .order_by(Checklist.submitted_at, Checklist.id)).all()
    return [c for c in candidates if is_overdue(c, now=now)]


def _order(sort: str, overdue_ids: list[int]) -> list[Any]:
    """The queue's orders in SQL; ties in the order of submission (then row id)."""
    if sort == "oldest":
        return [Checklist.submitted_at.asc().nulls_last(), Checklist.id]
    if sort == "newest":
        return [Checklist.submitted_at.desc().nulls_last(), Checklist.id]
    if sort == "visit":
        return [Checklist.visit_at.desc().nulls_last(), Checklist.id]
    # Urgency: overdue first, then those awaiting a decision, then the most pressing
    # flag, then the longest waiting.
    return [case((Checklist.id.in_(overdue_ids or [-1]), 0), else_=1),
            case((Checklist.status.in_(sorted(DECIDABLE)), 0), else_=1),
            Checklist.flag_rank, Checklist.submitted_at.asc().nulls_last(), Checklist.id]


def _flag_counts(session: DbSession, *, scope: list[Any], overdue: int
                 ) -> list[tuple[Flag, int]]:
    """How many checklists in scope carry each flag (one per checklist however many
    subjects), counted by the database; `overdue-review` as asked now."""
    counts: dict[Flag, int] = {} if not overdue else {Flag(OVERDUE_RULE, "urgent"): overdue}
    for rule, severity, count in session.execute(
            select(ChecklistFlag.rule, ChecklistFlag.severity,
                   func.count(distinct(ChecklistFlag.checklist_id)))
            .join(Checklist, Checklist.id == ChecklistFlag.checklist_id)
            .where(*scope, ChecklistFlag.rule != OVERDUE_RULE)
            .group_by(ChecklistFlag.rule, ChecklistFlag.severity)):
        counts[Flag(str(rule), str(severity))] = int(count)
    return sorted(counts.items(), key=lambda kv: (_severity_rank(kv[0].severity), kv[0].rule))


def team_queue(session: DbSession, *, lead: User, keyring: Keyring,
               filters: QueueFilters | None = None, now: datetime | None = None,
               per_page: int = PER_PAGE) -> QueuePage:
    """The team's checklists awaiting or past review, filtered, sorted and in pages; the
    overdue ones apart at the top; drafts older than two days apart, as "not yet
    submitted" only.

    The database filters, counts, sorts and pages; only the shown page's rows (and the
    overdue ones) are read in full and decrypted. The number of queries is the same
    whatever the page size or the team's history (tests/api/test_query_counts.py)."""
    _require_lead(lead)
    _with_flags_evaluated(session, lead=lead, keyring=keyring)
    filters = filters or QueueFilters()
    now = now or utcnow()
    address = _Addresses(keyring)
    overdue_list = _overdue_now(session, lead=lead, now=now)
    overdue_ids = [c.id for c in overdue_list]
    scope = _scope(lead, filters)
    in_scope = set(session.scalars(select(Checklist.id).where(
        *scope, Checklist.id.in_(overdue_ids or [-1]))))
    flag_counts = _flag_counts(session, scope=scope, overdue=len(in_scope))

    where = list(scope)
    if filters.flag == OVERDUE_RULE:
        where.append(Checklist.id.in_(overdue_ids or [-1]))
    elif filters.flag:
        where.append(_has_flag(rule=filters.flag))
    if filters.severity == "urgent":
        where.append(or_(_has_flag(severity="urgent"), Checklist.id.in_(overdue_ids or [-1])))
    elif filters.severity:
        where.append(_has_flag(severity=filters.severity))
    total = session.scalar(select(func.count()).select_from(Checklist).where(*where)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, filters.page), pages)
    # The page's ids in order first (a narrow sort, on indexed columns), then those
    # rows alone in full with their authors and households.
    page_ids = list(session.scalars(
        select(Checklist.id).where(*where).order_by(*_order(filters.sort, overdue_ids))
        .limit(per_page).offset((page - 1) * per_page)))
    loaded = {c.id: c for c in session.scalars(
        select(Checklist).options(joinedload(Checklist.author), joinedload(Checklist.household))
        .where(Checklist.id.in_(page_ids or [-1])))}
    shown = [loaded[i] for i in page_ids]
    # The reasons, which name people, of the rows shown only.
    reasons = flags_with_reasons(session, [*overdue_list, *shown], keyring=keyring)
    overdue_set = set(overdue_ids)
    overdue_rows = [_row(c, now=now, address=address, reasons=reasons, overdue=True)
                    for c in overdue_list]
    rows = [_row(c, now=now, address=address, reasons=reasons, overdue=c.id in overdue_set)
            for c in shown]

    drafts = session.scalars(
        select(Checklist).options(joinedload(Checklist.author), joinedload(Checklist.household))
        .where(Checklist.team_id == lead.team_id,
               Checklist.status == ChecklistStatus.DRAFT,
               Checklist.created_at < now - STALE_DRAFT_AGE)
        .order_by(Checklist.created_at)).all()
    stale = [DraftRow(d.author.name, address(d.household), d.created_at,
                      age_words(d.created_at, now=now)) for d in drafts]

    listed = [*shown, *drafts, *overdue_list]
    audit.record(session, action="review.queue", actor=lead, subjects=[
        audit.subject(kind, public_id) for c in listed
        for kind, public_id in (("checklist", c.uuid), ("household", c.household.uuid))],
        detail={
        "shown": [r.id for r in rows], "overdue": len(overdue_rows), "page": page,
        "filters": {k: v for k, v in {
            "status": filters.status, "flag": filters.flag, "severity": filters.severity,
            "practitioner": filters.practitioner, "household": filters.household,
        }.items() if v}})
    return QueuePage(rows=rows, overdue=overdue_rows, stale_drafts=stale,
                     flag_counts=flag_counts, total=total, page=page, pages=pages,
                     filters=filters)


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


def _team_checklist(session: DbSession, *, lead: User, public_id: str) -> Checklist:
    _require_lead(lead)
    checklist = checklists.checklist_by_public_id(session, public_id)
    if checklist is None or checklist.team_id != lead.team_id:
        raise ChecklistNotFound()  # another team's checklist is not even said to exist
    if checklist.status not in REVIEWABLE:
        raise ChecklistNotFound()  # drafts are the practitioner's until submitted
    return checklist


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
        submitted_at=_iso_utc(checklist.submitted_at))
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


def _iso_utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def residence_words(residence: str) -> str:
    from ..people.network import RESIDENCE_WORDS

    return RESIDENCE_WORDS.get(residence, residence.replace("_", " "))


# --- decisions ------------------------------------------------------------------------------


def decide(
    session: DbSession, *, lead: User, public_id: str, decision: Decision | str,
    keyring: Keyring, comment: str = "", procedure: Procedure | str | None = None,
    supervision_date: date | None = None, expected_rev: int | None = None,
) -> ReviewDecision:
    """Approve, return with a comment, or escalate naming the procedure. Sets the
    checklist's status, bumps its revision and announces it to the author's devices,
    so a returned checklist comes back to the tablet as a task. Flushes, never commits.

    `expected_rev` is the revision the lead read; a checklist changed since is refused.
    """
    # Take the feed's write lock first, as every sync op does, so a resubmission from a
    # device and this decision never both act on the same revision.
    changes.serialise_writers(session)
    checklist = _team_checklist(session, lead=lead, public_id=public_id)
    decision = Decision(decision)
    comment = (comment or "").strip()
    procedure = Procedure(procedure) if procedure else None
    if expected_rev is not None and checklist.rev != expected_rev:
        raise ChecklistChanged()
    if checklist.status not in DECIDABLE:
        raise NotAwaitingDecision(checklist.status)
    if decision == Decision.RETURN and not comment:
        raise CommentRequired()
    if decision == Decision.ESCALATE and procedure is None:
        raise ProcedureRequired()
    if decision != Decision.ESCALATE:
        procedure = None

    now = utcnow()
    checklist.status = STATUS_AFTER[decision].value
    checklist.rev += 1
    checklist.updated_at = now
    row = ReviewDecision(uuid=new_uuid(), checklist_id=checklist.id, lead_id=lead.id,
                         decision=decision.value,
                         procedure=procedure.value if procedure else None,
                         supervision_date=supervision_date, checklist_rev=checklist.rev,
                         decided_at=now)
    encrypt_fields(row, {"comment": comment}, keyring=keyring)
    session.add(row)
    session.flush()
    changes.record(session, type="checklist", entity_id=checklist.uuid, rev=checklist.rev,
                   user_id=checklist.author_id)
    # A decision is a fact the household's other open checklists read (overdue-review).
    flags.mark_due(session, household_ids=[checklist.household_id])
    audit.record(session, action=f"review.{decision.value}", actor=lead,
                 object_type="checklist", object_id=checklist.uuid,
                 detail={"rev": checklist.rev, "procedure": row.procedure,
                         "supervision_date": supervision_date.isoformat()
                         if supervision_date else None})
    return row


def latest_decision(session: DbSession, checklist: Checklist) -> ReviewDecision | None:
    return session.scalars(select(ReviewDecision).where(
        ReviewDecision.checklist_id == checklist.id)
        .order_by(ReviewDecision.decided_at.desc(), ReviewDecision.id.desc())).first()


def decision_view(checklist: Checklist, *, keyring: Keyring) -> dict[str, Any] | None:
    """The latest decision as the author's device receives it (the `review` key of the
    pull's checklist data), or None before any."""
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


def escalation_candidates(session: DbSession, *, lead: User, household_ids: list[str],
                          keyring: Keyring) -> list[Choice]:
    """Checklists awaiting a decision for any of these households: what an escalation
    from the family map can be recorded on."""
    _require_lead(lead)
    if not household_ids:
        return []
    rows = session.scalars(
        select(Checklist).join(Household, Household.id == Checklist.household_id)
        .where(Checklist.team_id == lead.team_id, Household.uuid.in_(household_ids),
               Checklist.status.in_(DECIDABLE))
        .order_by(Checklist.submitted_at.desc())).all()
    address = _Addresses(keyring)
    return [Choice(c.uuid, f"{address(c.household)}: visit {when_words(c.visit_at)}, "
                           f"{c.author.name}") for c in rows]
