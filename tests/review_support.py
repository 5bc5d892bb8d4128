"""Steps shared by the review, alert, map and authorization tests."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, timedelta

from sqlalchemy import delete, insert, select

from tests.conftest import DEMO_PASSWORD, sign_in
from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.auth import service as auth
from visitcheck.auth.models import Team, User
from visitcheck.checklists.models import Checklist
from visitcheck.database import utcnow
from visitcheck.demo import OTHER_TEAM
from visitcheck.extensions import db, keyring
from visitcheck.keys import decrypt_fields
from visitcheck.people import service as people
from visitcheck.people.models import Concern, Household, Residence
from visitcheck.people.service import MemberSpec
from visitcheck.rules import service as flag_store
from visitcheck.rules.models import ChecklistFlag
from visitcheck.sharing.models import Alert

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
OTHER_PASSWORD = "other-team-password"


def new_id() -> str:
    return str(uuid.uuid4())


def web_client(app, username: str, password: str = DEMO_PASSWORD):
    client = app.test_client()
    response = sign_in(client, username, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def csrf_token(client) -> str:
    return client.get("/api/v1/bootstrap").get_json()["csrf_token"]


def submit_checklist(api, household: str, children: list[str], note: str = "Seen at home",
                     status: str = "submitted") -> str:
    answers = complete_visit(children, note)
    op = sealed_op(api.bootstrap, checklist_payload(household, status=status, answers=answers))
    result = api.push([op]).get_json()["results"][0]
    assert result["status"] == "applied", result
    return op["entity_id"]


def store_flags(checklist_id: int, raised: list[dict]) -> None:
    """Insert a checklist's flags as the rules store them (its earlier ones deleted by
    the caller): the rows the queue filters and counts on."""
    rows = flag_store._flag_rows(checklist_id, raised, keyring=keyring(), at=utcnow())
    if rows:
        db.session.execute(insert(ChecklistFlag), rows)


def set_checklist(app, checklist_id: str, **values) -> None:
    """Change columns directly (flags before the rules engine lands, times in the past)."""
    with app.app_context():
        checklist = db.session.scalars(
            select(Checklist).where(Checklist.uuid == checklist_id)).one()
        for key, value in values.items():
            if key == "flags":
                # As the rules store them: the rows the queue filters and counts on,
                # the summary and the most pressing severity.
                raised = [{"rule": r, "severity": s, "subject": None, "reason": f"{r} (test)"}
                          for r, s in value]
                db.session.execute(delete(ChecklistFlag).where(
                    ChecklistFlag.checklist_id == checklist.id))
                store_flags(checklist.id, raised)
                checklist.flag_rank = flag_store.rank(raised)
                key, value = "flag_summary", json.dumps(
                    [{"rule": r, "severity": s} for r, s in value])
            setattr(checklist, key, value)
        db.session.commit()


def checklist_row(app, checklist_id: str) -> dict:
    with app.app_context():
        checklist = db.session.scalars(
            select(Checklist).where(Checklist.uuid == checklist_id)).one()
        return {"status": checklist.status, "rev": checklist.rev}


def person_id(app, household_id: str, name: str) -> str:
    with app.app_context():
        household = db.session.scalars(
            select(Household).where(Household.uuid == household_id)).one()
        for membership in household.memberships:
            if decrypt_fields(membership.person, keyring=keyring())["names"][0] == name:
                return membership.person.uuid
    raise AssertionError(f"no {name} in {household_id}")


def concern_payload(person: str, child: str, **extra) -> dict:
    return {"person_id": person, "basis": ["allegation_no_outcome", "child_account"],
            "source": "A neighbour", "source_date": "2026-10-01", "verified": False,
            "protect_source": False, "fact_or_opinion": "opinion", "mappa_category": "none",
            "mappa_level": "unknown", "orders": "", "works_with_children": "unknown",
            "contact": {child: "regular_unsupervised"}, **extra}


def apply(api, op_type: str, entity_id: str, payload: dict, base_rev: int = 0) -> dict:
    op = sealed_op(api.bootstrap, payload, entity_id=entity_id, base_rev=base_rev,
                   op_type=op_type)
    return api.push([op]).get_json()["results"][0]


def record_concern(app, api, demo, **extra) -> tuple[str, str]:
    """hv records a concern about Craig Whitfield (Flat 6, with Ava): (concern, person)."""
    household = demo.households[1]
    craig = person_id(app, household, "Craig Whitfield")
    concern = new_id()
    result = apply(api, "concern.put", concern,
                   concern_payload(craig, demo.children[household][0], **extra))
    assert result["status"] == "applied", result
    return concern, craig


def link(api, household: str, person: str,
         residence: str = Residence.VISITS_REGULARLY.value) -> dict:
    return apply(api, "membership.put", new_id(),
                 {"household_id": household, "person_id": person, "residence": residence})


def hold_household(app, username: str, household_id: str) -> None:
    """Put a household on another practitioner's caseload too (as an administrator would)."""
    with app.app_context():
        user = db.session.scalars(select(auth.User).where(auth.User.username == username)).one()
        household = people.household_by_public_id(db.session, household_id)
        people.assign_caseload(db.session, user=user, household=household)
        db.session.commit()


def pull_all(api) -> list[dict]:
    seen, cursor = [], 0
    while True:
        page = api.pull(cursor=cursor).get_json()
        seen += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            return seen


def other_team(app, *, person_name: str = "Rowan Other") -> dict:
    """Southbank: a lead, a health visitor and a household on her caseload."""
    with app.app_context():
        team = auth.get_or_create_team(db.session, name=OTHER_TEAM)
        lead = auth.create_user(db.session, username="lead2", password=OTHER_PASSWORD,
                                role="team_lead", team=team, name="Other Lead")
        hv2 = auth.create_user(db.session, username="hv2", password=OTHER_PASSWORD,
                               role="health_visitor", team=team, name="Other Visitor")
        household = people.create_household(
            db.session, team=team, address="1 Elsewhere Lane, Southbank SB1 1AA",
            members=[MemberSpec(name=person_name, residence=Residence.LIVES_HERE,
                                date_of_birth=date(1980, 1, 1), sex="male"),
                     MemberSpec(name="Robin Other", residence=Residence.LIVES_HERE,
                                date_of_birth=date(2020, 1, 1), is_child=True)],
            keyring=keyring())
        people.assign_caseload(db.session, user=hv2, household=household)
        db.session.commit()
        return {"household": household.uuid, "lead": lead.uuid, "hv": hv2.uuid,
                "child": next(m.person.uuid for m in household.memberships
                              if m.person.is_child),
                "adult": next(m.person.uuid for m in household.memberships
                              if not m.person.is_child)}


def submit_answers(api, household: str, answers: dict, *, template_version: int = 1) -> str:
    """Submit a visit with these answers through the sync API, as a device would."""
    op = sealed_op(api.bootstrap, {**checklist_payload(household, status="submitted",
                                                       answers=answers),
                                   "template_version": template_version})
    result = api.push([op]).get_json()["results"][0]
    assert result["status"] == "applied", result
    return op["entity_id"]


def alerted_households(app, shapes: list[tuple[int, int, int]]) -> None:
    """One household of the lead's team per shape (unacknowledged recipients,
    acknowledged recipients, hours ago the latest alert was raised), each alerted about
    the team's concern: a group on the alerts page, addressed "N Alert Row"."""
    with app.app_context():
        lead = db.session.scalars(select(User).where(User.username == "lead")).one()
        team = db.session.get(Team, lead.team_id)
        concern = db.session.scalars(select(Concern).where(
            Concern.team_id == lead.team_id)).first()
        recipients = db.session.scalars(select(User).where(
            User.team_id == lead.team_id, User.role != "team_lead").order_by(User.id)).all()
        now = utcnow()
        for number, (unacknowledged, acknowledged, hours_ago) in enumerate(shapes):
            assert unacknowledged + acknowledged <= len(recipients)
            household = people.create_household(
                db.session, team=team, address=f"{number} Alert Row", keyring=keyring(),
                members=[MemberSpec(f"Child {number}", Residence.LIVES_HERE, is_child=True)])
            latest = now - timedelta(hours=hours_ago)
            for index, user in enumerate(recipients[:unacknowledged + acknowledged]):
                # The first recipient's alert is the latest; the others a day older.
                raised = latest if index == 0 else latest - timedelta(days=1)
                db.session.add(Alert(
                    user_id=user.id, concern_id=concern.id, household_id=household.id,
                    raised_at=raised,
                    acknowledged_at=raised if index >= unacknowledged else None))
        db.session.commit()
