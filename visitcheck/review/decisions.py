"""The lead's decisions on a checklist of their team (S9): approve, return with a
comment, escalate naming the procedure; and what the author's device receives of them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..audit import service as audit
from ..auth.models import Role, User
from ..auth.roles import require_role
from ..checklists import service as checklists
from ..checklists.models import Checklist, ChecklistStatus
from ..checklists.service import (  # noqa: F401 - review's callers import them here
    decision_row_view,
    decision_view,
    latest_decision,
)
from ..database import DbSession, new_uuid, utcnow
from ..feed import service as changes
from ..keys import Keyring, encrypt_fields
from ..people.models import Household
from ..rules import service as flags
from ..uk_time import when_words
from .models import Decision, Procedure, ReviewDecision
from .words import (
    STATUS_WORDS,
    Choice,
    _Addresses,
)

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
    require_role(user, Role.TEAM_LEAD, error=ReviewForbidden)


def _team_checklist(session: DbSession, *, lead: User, public_id: str) -> Checklist:
    _require_lead(lead)
    checklist = checklists.checklist_by_public_id(session, public_id)
    if checklist is None or checklist.team_id != lead.team_id:
        raise ChecklistNotFound()  # another team's checklist is not even said to exist
    if checklist.status not in REVIEWABLE:
        raise ChecklistNotFound()  # drafts are the practitioner's until submitted
    return checklist


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
    changes.serialise_writers(session, team_ids=[lead.team_id])
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
    changes.record(session, team_id=checklist.team_id, type="checklist",
                   entity_id=checklist.uuid, rev=checklist.rev, user_id=checklist.author_id)
    # A decision is a fact the household's other open checklists read (overdue-review).
    flags.mark_due(session, household_ids=[checklist.household_id])
    audit.record(session, action=f"review.{decision.value}", actor=lead,
                 object_type="checklist", object_id=checklist.uuid,
                 detail={"rev": checklist.rev, "procedure": row.procedure,
                         "supervision_date": supervision_date.isoformat()
                         if supervision_date else None})
    return row


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

