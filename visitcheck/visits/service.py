"""Planned visits (`visit_plan.put`, issue 16 item 1): who may plan one, what a plan
holds, and what a device pulls. The Today screen on the tablet lists them."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from .. import revisioned
from ..auth.models import Role, User
from ..checklists.validation import FieldError
from ..database import DbSession, utcnow
from ..errors import Forbidden, InvalidEntity
from ..keys import Keyring, decrypt_fields
from ..people import service as people
from ..people.models import Household
from ..uk_time import uk_local
from .models import VisitPlan

PLAN_KEYS = {"household_id", "planned_for", "time", "purpose", "cancelled"}
PURPOSE_LIMIT = 500
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# A plan is for the days ahead; a year is far beyond any visiting schedule, and a day
# back lets a plan made late in the evening for "today" survive the clock.
PLAN_HORIZON = timedelta(days=366)


def plan_errors(payload: Any) -> list[FieldError]:
    if not isinstance(payload, dict):
        return [FieldError("payload", "must be a JSON object")]
    errors = [FieldError(k, "is not a field of a planned visit")
              for k in sorted(set(payload) - PLAN_KEYS)]
    errors += [FieldError(k, "is required")
               for k in ("household_id", "planned_for") if k not in payload]
    purpose = payload.get("purpose", "")
    if not isinstance(purpose, str) or len(purpose) > PURPOSE_LIMIT:
        errors.append(FieldError("purpose",
                                 f"must be text of at most {PURPOSE_LIMIT} characters"))
    time = payload.get("time", "")
    if not isinstance(time, str) or (time and not TIME.match(time)):
        errors.append(FieldError("time", "must be a time (HH:MM) or empty"))
    if not isinstance(payload.get("cancelled", False), bool):
        errors.append(FieldError("cancelled", "must be true or false"))
    if not isinstance(payload.get("household_id", ""), str):
        errors.append(FieldError("household_id", "must be a household id"))
    if "planned_for" in payload:
        try:
            day = date.fromisoformat(str(payload["planned_for"]))
        except ValueError:
            errors.append(FieldError("planned_for", "must be a date (YYYY-MM-DD)"))
        else:
            if day > uk_local(utcnow()).date() + PLAN_HORIZON:
                errors.append(FieldError("planned_for", "is more than a year ahead"))
    return errors


def may_plan(session: DbSession, *, user: User, household: Household) -> bool:
    """The team's lead for any household of the team; a practitioner for a household on
    their caseload (the same households their devices hold)."""
    if household.team_id != user.team_id:
        return False
    if user.role == Role.TEAM_LEAD:
        return True
    return people.on_caseload(session, user=user, household=household)


def plan_view(row: VisitPlan, *, household_uuid: str, planner: str, keyring: Keyring
              ) -> dict[str, Any]:
    """What a device receives (the pull's `data`) and a conflict's `current`."""
    return {"time": "", "purpose": "", "cancelled": False,
            **decrypt_fields(row, keyring=keyring), "household_id": household_uuid,
            "id": row.uuid, "planned_by": planner, "rev": row.rev}


def _view(session: DbSession, row: VisitPlan, *, keyring: Keyring) -> dict[str, Any]:
    household = session.get(Household, row.household_id)
    planner = session.get(User, row.planned_by_id)
    return plan_view(row, household_uuid=household.uuid if household else "",
                     planner=planner.name if planner else "", keyring=keyring)


def put_plan(session: DbSession, *, user: User, entity_id: str, base_rev: int,
             payload: Any, keyring: Keyring) -> VisitPlan:
    """`visit_plan.put`: plan (or move, or cancel) a visit to a household. A new plan
    starts at base_rev 0; an edit must name the revision it was made on (older: a
    conflict with the current plan). Announced to every device holding the household.
    Flushes, never commits."""
    errors = plan_errors(payload)
    if errors:
        raise InvalidEntity("the planned visit needs attention", errors)
    household = people.household_by_public_id(session, payload["household_id"])
    if household is None or not may_plan(session, user=user, household=household):
        raise Forbidden("the household is not on your caseload",
                        [FieldError("household_id", "is not on your caseload")])
    row = session.scalars(select(VisitPlan).where(VisitPlan.uuid == entity_id)).first()
    data = {"time": "", "purpose": "", "cancelled": False,
            **{k: v for k, v in payload.items() if k != "household_id"}}
    if row is None:
        revisioned.check_new(base_rev, what="planned visit")
        row = VisitPlan(uuid=entity_id, team_id=user.team_id, household_id=household.id,
                        planned_by_id=user.id, rev=1)
    else:
        if row.team_id != user.team_id or row.household_id != household.id:
            raise Forbidden("this planned visit is not one you may change")
        revisioned.next_revision(row, base_rev=base_rev,
                                 current=lambda: _view(session, row, keyring=keyring))
    revisioned.store(session, row, data, type="visit_plan", keyring=keyring)
    return row


def view(session: DbSession, row: VisitPlan, *, keyring: Keyring) -> dict[str, Any]:
    """A plan as devices receive it (pull)."""
    return _view(session, row, keyring=keyring)


def plan_data(session: DbSession, entity_id: str, *, keyring: Keyring
              ) -> dict[str, Any] | None:
    row = session.scalars(select(VisitPlan).where(VisitPlan.uuid == entity_id)).first()
    return _view(session, row, keyring=keyring) if row else None


def plans_for_household(session: DbSession, *, household: Household, keyring: Keyring
                        ) -> list[dict[str, Any]]:
    """The household's plans still to come and not cancelled, soonest first (the lead's
    household page)."""
    today = uk_local(utcnow()).date().isoformat()
    rows = session.scalars(select(VisitPlan).where(VisitPlan.household_id == household.id))
    views = [_view(session, row, keyring=keyring) for row in rows]
    return sorted((v for v in views if not v["cancelled"] and v["planned_for"] >= today),
                  key=lambda v: (v["planned_for"], v["time"]))


class PlanningForbidden(Exception):
    """Not the team's lead, nor holding the household."""


class HouseholdNotFound(Exception):
    pass


def planning_page(session: DbSession, *, viewer: User, household_id: str, keyring: Keyring
                  ) -> tuple[Household, str, list[dict[str, Any]]]:
    """The household, its address and its plans to come, for the lead's planning page.
    The address is personal data: the opening is audited. Flushes."""
    from ..audit import service as audit

    household = people.household_by_public_id(session, household_id)
    if household is None:
        raise HouseholdNotFound(household_id)
    if not may_plan(session, user=viewer, household=household):
        raise PlanningForbidden(household_id)
    audit.record(session, action="visit_plan.read", actor=viewer, object_type="household",
                 object_id=household.uuid)
    address = people.household_view(household, keyring=keyring).get("address") or ""
    return household, address, plans_for_household(session, household=household,
                                                   keyring=keyring)
