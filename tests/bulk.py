"""Many checklists at once, written straight to the tables (bulk inserts, not the API):
for the query-count tests and bench/review_queue.py, where a team's history must be
large. Each row is sealed and its flags stored as the rules store them (encrypted
reasons, `flag_summary`, `flag_rank`), so what the queue reads is what real use leaves.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from visitcheck.auth.models import User
from visitcheck.checklists.models import Checklist, ChecklistStatus
from visitcheck.database import DbSession
from visitcheck.keys import Keyring, encrypt_fields
from visitcheck.people.models import Household
from visitcheck.rules import service as flag_store
from visitcheck.rules.models import ChecklistFlag

STATUSES = [ChecklistStatus.APPROVED, ChecklistStatus.SUBMITTED, ChecklistStatus.RETURNED,
            ChecklistStatus.APPROVED, ChecklistStatus.ESCALATED]
# Every n-th checklist's flags: a team's history has a few of each.
FLAG_SETS: list[list[tuple[str, str]]] = [
    [], [("mappa-check", "action")], [],
    [("poc-contact", "urgent"), ("mappa-check", "action")], [("unseen-adult", "review")],
]


def seed_checklists(session: DbSession, *, team_id: int, count: int, keyring: Keyring,
                    start: datetime | None = None, template: str = "home-visit",
                    template_version: int = 1, batch: int = 1000) -> None:
    """`count` checklists for the team's practitioners and households, one a minute
    back from `start` (so the oldest are weeks old and the urgent submitted ones
    overdue). Flushes, never commits."""
    start = start or datetime.now(UTC)
    authors = list(session.scalars(select(User.id).where(
        User.team_id == team_id, User.role.in_(["health_visitor", "school_nurse"]))))
    households = list(session.scalars(select(Household.id).where(
        Household.team_id == team_id)))
    if not authors or not households:
        raise ValueError("the team needs practitioners and households")
    rows: list[dict[str, Any]] = []
    flags: list[tuple[str, list[dict[str, Any]]]] = []
    for i in range(count):
        public_id = str(uuid.uuid4())
        raised = [{"rule": r, "severity": s, "subject": None, "reason": f"{r}: seeded",
                   "action": ""} for r, s in FLAG_SETS[i % len(FLAG_SETS)]]
        at = start - timedelta(minutes=i)
        sealed = Checklist(uuid=public_id)
        encrypt_fields(sealed, {"answers": {}, "saved_at": at.isoformat()}, keyring=keyring)
        rows.append({
            "uuid": public_id, "author_id": authors[i % len(authors)],
            "team_id": team_id, "household_id": households[i % len(households)],
            "template": template, "template_version": template_version,
            "status": STATUSES[i % len(STATUSES)].value, "rev": 1,
            "visit_at": at.isoformat(), "flag_summary": flag_store.summary(raised),
            "flag_rank": flag_store.rank(raised), "flags_due": False, "flags_rev": 1,
            "flags_evaluated_at": at, "created_at": at, "updated_at": at,
            "submitted_at": at, "key_id": sealed.key_id, "wrapped_key": sealed.wrapped_key,
            "sealed_fields": sealed.sealed_fields})
        flags.append((public_id, raised))
        if len(rows) >= batch:
            _write(session, rows, flags, keyring=keyring)
            rows, flags = [], []
    if rows:
        _write(session, rows, flags, keyring=keyring)


def _write(session: DbSession, rows: list[dict[str, Any]],
           flags: list[tuple[str, list[dict[str, Any]]]], *, keyring: Keyring) -> None:
    # One multi-row statement (not executemany): the counters' statement-level triggers
    # on PostgreSQL then run once for the batch (migration 0027).
    session.execute(insert(Checklist).values(rows))
    ids = dict(session.execute(select(Checklist.uuid, Checklist.id).where(
        Checklist.uuid.in_([r["uuid"] for r in rows]))).all())
    flag_rows = []
    for public_id, raised in flags:
        for position, flag in enumerate(raised):
            row = ChecklistFlag(uuid=str(uuid.uuid4()))
            encrypt_fields(row, {"reason": flag["reason"], "action": flag["action"],
                                 "answers": [], "subject_name": None}, keyring=keyring)
            flag_rows.append({
                "uuid": row.uuid, "checklist_id": ids[public_id], "position": position,
                "rule": flag["rule"], "severity": flag["severity"], "subject": None,
                "evaluated_at": rows[0]["created_at"], "key_id": row.key_id,
                "wrapped_key": row.wrapped_key, "sealed_fields": row.sealed_fields})
    if flag_rows:
        session.execute(insert(ChecklistFlag), flag_rows)
    session.flush()

