"""The server's flags: the template's rules (checklists/rules.py, the same
language the tablet evaluates) over everything the team holds.

The tablet evaluates over what it holds, offline, as the practitioner
answers; the server evaluates again when a checklist is stored, over all the
team's households, persons, concerns, earlier checklists and alerts, and
sends its flags back on pull. Flags prompt judgement; they never decide.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..database import DbSession
from ..keys import Keyring, decrypt_fields
from ..people import service as people
from ..people.models import Concern, Household, HouseholdMember
from .models import Checklist
from .rules import CompiledRules

# Earlier checklists per household the rules look back over (amber patterns,
# repeated no access): enough for any rule, bounded for a family seen often.
HISTORY_PER_HOUSEHOLD = 12


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _linked_households(session: DbSession, household: Household) -> list[Household]:
    """The household and every household sharing a person with it, with their
    members loaded (three queries, however many they are)."""
    person_ids = select(HouseholdMember.person_id).where(
        HouseholdMember.household_id == household.id)
    linked = session.scalars(
        select(Household).join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(HouseholdMember.person_id.in_(person_ids), Household.team_id == household.team_id)
        .distinct().order_by(Household.id)
        .options(selectinload(Household.memberships).selectinload(HouseholdMember.person))
    ).all()
    return list(linked) or [household]


def _history(session: DbSession, *, households: list[Household], exclude: str,
             keyring: Keyring) -> list[dict[str, Any]]:
    from ..review.models import ReviewDecision  # review builds on checklists

    rows: list[Checklist] = []
    for household in households:
        rows += session.scalars(
            select(Checklist).where(Checklist.household_id == household.id,
                                    Checklist.uuid != exclude)
            .order_by(Checklist.updated_at.desc()).limit(HISTORY_PER_HOUSEHOLD)
        ).all()
    decided = dict(session.execute(
        select(ReviewDecision.checklist_id, func.max(ReviewDecision.decided_at))
        .where(ReviewDecision.checklist_id.in_([row.id for row in rows]))
        .group_by(ReviewDecision.checklist_id)).all()) if rows else {}
    public_ids = {household.id: household.uuid for household in households}
    return [{
        "id": row.uuid,
        "household_id": public_ids[row.household_id],
        "visit_at": row.visit_at,
        "status": row.status,
        "answers": decrypt_fields(row, keyring=keyring).get("answers", {}),
        "flags": json.loads(row.flag_summary or "[]"),
        "submitted_at": _iso(row.submitted_at),
        "lead_decision_at": _iso(decided.get(row.id)),
    } for row in rows]


def _alerts(session: DbSession, household: Household) -> list[dict[str, Any]]:
    from ..sharing.models import Alert  # sharing builds on people and checklists

    return [{
        "concern_id": alert.concern.uuid,
        "household_id": household.uuid,
        "user_id": alert.user.uuid,
        "professional_name": alert.user.name,
        "acknowledged_at": _iso(alert.acknowledged_at),
    } for alert in session.scalars(
        select(Alert).where(Alert.household_id == household.id).order_by(Alert.id)
        .options(joinedload(Alert.concern), joinedload(Alert.user)))]


def rules_context(
    session: DbSession,
    *,
    checklist_id: str,
    household: Household,
    payload: dict[str, Any],
    status: str,
    submitted_at: datetime | None,
    lead_decision_at: datetime | None,
    keyring: Keyring,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The context of docs/rules.md, from everything the team holds."""
    linked = _linked_households(session, household)
    households = {h.uuid: people.household_view(h, keyring=keyring)
                  for h in {*linked, household}}
    persons_rows = sorted({m.person for h in linked for m in h.memberships},
                          key=lambda person: person.id)
    persons = people.person_views(session, persons_rows, keyring=keyring)
    this = households[household.uuid]
    members = {m["person_id"] for m in this["members"]}
    children = {m["person_id"] for m in this["members"] if m["is_child"]}
    concerns = []
    for concern in session.scalars(
            select(Concern).where(Concern.person_id.in_([p.id for p in persons_rows]))
            .order_by(Concern.id)):
        view = people.concern_view(concern, keyring=keyring)
        if view["person_id"] in members or children & set(view.get("contact") or {}):
            concerns.append(view)
    answers = payload.get("answers", {})
    return {
        "now": _iso(now or datetime.now(UTC)),
        "checklist": {
            "id": checklist_id,
            "household_id": household.uuid,
            "visit_at": (answers.get("visit") or {}).get("visit_at"),
            "status": status,
            "answers": answers,
            "submitted_at": _iso(submitted_at),
            "lead_decision_at": _iso(lead_decision_at),
        },
        "household": this,
        "households": households,
        "persons": persons,
        "concerns": concerns,
        "history": _history(session, households=linked, exclude=checklist_id,
                            keyring=keyring),
        "alerts": _alerts(session, household),
    }


def summary(flags: list[dict[str, Any]]) -> str:
    """What the queue needs in clear: rule and severity, no names."""
    return json.dumps([{"rule": f["rule"], "severity": f["severity"]} for f in flags])


def flags_for_checklist(session: DbSession, checklist: Checklist, *,
                        rules: CompiledRules, keyring: Keyring, now: datetime | None = None
                        ) -> list[dict[str, Any]]:
    """The server's flags for a stored checklist, with their reasons (names included:
    only for those allowed to read the checklist)."""
    from ..review.service import latest_decision

    decision = latest_decision(session, checklist)
    context = rules_context(
        session, checklist_id=checklist.uuid, household=checklist.household,
        payload=decrypt_fields(checklist, keyring=keyring), status=checklist.status,
        submitted_at=checklist.submitted_at,
        lead_decision_at=decision.decided_at if decision else None,
        keyring=keyring, now=now)
    return rules.evaluate(context)
