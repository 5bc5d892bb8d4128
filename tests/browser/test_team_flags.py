"""The tablet shows the server's flags it could not raise itself (issue 10, item 5):
the team's records hold what this device does not, and a flag raised from them
reaches the practitioner's open visit on the next sync, marked in words as
coming from the team's records."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from visitcheck.auth.models import User
from visitcheck.extensions import db, keyring
from visitcheck.people import service as people

from .pages import SLOW

pytestmark = pytest.mark.browser


def a_person_of_concern_from_another_caseload(live_server, demo) -> None:
    """The school nurse knows Ray Holt: he lives with the Carters (her caseload, not
    the health visitor's), convicted, living with a Carter child; he also visits the
    Lawsons (the health visitor's) regularly. The health visitor's tablet holds the
    Lawsons, Ray and the concern, but not the Carters' household."""
    with live_server.app.app_context():
        session = db.session
        sn = session.scalars(select(User).where(User.uuid == demo.users["sn"])).one()
        lawsons = people.household_by_public_id(session, demo.households[0])
        carters = people.household_by_public_id(session, demo.school_households[0])
        people.assign_caseload(session, user=sn, household=lawsons)
        ray = str(uuid.uuid4())
        people.put_person(session, user=sn, entity_id=ray, base_rev=0, keyring=keyring(),
                          payload={"names": ["Ray Holt"], "is_child": False, "aliases": [],
                                   "children": []})
        for household, residence in [(carters, "lives_here"), (lawsons, "visits_regularly")]:
            people.put_membership(session, user=sn, entity_id=str(uuid.uuid4()), base_rev=0,
                                  keyring=keyring(), payload={
                                      "household_id": household.uuid, "person_id": ray,
                                      "residence": residence})
        people.put_concern(session, user=sn, entity_id=str(uuid.uuid4()), base_rev=0,
                           keyring=keyring(), payload={
                               "person_id": ray, "basis": ["convicted_child_offence"],
                               "source": "Police disclosure", "verified": True,
                               "protect_source": False,
                               "contact": {demo.children[carters.uuid][0]: "lives_with"}})
        session.commit()


def test_the_tablet_shows_a_server_flag_it_did_not_raise_as_from_the_teams_records(
        live_server, demo, tablet):
    a_person_of_concern_from_another_caseload(live_server, demo)
    tablet.sync_now().wait_until_synced()
    form = tablet.start_new_visit(tablet.household_index("14 Alder Row"))
    form.fill_visit_section(present="Kerry, Mia and Leo")
    # Offline, the tablet cannot count the Carters' children: no complex-abuse of its own.
    expect(form.page.locator("#form-flags")).to_be_attached()
    assert "complex-abuse" not in form.shown_flag_rules()

    form.save_draft()  # the draft syncs; the server evaluates it over the team's records
    team_flag = form.page.locator('#form-flags [data-rule="complex-abuse"][data-source="team"]')
    expect(team_flag).to_be_visible(timeout=SLOW)
    expect(team_flag).to_contain_text("From the team's records")
    expect(team_flag).to_contain_text("Ray Holt, a person of concern, is linked to 2 households "
                                      "with children")
    expect(team_flag).to_contain_text("Suggested action:")
    expect(team_flag).to_contain_text("Urgent:")
    # Shown once: as the team's, not also as the tablet's own.
    assert form.page.locator('#form-flags [data-rule="complex-abuse"]').count() == 1
