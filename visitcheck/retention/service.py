"""Retention (DOMAIN.md, data protection): children's records are kept until the
child's 25th birthday, the 26th when the child was 17 at the end of care, and then
purged with everything that exists only because of them; a legal hold stops it.

How the dates are read (docs/data-protection.md):
- the date of birth, else an estimated age, which counts from the day it was
  recorded (`estimated_age_on`, kept by put_person; for older records the
  record's last update, never earlier than the estimate);
- the end of care is the person's `care_ended_on` field (ISO date, optional);
- a child with neither a date of birth nor an estimate is reported, and kept.

A purge takes the feed's write lock first, so two purges on two hosts (or a purge
and a push) never interleave, and devices learn of each deletion from their next
pull (a change whose data is {"id", "deleted": true}).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Column, Table, delete, func, or_, select, tuple_

from ..audit import service as audit
from ..auth.models import Team, User
from ..checklists.models import Checklist
from ..database import Base, DbSession, utcnow
from ..feed import service as changes
from ..feed.models import Change
from ..keys import Keyring, decrypt_fields, encrypt_fields
from ..people.models import CaseloadAssignment, Concern, Household, HouseholdMember, Person
from ..review.models import ReviewDecision
from ..sharing.models import Alert
from ..sync.models import SyncConflict, SyncOp
from .models import LegalHold, RetentionReport

RETENTION_YEARS = 25
# A child 17 at the end of care is kept a year longer (NHS Records Management Code).
CARE_LEAVER_AGE = 17
CARE_LEAVER_YEARS = 26
HOLD_SUBJECTS = ("household", "person")


class HoldError(Exception):
    """A hold names nothing we hold, or cannot be released."""


# --- dates -----------------------------------------------------------------------


def anniversary(born: date, years: int) -> date:
    """The date `years` after `born`; 29 February falls on 1 March in other years
    (the later day: nothing is purged early)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def birth_date(fields: dict[str, Any], *, recorded_on: date) -> date | None:
    """The date of birth, else the one an estimated age implies on the day it was
    recorded; None when neither is known."""
    born = _date(fields.get("date_of_birth"))
    if born:
        return born
    age = fields.get("estimated_age")
    if isinstance(age, int) and not isinstance(age, bool) and age >= 0:
        # The day the estimate was made (put_person records it); for an older record
        # without it, the record's last update, which is never earlier.
        on = _date(fields.get("estimated_age_on")) or recorded_on
        return anniversary(on, -age) if age else on
    return None


def retention_ends(fields: dict[str, Any], *, recorded_on: date) -> date | None:
    born = birth_date(fields, recorded_on=recorded_on)
    if born is None:
        return None
    care_ended = _date(fields.get("care_ended_on"))
    years = (CARE_LEAVER_YEARS if care_ended and age_on(born, care_ended) == CARE_LEAVER_AGE
             else RETENTION_YEARS)
    return anniversary(born, years)


# --- holds -----------------------------------------------------------------------


def active_holds(session: DbSession) -> list[LegalHold]:
    return list(session.scalars(select(LegalHold).where(LegalHold.released_at.is_(None))
                                .order_by(LegalHold.placed_at, LegalHold.id)))


def all_holds(session: DbSession) -> list[LegalHold]:
    return list(session.scalars(select(LegalHold).order_by(LegalHold.placed_at, LegalHold.id)))


def place_hold(session: DbSession, *, subject_type: str, subject_id: str, reason: str,
               placed_by: str, actor: Any = None, team_id: int | None = None) -> LegalHold:
    """`team_id`: where an administrator places it, the subject must be their team's."""
    if subject_type not in HOLD_SUBJECTS:
        raise HoldError(f"a hold is on a household or a person, not {subject_type!r}")
    if not reason.strip():
        raise HoldError("give the reason for the hold (the order or inquiry)")
    model = Household if subject_type == "household" else Person
    query = select(model.id).where(model.uuid == subject_id)
    if team_id is not None:
        query = query.where(model.team_id == team_id)
    team = session.scalar(query.with_only_columns(model.team_id))
    if team is None:
        raise HoldError(f"no {subject_type} {subject_id}")
    # A purge (which locks every team's feed) running now sees the hold, or ran first.
    changes.serialise_writers(session, team_ids=[team])
    hold = LegalHold(subject_type=subject_type, subject_id=subject_id, reason=reason.strip(),
                     placed_by=placed_by)
    session.add(hold)
    session.flush()
    audit.record(session, action="retention.hold_place", actor=actor,
                 actor_username=placed_by, object_type=subject_type, object_id=subject_id,
                 detail={"hold": hold.uuid, "reason": hold.reason})
    return hold


def release_hold(session: DbSession, *, hold_id: str, reason: str, released_by: str,
                 actor: Any = None) -> LegalHold:
    hold = session.scalars(select(LegalHold).where(LegalHold.uuid == hold_id)).first()
    if hold is None:
        raise HoldError(f"no hold {hold_id}")
    if hold.released_at is not None:
        raise HoldError(f"hold {hold_id} was released already")
    if not reason.strip():
        raise HoldError("give the reason for releasing the hold")
    hold.released_at = utcnow()
    hold.released_by = released_by
    hold.release_reason = reason.strip()
    session.flush()
    audit.record(session, action="retention.hold_release", actor=actor,
                 actor_username=released_by, object_type=hold.subject_type,
                 object_id=hold.subject_id, detail={"hold": hold.uuid, "reason": reason.strip()})
    return hold


# --- the purge ---------------------------------------------------------------------


@dataclass
class PurgeReport:
    as_of: date
    dry_run: bool
    children_due: list[str] = field(default_factory=list)
    kept_under_hold: list[str] = field(default_factory=list)
    undetermined: list[str] = field(default_factory=list)
    deleted: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    # Concerns kept whose recorded contact with a purged child was removed, and persons
    # kept whose details about a purged child were.
    trimmed: list[str] = field(default_factory=list)
    trimmed_persons: list[str] = field(default_factory=list)
    report_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "dry_run": self.dry_run,
                "children_due": self.children_due, "kept_under_hold": self.kept_under_hold,
                "undetermined": self.undetermined, "deleted": self.deleted,
                "counts": self.counts, "concerns_trimmed": self.trimmed,
                "persons_trimmed": self.trimmed_persons}

    def lines(self) -> list[str]:
        head = "Dry run: nothing deleted." if self.dry_run else f"Report {self.report_id}."
        out = [f"Retention purge as of {self.as_of.isoformat()}. {head}",
               f"Children past retention: {len(self.children_due)}"]
        out += [f"  {i}" for i in self.children_due]
        out.append(f"Past retention but kept under a legal hold: {len(self.kept_under_hold)}")
        out += [f"  {i}" for i in self.kept_under_hold]
        out.append(f"Children with no date of birth or estimated age (kept; record one): "
                   f"{len(self.undetermined)}")
        out += [f"  {i}" for i in self.undetermined]
        out.append("Rows deleted:" if not self.dry_run else "Rows that would be deleted:")
        for table, count in self.counts.items():
            out.append(f"  {table:22} {count}")
            out += [f"    {i}" for i in self.deleted.get(table, [])]
        out.append(f"Concerns kept, their contact with a purged child removed: "
                   f"{len(self.trimmed)}")
        out += [f"  {i}" for i in self.trimmed]
        out.append(f"Persons kept, their details about a purged child removed: "
                   f"{len(self.trimmed_persons)}")
        out += [f"  {i}" for i in self.trimmed_persons]
        return out


@dataclass
class _Plan:
    persons: dict[int, Person] = field(default_factory=dict)
    households: dict[int, Household] = field(default_factory=dict)
    memberships: list[HouseholdMember] = field(default_factory=list)
    concerns: dict[int, Concern] = field(default_factory=dict)
    checklists: dict[int, Checklist] = field(default_factory=dict)
    decisions: list[ReviewDecision] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    caseloads: list[CaseloadAssignment] = field(default_factory=list)
    # Concerns that stay but record contact with a child who goes: that contact goes.
    trimmed: list[Concern] = field(default_factory=list)
    # Persons who stay but whose per-child details name a child who goes: those rows go.
    trimmed_persons: list[Person] = field(default_factory=list)


def _child_rows(fields: dict[str, Any]) -> set[str]:
    """The children a person's per-child details (relationship, responsibility) name."""
    return {str(row["child_id"]) for row in fields.get("children") or []
            if isinstance(row, dict) and isinstance(row.get("child_id"), str)}


def _held(session: DbSession) -> tuple[set[str], set[str]]:
    """Public ids of held persons (including everyone in a held household) and of
    held households (including every household of a held child: what it needs)."""
    persons: set[str] = set()
    households: set[str] = set()
    for hold in active_holds(session):
        (households if hold.subject_type == "household" else persons).add(hold.subject_id)
    persons |= set(session.scalars(
        select(Person.uuid).join(HouseholdMember, HouseholdMember.person_id == Person.id)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(Household.uuid.in_(households))))
    return persons, households


def _plan(session: DbSession, *, today: date, keyring: Keyring, report: PurgeReport) -> _Plan:
    held_persons, held_households = _held(session)
    everyone = {p.id: p for p in session.scalars(select(Person).order_by(Person.id))}
    fields = {pid: decrypt_fields(p, keyring=keyring) for pid, p in everyone.items()}
    links = list(session.scalars(select(HouseholdMember).order_by(HouseholdMember.id)))
    households = {h.id: h for h in session.scalars(select(Household).order_by(Household.id))}

    due: set[int] = set()
    for pid, person in everyone.items():
        if not person.is_child:
            continue
        ends = retention_ends(fields[pid], recorded_on=person.updated_at.date())
        if ends is None:
            report.undetermined.append(person.uuid)
        elif today >= ends:
            if person.uuid in held_persons:
                report.kept_under_hold.append(person.uuid)
            else:
                due.add(pid)
                report.children_due.append(person.uuid)

    children_of: dict[int, set[int]] = {h: set() for h in households}
    homes_of: dict[int, set[int]] = {p: set() for p in everyone}
    for link in links:
        homes_of[link.person_id].add(link.household_id)
        if everyone[link.person_id].is_child:
            children_of[link.household_id].add(link.person_id)
    # A household goes when it has children and all of them go; a held one stays.
    gone_households = {h for h, kids in children_of.items()
                       if kids and kids <= due and households[h].uuid not in held_households}
    concerns = list(session.scalars(select(Concern).order_by(Concern.id)))
    kept_children = {everyone[p].uuid for p in everyone if everyone[p].is_child} - {
        everyone[p].uuid for p in due}
    needed_adults = {c.person_id for c in concerns
                     if set(decrypt_fields(c, keyring=keyring).get("contact") or {})
                     & kept_children}
    # An adult goes with the last of their households, unless held or a concern
    # about them names a child still in retention.
    gone_adults = {p for p, person in everyone.items()
                   if not person.is_child and homes_of[p] and homes_of[p] <= gone_households
                   and person.uuid not in held_persons and p not in needed_adults}
    gone_persons = due | gone_adults

    plan = _Plan(persons={p: everyone[p] for p in sorted(gone_persons)},
                 households={h: households[h] for h in sorted(gone_households)})
    plan.memberships = [m for m in links
                        if m.household_id in gone_households or m.person_id in gone_persons]
    plan.concerns = {c.id: c for c in concerns if c.person_id in gone_persons}
    gone_children = {everyone[p].uuid for p in due}
    plan.trimmed = [c for c in concerns if c.person_id not in gone_persons and set(
        decrypt_fields(c, keyring=keyring).get("contact") or {}) & gone_children]
    plan.trimmed_persons = [person for pid, person in everyone.items()
                            if pid not in gone_persons and _child_rows(fields[pid]) & gone_children]
    plan.checklists = {c.id: c for c in session.scalars(
        select(Checklist).where(Checklist.household_id.in_(gone_households))
        .order_by(Checklist.id))}
    plan.decisions = list(session.scalars(select(ReviewDecision).where(
        ReviewDecision.checklist_id.in_(plan.checklists)).order_by(ReviewDecision.id)))
    plan.alerts = list(session.scalars(select(Alert).where(or_(
        Alert.household_id.in_(gone_households), Alert.concern_id.in_(plan.concerns)))
        .order_by(Alert.id)))
    plan.caseloads = list(session.scalars(select(CaseloadAssignment).where(
        CaseloadAssignment.household_id.in_(gone_households))))
    return plan


# Tables the purge deletes from by name, in its own order; any other table with a
# foreign key to what goes is emptied of the rows that point at it (_dependents).
HANDLED = {"review_decisions", "alerts", "checklists", "changes", "caseload_assignments",
           "household_members", "concerns", "persons", "households"}


def _dependents(plan: _Plan) -> dict[tuple[Table, Column], list[int]]:
    """(table, column) -> row ids it points at, for every table outside HANDLED whose
    foreign key names a checklist, concern, person or household that goes."""
    going = {"checklists": list(plan.checklists), "concerns": list(plan.concerns),
             "persons": list(plan.persons), "households": list(plan.households)}
    out: dict[tuple[Table, Column], list[int]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in HANDLED:
            continue
        for key in table.foreign_keys:
            ids = going.get(key.column.table.name)
            if ids and key.column.name == "id":
                out[(table, key.parent)] = ids
    return out


def _entity_ids(plan: _Plan) -> set[str]:
    return ({p.uuid for p in plan.persons.values()} | {h.uuid for h in plan.households.values()}
            | {m.uuid for m in plan.memberships} | {c.uuid for c in plan.concerns.values()}
            | {c.uuid for c in plan.checklists.values()} | {a.uuid for a in plan.alerts})


def _caseholders(session: DbSession, household_ids: Iterable[int]) -> set[int]:
    return set(session.scalars(select(CaseloadAssignment.user_id).where(
        CaseloadAssignment.household_id.in_(list(household_ids)))))


def _tell_devices(session: DbSession, plan: _Plan) -> list[tuple[str, str, int, int]]:
    """(type, public id, last revision, user) for every deletion a device must hear of,
    worked out before the rows (and the caseloads that say who holds them) go."""
    homes: dict[int, set[int]] = {}
    for person_id, household_id in session.execute(select(
            HouseholdMember.person_id, HouseholdMember.household_id)
            .where(HouseholdMember.person_id.in_(plan.persons))):
        homes.setdefault(person_id, set()).add(household_id)
    out: list[tuple[str, str, int, int]] = []
    for household in plan.households.values():
        out += [("household", household.uuid, household.rev, u)
                for u in _caseholders(session, [household.id])]
    for person in plan.persons.values():
        users = _caseholders(session, homes.get(person.id, set()))
        users |= {person.created_by_id} if person.created_by_id else set()
        out += [("person", person.uuid, person.rev, u) for u in users]
    for concern in plan.concerns.values():
        users = _caseholders(session, homes.get(concern.person_id, set()))
        out += [("concern", concern.uuid, concern.rev, u)
                for u in users | {concern.created_by_id}]
    out += [("checklist", c.uuid, c.rev, c.author_id) for c in plan.checklists.values()]
    out += [("alert", a.uuid, a.rev, a.user_id) for a in plan.alerts]
    return out + _dependent_notices(session, plan)


# Records of other capabilities that devices hold, deleted with what they point at
# (_dependents), by table: the change type their holders pull them as.
SYNCED_DEPENDENTS = {"followups": "followup", "chronology_events": "chronology_event",
                     "visit_plans": "visit_plan"}


def _dependent_notices(session: DbSession, plan: _Plan) -> list[tuple[str, str, int, int]]:
    """Who holds each synced dependent: whoever holds its household, and the author of
    the checklist it belongs to (follow-through goes to the author's devices only)."""
    out: set[tuple[str, str, int, int]] = set()
    for (table, column), ids in _dependents(plan).items():
        kind = SYNCED_DEPENDENTS.get(table.name)
        if kind is None:
            continue
        for row in session.execute(select(table).where(column.in_(ids))).mappings():
            users: set[int] = set()
            if row.get("household_id") is not None:
                users |= _caseholders(session, [row["household_id"]])
            if row.get("checklist_id") in plan.checklists:
                users.add(plan.checklists[row["checklist_id"]].author_id)
            out |= {(kind, row["uuid"], row.get("rev") or 1, user) for user in users}
    return sorted(out)


def purge(session: DbSession, *, today: date, keyring: Keyring, dry_run: bool,
          run_by: str, actor: Any = None) -> PurgeReport:
    """Find what retention no longer allows us to hold and, unless a dry run, delete it
    in this transaction (the caller commits). Both print the same report."""
    # Every team's feed, in order: what a purge deletes and announces may be any team's.
    changes.serialise_writers(session, team_ids=session.scalars(select(Team.id)))
    report = PurgeReport(as_of=today, dry_run=dry_run)
    plan = _plan(session, today=today, keyring=keyring, report=report)
    entity_ids = _entity_ids(plan)
    ops = list(session.scalars(select(SyncOp.op_id).where(SyncOp.entity_id.in_(entity_ids))))
    conflicts = list(session.scalars(select(SyncConflict.op_id).where(
        SyncConflict.entity_id.in_(entity_ids))))
    feed = [tuple(row) for row in session.execute(select(Change.team_id, Change.seq).where(or_(
        Change.entity_id.in_(entity_ids), Change.household_id.in_(plan.households))))]
    report.deleted = {
        "persons": [p.uuid for p in plan.persons.values()],
        "households": [h.uuid for h in plan.households.values()],
        "household_members": [m.uuid for m in plan.memberships],
        "concerns": [c.uuid for c in plan.concerns.values()],
        "checklists": [c.uuid for c in plan.checklists.values()],
        "review_decisions": [d.uuid for d in plan.decisions],
        "alerts": [a.uuid for a in plan.alerts],
        "caseload_assignments": [],  # ids of no interest: the households are listed
        "sync_ops": ops,
        "sync_conflicts": conflicts,
        "changes": [],  # feed entries, by the hundred: counted only
    }
    report.trimmed = [c.uuid for c in plan.trimmed]
    report.trimmed_persons = [p.uuid for p in plan.trimmed_persons]
    report.counts = {table: len(ids) for table, ids in report.deleted.items()}
    report.counts["caseload_assignments"] = len(plan.caseloads)
    report.counts["changes"] = len(feed)
    dependents = _dependents(plan)
    for (table, column), ids in dependents.items():
        report.counts[table.name] = report.counts.get(table.name, 0) + (session.scalar(
            select(func.count()).select_from(table).where(column.in_(ids))) or 0)
    audit.record(session, action="retention.dry_run" if dry_run else "retention.purge",
                 actor=actor, actor_username=run_by,
                 subjects=[f"person:{i}" for i in report.children_due] + [
                     f"household:{h.uuid}" for h in plan.households.values()],
                 detail={"as_of": today.isoformat(), "counts": report.counts})
    if dry_run:
        return report

    notices = _tell_devices(session, plan)
    gone_children = set(report.children_due)
    for concern in plan.trimmed:
        data = decrypt_fields(concern, keyring=keyring)
        data["contact"] = {child: level for child, level in (data.get("contact") or {}).items()
                           if child not in gone_children}
        encrypt_fields(concern, data, keyring=keyring)
        concern.rev += 1
        concern.updated_at = utcnow()
    for person in plan.trimmed_persons:
        data = decrypt_fields(person, keyring=keyring)
        data["children"] = [row for row in data.get("children") or []
                            if not (isinstance(row, dict)
                                    and row.get("child_id") in gone_children)]
        encrypt_fields(person, data, keyring=keyring)
        person.rev += 1
        person.updated_at = utcnow()
    session.flush()
    trimmed_about = {c.id: (c.uuid, c.rev, c.person_id) for c in plan.trimmed}
    kept_homes = {m.household_id for m in plan.memberships
                  if m.household_id not in plan.households}
    kept_people = {m.person_id for m in plan.memberships if m.person_id not in plan.persons}
    kept_people |= {p.id for p in plan.trimmed_persons}
    # Rows of other capabilities that exist only because of a deleted row (a
    # notification about a checklist, stored flags...): found from the foreign keys.
    for (table, column), ids in dependents.items():
        session.execute(delete(table).where(column.in_(ids)))
    session.execute(delete(ReviewDecision).where(
        ReviewDecision.id.in_([d.id for d in plan.decisions])))
    session.execute(delete(Alert).where(Alert.id.in_([a.id for a in plan.alerts])))
    session.execute(delete(Checklist).where(Checklist.id.in_(plan.checklists)))
    session.execute(delete(Change).where(tuple_(Change.team_id, Change.seq).in_(feed)))
    session.execute(delete(CaseloadAssignment).where(
        CaseloadAssignment.id.in_([c.id for c in plan.caseloads])))
    session.execute(delete(HouseholdMember).where(
        HouseholdMember.id.in_([m.id for m in plan.memberships])))
    session.execute(delete(Concern).where(Concern.id.in_(plan.concerns)))
    session.execute(delete(Person).where(Person.id.in_(plan.persons)))
    session.execute(delete(Household).where(Household.id.in_(plan.households)))
    session.execute(delete(SyncOp).where(SyncOp.op_id.in_(ops)))
    session.execute(delete(SyncConflict).where(SyncConflict.op_id.in_(conflicts)))
    session.expire_all()
    # A notice goes to its reader's feed: the team they pull from.
    teams = dict(session.execute(select(User.id, User.team_id).where(
        User.id.in_({user_id for *_, user_id in notices}))).all())
    for type_, public_id, rev, user_id in notices:
        changes.record(session, team_id=teams[user_id],
                       type=f"{type_}{changes.DELETED_SUFFIX}", entity_id=public_id,
                       rev=rev, user_id=user_id)
    # A household that keeps other children has lost members, a person who stays has
    # lost a household: their devices read them again.
    for household in session.scalars(select(Household).where(Household.id.in_(kept_homes))):
        changes.record(session, team_id=household.team_id, type="household",
                       entity_id=household.uuid, rev=household.rev, household_id=household.id)
    for public_id, rev, person_id in trimmed_about.values():
        for household_id, team_id in session.execute(
                select(HouseholdMember.household_id, Household.team_id)
                .join(Household, Household.id == HouseholdMember.household_id)
                .where(HouseholdMember.person_id == person_id)):
            changes.record(session, team_id=team_id, type="concern", entity_id=public_id,
                           rev=rev, household_id=household_id)
    for _, household_id, team_id, public_id, rev in session.execute(
            select(HouseholdMember.person_id, HouseholdMember.household_id, Household.team_id,
                   Person.uuid, Person.rev)
            .join(Person, Person.id == HouseholdMember.person_id)
            .join(Household, Household.id == HouseholdMember.household_id)
            .where(HouseholdMember.person_id.in_(kept_people))):
        changes.record(session, team_id=team_id, type="person", entity_id=public_id, rev=rev,
                       household_id=household_id)
    row = RetentionReport(as_of=today, dry_run=False, run_by=run_by,
                          report=json.dumps(report.as_json(), sort_keys=True))
    session.add(row)
    session.flush()
    report.report_id = row.uuid
    return report


def reports(session: DbSession) -> list[RetentionReport]:
    return list(session.scalars(select(RetentionReport).order_by(RetentionReport.run_at.desc())))
