"""Factories for tests: records made the way a device makes them (sealed ops pushed
through the API), so what the tests check is what real use leaves behind."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.auth import service as auth
from visitcheck.auth.models import Team
from visitcheck.extensions import db
from visitcheck.retention.service import anniversary

# Every factory-made account signs in with this (long enough for the password rules).
PASSWORD = "factory-password-1"


def new_id() -> str:
    return str(uuid.uuid4())


def make_team(app, name: str | None = None) -> str:
    """A team of its own, so a test's records share nothing with the demo world's.
    -> the team's name (what make_user takes)."""
    name = name or f"Team {new_id()[:8]}"
    with app.app_context():
        auth.get_or_create_team(db.session, name=name)
        db.session.commit()
    return name


def make_user(app, *, team: str, role: str = "health_visitor", username: str | None = None,
              name: str = "") -> str:
    """An account with `role` (auth.models.Role's values) in `team`. -> its username."""
    username = username or f"{role}-{new_id()[:8]}"
    with app.app_context():
        team_row = db.session.query(Team).filter_by(name=team).one()
        auth.create_user(db.session, username=username, password=PASSWORD, role=role,
                         team=team_row, name=name or username)
        db.session.commit()
    return username


def signed_in(app, username: str, password: str = PASSWORD):
    """A device signed in as `username`, its device registered: what a tablet has
    after set-up (tests/conftest.py ApiClient). Pass its `.client` for pages."""
    from tests.conftest import ApiClient, sign_in

    client = app.test_client()
    answer = sign_in(client, username, password)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    api = ApiClient(client, client.get("/api/v1/bootstrap").get_json())
    api.register_device()
    return api


def push(client, op_type: str, entity_id: str, payload: dict, base_rev: int = 0) -> dict:
    op = sealed_op(client.bootstrap, payload, entity_id=entity_id, base_rev=base_rev,
                   op_type=op_type)
    answer = client.push([op]).get_json()["results"][0]
    assert answer["status"] == "applied", answer
    return answer


def born_years_ago(today: date, years: int, *, days: int = 0) -> str:
    """The date of birth of someone whose `years`th birthday is `days` after `today`."""
    return (anniversary(today, -years) + timedelta(days=days)).isoformat()


def make_person(client, name: str, *, is_child: bool, date_of_birth: str | None = None,
                estimated_age: int | None = None, care_ended_on: str | None = None) -> str:
    person = new_id()
    payload = {"names": [name], "aliases": [], "date_of_birth": date_of_birth,
               "estimated_age": estimated_age, "sex": "unknown", "is_child": is_child,
               "children": []}
    if care_ended_on:
        payload["care_ended_on"] = care_ended_on
    push(client, "person.put", person, payload)
    return person


def link(client, household: str, person: str, residence: str = "lives_here") -> str:
    membership = new_id()
    push(client, "membership.put", membership, {"household_id": household, "person_id": person,
                                                "residence": residence})
    return membership


def make_household(client, address: str, *, children: list[dict], adults: list[str] = ()
                   ) -> dict:
    """A household on `client`'s caseload with children (make_person keywords plus a
    name) and adults living there. -> {"id", "children": [ids], "adults": [ids]}"""
    household = new_id()
    push(client, "household.put", household, {"address": address, "professionals": []})
    made = {"id": household, "children": [], "adults": [], "memberships": []}
    for child in children:
        person = make_person(client, is_child=True, **child)
        made["children"].append(person)
        made["memberships"].append(link(client, household, person))
    for name in adults:
        person = make_person(client, name, is_child=False)
        made["adults"].append(person)
        made["memberships"].append(link(client, household, person))
    return made


def make_concern(client, person: str, contact: dict[str, str], *,
                 basis: list[str] | None = None) -> str:
    """A concern about `person` with `contact` ({child id: contact level}); `basis`
    codes from people/vocabulary.json (an allegation without an outcome unless given)."""
    concern = new_id()
    push(client, "concern.put", concern, {
        "person_id": person, "basis": basis or ["allegation_no_outcome"], "source": "Police",
        "source_date": "2026-10-01", "verified": False, "protect_source": False,
        "fact_or_opinion": "fact", "mappa_category": "none", "mappa_level": "unknown",
        "orders": "", "works_with_children": "no", "contact": contact})
    return concern


def make_checklist(client, household: str, children: list[str], *,
                   status: str = "submitted") -> str:
    checklist = new_id()
    answers = complete_visit(children) if status == "submitted" else {}
    push(client, "checklist.put", checklist,
         checklist_payload(household, status=status, answers=answers))
    return checklist
