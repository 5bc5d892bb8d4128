"""The lead's queue (S9): the team's checklists awaiting or past review, filtered,
counted, sorted and paged by the database; overdue ones apart at the top.
docs/review-and-sharing.md and docs/performance.md say how (migration 0027)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, distinct, exists, false, func, literal, or_, select
from sqlalchemy.orm import joinedload, object_session

from ..audit import service as audit
from ..auth.models import Role, User
from ..checklists import service as checklists
from ..checklists.models import Checklist, ChecklistStatus
from ..database import DbSession, utcnow
from ..keys import Keyring
from ..people.models import Household
from ..rules import overdue
from ..rules import service as flags
from ..rules.models import ChecklistFlag
from .decisions import (
    REVIEWABLE,
    _require_lead,
)
from .models import QueueCount
from .words import (
    STATUS_WORDS,
    Choice,
    Flag,
    _Addresses,
    _severity_rank,
    age_words,
    flags_of,
    flags_with_reasons,
)

OVERDUE_RULE = "overdue-review"
STALE_DRAFT_AGE = timedelta(days=2)
PER_PAGE = 20
SORTS = ("urgency", "oldest", "newest", "visit")


def _with_flags_evaluated(session: DbSession, *, lead: User, keyring: Keyring) -> None:
    """A lead never sees a submission before the server's rules have run over it:
    any the push could not evaluate (the request died after its commit) are done now."""
    flags.evaluate_due_flags(session, team_id=lead.team_id, keyring=keyring)


def is_overdue(checklist: Checklist, *, now: datetime) -> bool:
    """`overdue-review`, as the checklist's template's own rule says (rules/overdue.py)."""
    session = object_session(checklist)
    assert session is not None  # noqa: S101 - a queued checklist was loaded by a session
    return overdue.is_overdue(session, checklist, now=now)


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
    # The rules of the team's stored flags, from the counters (any status).
    rules: set[str] = {OVERDUE_RULE, *session.scalars(
        select(QueueCount.rule).distinct()
        .where(QueueCount.team_id == lead.team_id, QueueCount.rule.not_in(["", "*"]),
               QueueCount.checklists > 0))}
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
    # Reviewable is what queue_rank is set for: the index the queue's order reads.
    where: list[Any] = [Checklist.team_id == lead.team_id, Checklist.queue_rank.is_not(None)]
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
               # awaiting, an urgent stored flag, a time of submission: off the index
               Checklist.queue_rank == 0,
               Checklist.status == ChecklistStatus.SUBMITTED.value)
        .order_by(Checklist.submitted_at, Checklist.id)).all()
    return [c for c in candidates if is_overdue(c, now=now)]


def _order(sort: str) -> list[Any]:
    """The queue's orders in SQL; ties in the order of submission (then row id). The
    overdue ones come before all others in the urgency order: team_queue puts them
    there itself, so the rest is read in the order of an index."""
    if sort == "oldest":
        return [Checklist.submitted_at.asc().nulls_last(), Checklist.id]
    if sort == "newest":
        return [Checklist.submitted_at.desc().nulls_last(), Checklist.id]
    if sort == "visit":
        return [Checklist.visit_at.desc().nulls_last(), Checklist.id]
    # Urgency: those awaiting a decision, then the most pressing flag, then the longest
    # waiting: `queue_rank` (computed by the database) and the index on the team's
    # (queue_rank, submitted_at, id).
    return [Checklist.queue_rank, Checklist.submitted_at, Checklist.id]


def _ranks_for(severity: str) -> list[Any]:
    """A stored flag of this severity means a flag_rank at least as pressing: the
    queue_rank values that allows, so the index read seeks to them rather than walking
    past every checklist with milder flags (rules.service.rank; QUEUE_RANK_SQL)."""
    ceiling = flags.SEVERITY_RANK.get(severity)
    if ceiling is None:
        return []
    return [Checklist.queue_rank.in_([awaiting + rank * 2 + missing for awaiting in (0, 8)
                                      for rank in range(ceiling + 1) for missing in (0, 1)])]


def _read_off_flags(filters: QueueFilters) -> bool:
    """A stored flag, or a severity, is the only filter: its page is read off the flags'
    own index (`ix_checklist_flags_queue_order` or `..._severity_order`). With a status
    as well it is not: the flags carry `queue_rank`, but a status is not a range of it
    (submitted and escalated share the awaiting ranks, QUEUE_RANK_SQL)."""
    one = bool(filters.flag and filters.flag != OVERDUE_RULE) != bool(filters.severity)
    return one and not (filters.flag == OVERDUE_RULE or filters.status
                        or filters.practitioner or filters.household
                        or filters.date_from or filters.date_to)


def _flagged_in_order(session: DbSession, *, lead: User, filters: QueueFilters,
                      leave_out: list[int], limit: int, offset: int) -> list[int]:
    """A page of the team's reviewable checklists carrying a stored flag of the filter's
    rule, or of its severity, in the urgency order, read off an index that leads with the
    rule (`ix_checklist_flags_queue_order`) or the severity (`..._severity_order`): each
    flag carries its checklist's place in the order (migration 0029). Walking the
    checklists' order and probing each one's flags instead costs as many probes as there
    are checklists before the first match: 40,000 for a flag only approved checklists
    carry, all the awaiting ones for urgent (docs/performance.md). One row per
    checklist, however many of its flags match."""
    if filters.severity:
        # Written as a literal, as the partial index's own WHERE is: a bound parameter
        # would not prove to the planner that the query reads only the index's rows.
        match = [ChecklistFlag.severity == filters.severity,
                 ChecklistFlag.rule != literal(OVERDUE_RULE, literal_execute=True)]
    else:
        match = [ChecklistFlag.rule == filters.flag]
    order = [ChecklistFlag.queue_rank, ChecklistFlag.submitted_at, ChecklistFlag.checklist_id]
    return [row.checklist_id for row in session.execute(
        select(*order).distinct()
        .where(ChecklistFlag.team_id == lead.team_id, *match,
               ChecklistFlag.queue_rank.is_not(None),
               ChecklistFlag.checklist_id.not_in(leave_out or [-1]))
        .order_by(*order).limit(limit).offset(offset))]


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


# --- the counts, from the counters the database keeps (review/models.py QueueCount) ------

_Counted = dict[tuple[str, str], int]


def _counted(session: DbSession, *, lead: User, filters: QueueFilters) -> _Counted | None:
    """The team's counters over the statuses in scope, summed: (rule, severity) ->
    checklists. None when a filter narrows the scope in a way they do not hold (a
    practitioner, a household, visit dates), or asks both a flag and a severity."""
    if (filters.practitioner or filters.household or filters.date_from or filters.date_to
            or (filters.flag and filters.flag != OVERDUE_RULE and filters.severity)):
        return None
    statuses = [s.value for s in REVIEWABLE]
    if filters.status:
        statuses = [s for s in statuses if s == filters.status]
    return {(str(rule), str(severity)): int(count or 0) for rule, severity, count in
            session.execute(select(QueueCount.rule, QueueCount.severity,
                                   func.sum(QueueCount.checklists))
                            .where(QueueCount.team_id == lead.team_id,
                                   QueueCount.status.in_(statuses or ["-"]))
                            .group_by(QueueCount.rule, QueueCount.severity))}


def _kept_flag_counts(counted: _Counted, *, overdue: int) -> list[tuple[Flag, int]]:
    """As _flag_counts counts them, from the counters."""
    counts: dict[Flag, int] = {} if not overdue else {Flag(OVERDUE_RULE, "urgent"): overdue}
    for (rule, severity), count in counted.items():
        if count > 0 and rule not in ("", "*") and severity != "*":
            counts[Flag(rule, severity)] = count
    return sorted(counts.items(), key=lambda kv: (_severity_rank(kv[0].severity), kv[0].rule))


def _stored_urgent(checklist: Checklist) -> bool:
    """An urgent stored flag other than `overdue-review`, as the counters count them."""
    return any(f.severity == "urgent" and f.rule != OVERDUE_RULE
               for f in flags_of(checklist))


def _kept_total(counted: _Counted, *, filters: QueueFilters,
                ahead: list[Checklist]) -> int:
    """How many checklists the filters keep, from the counters; `ahead` are the
    overdue ones they keep (asked now, so not among the counters)."""
    if filters.flag == OVERDUE_RULE:
        return len(ahead)
    if filters.flag:
        return counted.get((filters.flag, "*"), 0)
    if filters.severity == "urgent":
        return counted.get(("*", "urgent"), 0) + sum(not _stored_urgent(c) for c in ahead)
    if filters.severity:
        return counted.get(("*", filters.severity), 0)
    return counted.get(("", ""), 0)


def team_queue(session: DbSession, *, lead: User, keyring: Keyring,
               filters: QueueFilters | None = None, now: datetime | None = None,
               per_page: int = PER_PAGE) -> QueuePage:
    """The team's checklists awaiting or past review, filtered, sorted and in pages; the
    overdue ones apart at the top; drafts older than two days apart, as "not yet
    submitted" only.

    The database filters, sorts and pages off an index (`queue_rank`), and keeps the
    counts (`queue_counts`, by triggers); only the shown page's rows (and the overdue
    ones) are read in full and decrypted. The number of queries is the same
    whatever the page size or the team's history (tests/api/test_query_counts.py)."""
    _require_lead(lead)
    _with_flags_evaluated(session, lead=lead, keyring=keyring)
    filters = filters or QueueFilters()
    now = now or utcnow()
    address = _Addresses(keyring)
    overdue_list = _overdue_now(session, lead=lead, now=now)
    overdue_ids = [c.id for c in overdue_list]
    scope = _scope(lead, filters)
    extra: list[Any] = []  # the flag and severity filters, beyond the scope
    # The same for the checklists that are not overdue: what the index read asks.
    stored: list[Any] = []
    if filters.flag == OVERDUE_RULE:
        extra.append(Checklist.id.in_(overdue_ids or [-1]))
        stored.append(false())
    elif filters.flag:
        extra.append(_has_flag(rule=filters.flag))
        stored.append(_has_flag(rule=filters.flag))
    if filters.severity == "urgent":
        extra.append(or_(_has_flag(severity="urgent"), Checklist.id.in_(overdue_ids or [-1])))
    elif filters.severity:
        extra.append(_has_flag(severity=filters.severity))
    if filters.severity:
        stored += [_has_flag(severity=filters.severity), *_ranks_for(filters.severity)]
    where = [*scope, *extra]
    # The overdue ones in scope, and which of them the filters keep: one query.
    overdue_in_scope: dict[int, int] = dict(session.execute(
        select(Checklist.id, case((and_(*extra), 1), else_=0) if extra else literal(1))
        .where(*scope, Checklist.id.in_(overdue_ids or [-1]))).all())
    ahead = [c for c in overdue_list if overdue_in_scope.get(c.id)]
    counted = _counted(session, lead=lead, filters=filters)
    if counted is None:  # filters the counters do not hold: the database counts
        flag_counts = _flag_counts(session, scope=scope, overdue=len(overdue_in_scope))
        total = session.scalar(select(func.count()).select_from(Checklist)
                               .where(*where)) or 0
    else:
        flag_counts = _kept_flag_counts(counted, overdue=len(overdue_in_scope))
        total = _kept_total(counted, filters=filters, ahead=ahead)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, filters.page), pages)
    start = (page - 1) * per_page
    # The page's ids in order first (read off an index), then those rows alone in full
    # with their authors and households. In the urgency order the overdue ones that
    # match come first (most overdue first): they are known, so the page takes its share
    # of them here and the rest from the database, after skipping what they filled.
    by_urgency = filters.sort not in SORTS or filters.sort == "urgency"
    if not by_urgency:
        first: list[int] = []
        rest_where, skip = where, start
    else:
        ahead_ids = [c.id for c in ahead]
        first = ahead_ids[start:start + per_page]
        # Every overdue one in scope that the filters keep is ahead: the rest are
        # not overdue, so what they must match is the stored flags alone (no OR with
        # the overdue ids, which would keep the database from probing the flags).
        rest_where = [*scope, *stored, Checklist.id.not_in(ahead_ids or [-1])]
        skip = max(0, start - len(ahead_ids))
    # The total is exact, so the read asks for no more rows than are left after `skip`:
    # the database stops at the last match rather than walking the rest of the order to
    # prove there is no other, and when none is left (a flag no checklist of that status
    # carries) there is nothing to read.
    in_database = total - (len(ahead) if by_urgency else 0)  # what the read can return
    wanted = min(per_page - len(first), in_database - skip)
    if wanted <= 0:
        page_ids = first
    elif by_urgency and _read_off_flags(filters):
        page_ids = first + _flagged_in_order(session, lead=lead, filters=filters,
                                             leave_out=ahead_ids, limit=wanted, offset=skip)
    else:
        page_ids = first + list(session.scalars(
            select(Checklist.id).where(*rest_where).order_by(*_order(filters.sort))
            .limit(wanted).offset(skip)))
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


