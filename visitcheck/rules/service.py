"""The one place the server's rules run: the template's rules (rules/engine.py,
the same language as static/app/rules/engine.js) over the context the team's data
gives (rules/context.py), for the lead's queue and for the author's device.

Flags live (docs/rules.md, "Flags that live"): each checklist's flags are
stored with their reasons, encrypted (`ChecklistFlag`), and evaluated again
whenever what they read changes: the checklist itself, a fact the team holds
about its household or a linked one (a person, a membership, a concern, an
alert acknowledged, another visit), or the day (`flags refresh`, run on a
schedule). A changed set goes into the feed for the author's device.

Flags prompt judgement; they never decide.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, and_, case, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import aliased

from ..checklists.models import Checklist, ChecklistStatus
from ..checklists.service import loaded_template
from ..database import DbSession, iso_utc, new_uuid, utcnow
from ..feed import service as changes
from ..feed.models import Change
from ..keys import Keyring, decrypt_stored, encrypted_columns
from ..notify import service as notify
from ..people.models import Household, HouseholdMember, Person
from ..sharing.models import Alert
from .context import HISTORY_PER_HOUSEHOLD, TeamReading
from .engine import CompiledRules
from .models import ChecklistFlag

logger = logging.getLogger(__name__)

# The flag a checklist gets when the server could not run the rules over it (a
# malformed rule, unreadable data): urgent, so a person reads it in full.
RULES_NOT_RUN = {
    "rule": "rules-not-run", "severity": "urgent", "subject": None,
    "reason": "The server could not run the template's rules over this checklist.",
    "action": "Read every answer and decide without the rules' prompts; tell the "
              "administrator, who will find the cause in the server's log.",
}


# Checklists whose flags still change with the facts. An approved checklist is
# closed: its flags stay as they were when the lead decided. Drafts are open: the
# server's flags reach the practitioner while the visit is still being recorded.
OPEN_STATUSES = (ChecklistStatus.DRAFT.value, ChecklistStatus.SUBMITTED.value,
                 ChecklistStatus.RETURNED.value, ChecklistStatus.ESCALATED.value)

# A push evaluates its own checklists and at most this many others its ops made
# due (the latest first); the lead's queue and `flags refresh` take the rest.
PUSH_EVALUATES_OTHERS = 50

# session.info key: the checklists the transaction's ops marked due, for the push
# to evaluate once it has committed.
_MARKED = "visitcheck.flags_marked"

# `flags refresh` works in batches of this many checklists, one commit each.
REFRESH_BATCH = 100

# Checklists whose flag summaries one guarded UPDATE writes: a push's 25, a refresh's
# batch, in one statement; the lead's queue, which evaluates all its team's due ones,
# in several.
GUARDED_UPDATE_ROWS = 200

# The key of the PostgreSQL advisory lock one `flags refresh` holds at a time.
REFRESH_LOCK_KEY = 0x76636B666C616773  # "vckflags"


SEVERITY_RANK = {"urgent": 0, "action": 1, "review": 2}
NO_FLAG_RANK = 3


def rank(flags: list[dict[str, Any]]) -> int:
    """The most pressing severity among these flags, as `checklists.flag_rank` holds it."""
    return min((SEVERITY_RANK.get(str(f.get("severity")), NO_FLAG_RANK) for f in flags),
               default=NO_FLAG_RANK)


def summary(flags: list[dict[str, Any]]) -> str:
    """What the queue needs in clear: rule and severity, no names."""
    return json.dumps([{"rule": f["rule"], "severity": f["severity"]} for f in flags])


def _answer_paths(expression: Any, found: set[str]) -> set[str]:
    """The `section.field` of every answer an expression reads (`….answers.s.f…`)."""
    if isinstance(expression, dict):
        for operator, argument in expression.items():
            if operator == "var":
                segments = argument.split(".") if isinstance(argument, str) else [
                    s if isinstance(s, str) else "*" for s in argument or []]
                if "answers" in segments:
                    after = segments[segments.index("answers") + 1:][:2]
                    if after and "*" not in after:
                        found.add(".".join(after))
            _answer_paths(argument, found)
    elif isinstance(expression, list):
        for item in expression:
            _answer_paths(item, found)
    return found


def _answers_behind(rules: list[Any]) -> dict[str, list[str]]:
    """Per rule id: the answers (`section.field`) its condition reads."""
    return {rule["id"]: sorted(_answer_paths(rule.get("when"), set()))
            for rule in rules if isinstance(rule, dict) and "id" in rule}


def _with_who_and_why(flags: list[dict[str, Any]], *, context: dict[str, Any],
                      answers: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The engine's flags, extended (never changed): `answers`, the section/field
    paths the rule read; `subject_name`, the name of the person it is about."""
    persons = context.get("persons") or {}
    out = []
    for flag in flags:
        subject = persons.get(flag.get("subject")) if isinstance(
            flag.get("subject"), str) else None
        names = (subject or {}).get("names") or []
        out.append({**flag, "answers": answers.get(flag["rule"], []),
                    "subject_name": names[0] if names else None})
    return out


_collector_pauses = 0
_collector_was_enabled = True
_collector_lock = threading.Lock()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No automatic garbage collection while the rules read and run. A reading of the
    team's data is tens of thousands of small dicts and lists (a dozen earlier visits'
    answers per household, parsed), held until the rules have run: each allocation
    past the collector's threshold traverses them again, and as they outnumber the
    long-lived objects a full collection of the whole heap follows, nearly once per
    push (about 0.1 s of a push's 0.3 s on PostgreSQL, profiled). They hold no
    cycles: reference counting frees them when the reading goes, and collection
    resumes as it was. Nested and concurrent pauses end with the last."""
    global _collector_pauses, _collector_was_enabled
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_pauses += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0 and _collector_was_enabled:
                gc.enable()


def flags_for_checklists(session: DbSession, checklists: list[Checklist], *,
                         rules_of: Callable[[Checklist], CompiledRules], keyring: Keyring,
                         now: datetime | None = None,
                         answers_of: Callable[[Checklist], dict[str, list[str]]] | None = None
                         ) -> list[list[dict[str, Any]]]:
    """The server's flags for stored checklists, in their order, with their reasons
    (names included: only for those allowed to read the checklists). One reading of
    the team's data serves them all."""
    if not checklists:
        return []
    with _collector_paused():
        reading = TeamReading(session, checklists, keyring=keyring)
        out = []
        for checklist in checklists:
            context = reading.context(checklist, now=now)
            raised = rules_of(checklist).evaluate(context)
            out.append(_with_who_and_why(raised, context=context,
                                         answers=answers_of(checklist))
                       if answers_of else raised)
        del reading, context  # freed here, by reference counting
    return out


def server_flags(session: DbSession, checklist: Checklist, *, keyring: Keyring,
                 now: datetime | None = None) -> list[dict[str, Any]]:
    """The flags the server's rules raise for a stored checklist, with their reasons."""
    return server_flags_of(session, [checklist], keyring=keyring, now=now)[checklist.uuid]


def server_flags_of(session: DbSession, checklists: list[Checklist], *, keyring: Keyring,
                    now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """The server's flags for several stored checklists, by public id, evaluated over
    one reading of the team's data. A checklist the rules cannot run over gets the
    urgent `rules-not-run` flag instead, and the others still get theirs."""
    def template_of(checklist: Checklist):
        return loaded_template(session, template=checklist.template,
                               version=checklist.template_version)

    # Walking a template's rules for the answers they read costs as much as running
    # them: once per template version, not once per checklist.
    behind: dict[tuple[str, int], dict[str, list[str]]] = {}

    def answers_of(checklist: Checklist) -> dict[str, list[str]]:
        version = (checklist.template, checklist.template_version)
        if version not in behind:
            behind[version] = _answers_behind(template_of(checklist).definition.get("rules", []))
        return behind[version]

    def evaluate(some: list[Checklist]) -> dict[str, list[dict[str, Any]]]:
        found = flags_for_checklists(
            session, some, keyring=keyring, now=now,
            rules_of=lambda checklist: template_of(checklist).rules, answers_of=answers_of)
        return {c.uuid: raised for c, raised in zip(some, found, strict=True)}

    try:
        return evaluate(checklists)
    except Exception:  # noqa: BLE001 - one checklist must not hold back the others
        if len(checklists) == 1:
            logger.exception("rules could not run over checklist %s", checklists[0].uuid)
            return {checklists[0].uuid: [{**RULES_NOT_RUN, "answers": [],
                                          "subject_name": None}]}
    # Which one? Each on its own. (A database error fails again, and is raised
    # by the caller's next statement: nothing is stored from it.)
    out = {}
    for checklist in checklists:
        out.update(server_flags_of(session, [checklist], keyring=keyring, now=now))
    return out


# --- stored flags ------------------------------------------------------------------


def _stored_view(row: Any, *, keyring: Keyring) -> dict[str, Any]:
    """A stored flag as the device and the lead read it; `row` holds `_STORED_COLUMNS`."""
    fields = decrypt_stored(ChecklistFlag.__tablename__, row.uuid, row.key_id,
                            row.wrapped_key, row.sealed_fields, keyring=keyring)
    return {"rule": row.rule, "severity": row.severity, "subject": row.subject,
            "reason": fields.get("reason", ""), "action": fields.get("action", ""),
            "answers": fields.get("answers", []), "subject_name": fields.get("subject_name"),
            # When the flag was first raised for this checklist, and whether that was
            # at the visit (while it was written, or at its submission) or later, from
            # facts recorded since (a chronology dates the two apart).
            "raised_at": iso_utc(row.evaluated_at), "at_visit": fields.get("at_visit", True)}


# What a stored flag's view reads: plain columns, no ORM object per flag (a catch-up
# pull serves tens of thousands of them; building the objects cost more than the rest).
_STORED_COLUMNS = (ChecklistFlag.checklist_id, ChecklistFlag.uuid, ChecklistFlag.rule,
                   ChecklistFlag.severity, ChecklistFlag.subject, ChecklistFlag.evaluated_at,
                   ChecklistFlag.key_id, ChecklistFlag.wrapped_key, ChecklistFlag.sealed_fields)


def _raised_when(checklist: Checklist, before: list[dict[str, Any]], *, at: datetime
                 ) -> tuple[dict[tuple[str, str | None], tuple[datetime, bool]], bool]:
    """What `_store` keeps of the flags stored before (each flag's first raising), and
    whether a flag new now counts as raised at the visit: while it is a draft, and at
    the first evaluation after it was submitted; later, facts recorded since raised it."""
    kept = {}
    for flag in before:
        raised = flag.get("raised_at")
        moment = datetime.fromisoformat(raised.replace("Z", "+00:00")) if raised else at
        kept[flag["rule"], flag.get("subject")] = (moment, bool(flag.get("at_visit", True)))
    previous = checklist.flags_evaluated_at
    submitted = checklist.submitted_at
    first_since_submission = submitted is not None and (
        previous is None or previous < submitted)
    return kept, checklist.status == ChecklistStatus.DRAFT.value or first_since_submission


def stored_flags_of(session: DbSession, checklists: Iterable[Checklist], *, keyring: Keyring
                    ) -> dict[str, list[dict[str, Any]]]:
    """The flags stored at each checklist's last evaluation, by public id, in the order
    the rules raised them, with their reasons (names included: only for those allowed
    to read the checklists). One query for them all; [] before any evaluation."""
    return {uuid: stored_views(rows, keyring=keyring)
            for uuid, rows in stored_flag_rows(session, checklists).items()}


def stored_flag_rows(session: DbSession, checklists: Iterable[Checklist]
                     ) -> dict[str, list[Any]]:
    """`stored_flags_of` in two steps, for a reader that may show only some of the
    checklists it loaded (a pull page cut at its byte budget): each checklist's stored
    flags still sealed, in one query; `stored_views` opens the ones it shows."""
    by_id = {c.id: c.uuid for c in checklists}
    out: dict[str, list[Any]] = {uuid: [] for uuid in by_id.values()}
    if not by_id:
        return out
    for row in session.execute(select(*_STORED_COLUMNS)
                               .where(ChecklistFlag.checklist_id.in_(list(by_id)))
                               .order_by(ChecklistFlag.checklist_id, ChecklistFlag.position)):
        out[by_id[row.checklist_id]].append(row)
    return out


def stored_views(rows: list[Any], *, keyring: Keyring) -> list[dict[str, Any]]:
    """One checklist's stored flags (from `stored_flag_rows`) as the device and the
    lead read them."""
    return [_stored_view(row, keyring=keyring) for row in rows]


# The table, not the class: the ORM's bulk insert would group the rows by which values
# are null (one INSERT per group, a dozen a push); the table's is one executemany.
_FLAGS = cast(Table, ChecklistFlag.__table__)


def _flag_rows(checklist_id: int, flags: list[dict[str, Any]], *, keyring: Keyring,
               at: datetime,
               kept: dict[tuple[str, str | None], tuple[datetime, bool]] | None = None,
               at_visit: bool = True) -> list[dict[str, Any]]:
    """A checklist's flags as rows to insert (its earlier ones deleted by the caller),
    plain values rather than an ORM object per flag: a push stores a couple of hundred.
    A flag stored before keeps when it was first raised (`evaluated_at`) and whether
    at the visit; a new one is raised `at`, at the visit or not as `_raised_when` says."""
    rows = []
    for position, flag in enumerate(flags):
        subject = flag.get("subject")
        subject = None if subject is None else str(subject)
        raised_at, raised_at_visit = (kept or {}).get((str(flag["rule"]), subject),
                                                      (at, at_visit))
        if at_visit:  # the visit as submitted: everything raised now is the visit's
            raised_at_visit = True
        public_id = new_uuid()
        rows.append({"uuid": public_id, "checklist_id": checklist_id, "position": position,
                     "rule": str(flag["rule"]), "severity": str(flag["severity"]),
                     "subject": subject, "evaluated_at": raised_at,
                     **encrypted_columns(ChecklistFlag.__tablename__, public_id, {
                         "reason": flag.get("reason", ""), "action": flag.get("action", ""),
                         "answers": flag.get("answers", []),
                         "subject_name": flag.get("subject_name"),
                         "at_visit": raised_at_visit}, keyring=keyring)})
    return rows


def _comparable(flags: list[dict[str, Any]]) -> list[tuple]:
    return [(f["rule"], f["severity"], None if f.get("subject") is None else str(f["subject"]),
             f.get("reason", ""), f.get("action", ""), list(f.get("answers", [])),
             f.get("subject_name")) for f in flags]


def evaluate_and_store(session: DbSession, checklists: list[Checklist], *, keyring: Keyring,
                       now: datetime | None = None) -> int:
    """Run the server's rules over `checklists` and store each one's flags (with their
    reasons, encrypted) and the queue's summary. Returns how many were stored.

    The rules read what the team holds now; a checklist's flags are stored only if
    it is still at the revision, and its flags at the `flags_rev`, they read: a newer
    save, a fact changed meanwhile (which marks it due again) or another evaluator
    that stored first wins, and these results are dropped. A flag set that changed
    is announced in the feed, so the author's device pulls it. Flushes, never commits.
    """
    if not checklists:
        return 0
    read = {c.id: (c.rev, c.flags_rev) for c in checklists}
    found = server_flags_of(session, checklists, keyring=keyring, now=now)
    before = stored_flags_of(session, checklists, keyring=keyring)
    changed = {c.uuid for c in checklists
               if _comparable(found[c.uuid]) != _comparable(before[c.uuid])}
    at = utcnow()
    # Read before the rows are written: whether this is the submission's own evaluation.
    raised = {c.id: _raised_when(c, before[c.uuid], at=at) for c in checklists}
    # A changed set's rows, sealed before the lock below (every push of the team waits
    # while it is held); those of a checklist someone else wrote meanwhile go unused.
    prepared = {c.id: _flag_rows(c.id, found[c.uuid], keyring=keyring, at=at,
                                 kept=raised[c.id][0], at_visit=raised[c.id][1])
                for c in checklists if c.uuid in changed}
    if changed:
        # A changed set is announced in the feed: its lock before any checklist row,
        # the order every push takes them in (the other order could deadlock).
        changes.serialise_writers(session, team_ids={
            c.team_id for c in checklists if c.uuid in changed})
    table = cast(Table, Checklist.__table__)
    # One statement for a group of rows, each row guarded by what was read for it, and
    # returning which rows took this evaluation. (One statement, not one per row: the
    # queue's counters and the flags' copy of the queue order are kept by statement
    # triggers on PostgreSQL, which an executemany would run once per checklist. Not
    # one for any number either: SQLite refuses a WHERE of over 1,000 terms.)
    # The rows written stay locked until commit, so no one else can write them since.
    took: set[int] = set()
    for start in range(0, len(checklists), GUARDED_UPDATE_ROWS):
        group = checklists[start:start + GUARDED_UPDATE_ROWS]
        took.update(session.scalars(
            update(table)
            .where(table.c.id.in_([c.id for c in group]),
                   or_(*[and_(table.c.id == c.id, table.c.rev == read[c.id][0],
                              table.c.flags_rev == read[c.id][1]) for c in group]))
            .values(flag_summary=case({c.id: summary(found[c.uuid]) for c in group},
                                      value=table.c.id),
                    flag_rank=case({c.id: rank(found[c.uuid]) for c in group},
                                   value=table.c.id),
                    flags_due=False, flags_rev=table.c.flags_rev + 1, flags_evaluated_at=at)
            .returning(table.c.id)))
    # An unchanged set stays as it is; a changed one replaces the stored one.
    renewed = [c for c in checklists if c.id in took and c.uuid in changed]
    if renewed:
        session.execute(delete(ChecklistFlag).where(
            ChecklistFlag.checklist_id.in_([c.id for c in renewed])))
        # The author's devices pull the checklist again, flags and all. Its earlier
        # entries in the feed go: a pull sends current content, so the newest entry
        # says all they did, and a device that has not pulled yet gets it once.
        session.execute(delete(Change).where(
            Change.type == "checklist", Change.entity_id.in_([c.uuid for c in renewed]),
            Change.user_id.is_not(None), Change.household_id.is_(None)))
    rows = []
    for checklist in renewed:
        rows += prepared[checklist.id]
        changes.record(session, team_id=checklist.team_id, type="checklist",
                       entity_id=checklist.uuid,
                       rev=read[checklist.id][0], user_id=checklist.author_id)
    if rows:  # one INSERT for the push's flags
        session.execute(insert(_FLAGS), rows)
    # Leads are told of an urgent flag in the transaction that stores it (notify/),
    # once per submitted revision however often it is evaluated again.
    notify.urgent_flags_raised(session, flagged=[(c, found[c.uuid]) for c in checklists
                                                 if c.id in took])
    stored = len(took)
    session.flush()
    for checklist in checklists:
        session.expire(checklist, ["flag_summary", "flag_rank", "flags_due", "flags_rev",
                                   "flags_evaluated_at"])
    return stored


def evaluate_due_flags(session: DbSession, *, keyring: Keyring,
                       checklist_ids: list[str] | None = None,
                       team_id: int | None = None, row_ids: list[int] | None = None,
                       limit: int | None = None, now: datetime | None = None) -> int:
    """Run the server's rules over the checklists whose flags are due and store them
    (`evaluate_and_store`). Returns how many were stored.

    Narrowed to `checklist_ids` (a push's own, by public id), `row_ids` (what a
    push's ops marked due) or `team_id` (a lead's queue), and to the `limit`
    latest. Flushes, never commits.
    """
    due = select(Checklist).where(Checklist.flags_due.is_(True))
    for ids, column in ((checklist_ids, Checklist.uuid), (row_ids, Checklist.id)):
        if ids is not None:
            if not ids:
                return 0
            due = due.where(column.in_(ids))
    if team_id is not None:
        due = due.where(Checklist.team_id == team_id)
    if limit is not None:
        due = due.order_by(Checklist.id.desc()).limit(limit)
    else:
        due = due.order_by(Checklist.id)
    return evaluate_and_store(session, list(session.scalars(due)), keyring=keyring, now=now)


# --- when facts change -----------------------------------------------------------------


def households_touched(session: DbSession, ops: Iterable[tuple[str, str, Any]]) -> set[int]:
    """The households whose facts a push's applied ops (type, entity id, opened
    payload) changed: a few queries for the whole push."""
    households: set[str] = set()
    persons: set[str] = set()
    alerts: set[str] = set()
    for op_type, entity_id, payload in ops:
        body = payload if isinstance(payload, dict) else {}
        if op_type == "household.put":
            households.add(entity_id)
        elif op_type == "checklist.put":
            # A visit recorded (a colleague's, an S8 outcome) is read by the other
            # checklists' rules as history; a draft saved is still being written.
            # (facts_changed_by_ops passes submissions apart.)
            if body.get("status") == ChecklistStatus.SUBMITTED.value:
                households.add(str(body.get("household_id")))
        elif op_type == "person.put":
            persons.add(entity_id)
        elif op_type == "membership.put":
            households.add(str(body.get("household_id")))
            persons.add(str(body.get("person_id")))
        elif op_type == "concern.put":
            persons.add(str(body.get("person_id")))
            # The children it records contact with, wherever they live.
            if isinstance(body.get("contact"), dict):
                persons.update(str(child) for child in body["contact"])
        elif op_type == "alert.ack":
            alerts.add(entity_id)
    found: set[int] = set()
    if households:
        found.update(session.scalars(select(Household.id).where(Household.uuid.in_(households))))
    if persons:
        found.update(session.scalars(
            select(HouseholdMember.household_id).join(Person)
            .where(Person.uuid.in_(persons))))
    if alerts:
        found.update(session.scalars(select(Alert.household_id).where(Alert.uuid.in_(alerts))))
    return found


def mark_due(session: DbSession, *, household_ids: Iterable[int]) -> list[int]:
    """The facts of these households changed: the open checklists of every household
    that reads them (the households themselves, and those sharing a person with them,
    whose rules look across) are due to be evaluated again. Returns their row ids.
    Flushes, never commits."""
    ids = sorted(set(household_ids))
    if not ids:
        return []
    here, there = aliased(HouseholdMember), aliased(HouseholdMember)
    linked = (select(there.household_id).join(here, here.person_id == there.person_id)
              .where(here.household_id.in_(ids)))
    reading = or_(Checklist.household_id.in_(ids), Checklist.household_id.in_(linked))
    # A household's latest checklists, as many as the rules look back over: an open
    # checklist older than that is a backlog `flags refresh` keeps up to date, and
    # marking it on every change would make each push evaluate the whole backlog.
    latest = select(Checklist.id, func.row_number().over(
        partition_by=Checklist.household_id,
        order_by=(Checklist.updated_at.desc(), Checklist.id.desc())).label("n")).where(
        reading, Checklist.status.in_(OPEN_STATUSES)).subquery()
    return list(session.scalars(
        update(Checklist)
        .where(Checklist.id.in_(select(latest.c.id).where(
            latest.c.n <= HISTORY_PER_HOUSEHOLD + 1)))
        .values(flags_due=True, flags_rev=Checklist.flags_rev + 1)
        .returning(Checklist.id)
        .execution_options(synchronize_session=False)))


def facts_changed_by_ops(session: DbSession, ops: Iterable[tuple[str, str, Any]]) -> None:
    """After a push's ops are applied (before the commit): mark due the open
    checklists whose facts they changed, in the same transaction as the change.

    Those a fact about people changed (a household, person, membership, concern or
    acknowledgement) are remembered for `take_marked`: the push evaluates them.
    Those a submission changed (it is history to the household's other checklists)
    are left to the lead's queue and page, which evaluate what is due before they
    show anything, and to `flags refresh`: a household whose checklists pile up
    unreviewed would otherwise make every submission re-evaluate all of them."""
    ops = list(ops)
    facts = [op for op in ops if op[0] != "checklist.put"]
    visits = [op for op in ops if op[0] == "checklist.put"]
    if facts:
        marked = mark_due(session, household_ids=households_touched(session, facts))
        session.info.setdefault(_MARKED, set()).update(marked)
    if visits:
        mark_due(session, household_ids=households_touched(session, visits))


def take_marked(session: DbSession) -> list[int]:
    """The checklists this session's pushes marked due (forgotten once taken): the
    push evaluates them after its commit, not the team's whole backlog, which
    would make every device's push evaluate every other device's saves too."""
    return sorted(session.info.pop(_MARKED, set()))


# --- on a schedule ---------------------------------------------------------------------


@contextmanager
def refresh_lock(engine: Engine) -> Iterator[bool]:
    """One `flags refresh` at a time across hosts: a PostgreSQL advisory lock, held
    on a connection of its own for the whole run; yields False if another host
    holds it. SQLite has one writer on one host; the `flags_rev` guard keeps two
    runs there (or anywhere) from storing older flags over newer ones."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                      {"key": REFRESH_LOCK_KEY}).scalar())
        try:
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": REFRESH_LOCK_KEY})


def refresh_batch(session: DbSession, *, keyring: Keyring, started: datetime,
                  after_id: int = 0, now: datetime | None = None,
                  size: int = REFRESH_BATCH) -> tuple[int | None, int]:
    """One batch of `flags refresh`: the next `size` checklists after `after_id` that
    are open, due, or never evaluated, and not evaluated since `started`, evaluated
    with the rules' clock at `now` (days passing: `referral-no-outcome`,
    `overdue-review`, `no-access-repeat`). Returns (the last id looked at, or None
    when there are no more; how many were stored). Flushes, never commits."""
    batch = list(session.scalars(
        select(Checklist)
        .where(Checklist.id > after_id,
               or_(Checklist.status.in_(OPEN_STATUSES), Checklist.flags_due.is_(True),
                   Checklist.flags_evaluated_at.is_(None)),
               or_(Checklist.flags_evaluated_at.is_(None),
                   Checklist.flags_evaluated_at < started))
        .order_by(Checklist.id).limit(size)))
    if not batch:
        return None, 0
    last = batch[-1].id
    return last, evaluate_and_store(session, batch, keyring=keyring, now=now)
