"""The seed scenario of issue 3, offline from start to finish in real Chromium.

A grandfather with a conviction for an offence against a child visits the
family's home weekly and lives in a second household with children; the
mother has not been told of the risk. Before any sync the form shows
`poc-contact` (urgent), `parent-uninformed` and, once the second household is
linked, `complex-abuse`; after going online and syncing, the server's record
of the checklist carries the same flags. People are entities: the grandfather
is one record linked to both households.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from visitcheck.checklists import service as checklists
from visitcheck.extensions import db
from visitcheck.people import service as people
from visitcheck.people.models import CaseloadAssignment, HouseholdMember, Person

from .pages import PASSPHRASE, SLOW, TabletApp

pytestmark = pytest.mark.browser

GRANDFATHER = "Ray Lawson"
SECOND_HOME = "22 Birch Lane, Southfield SF2 9QA"
HER_CHILD = "Ruby Moss"


def _one_person_two_homes(app, person_id: str) -> tuple[int, set[str]]:
    """How many Person rows have this id, and the households they are linked to."""
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Person).where(Person.uuid == person_id)
        )
        person = people.person_by_public_id(db.session, person_id)
        homes = {
            m.household.uuid
            for m in db.session.scalars(
                select(HouseholdMember).where(HouseholdMember.person_id == person.id)
            )
        }
        return count, homes


def _server_flag_rules(app, checklist_id: str) -> tuple[str, set[str]]:
    with app.app_context():
        checklist = checklists.checklist_by_public_id(db.session, checklist_id)
        assert checklist is not None, "the checklist never reached the server"
        summary = json.loads(checklist.flag_summary or "[]")
        return checklist.status, {flag["rule"] for flag in summary}


def test_seed_scenario_offline_flags_match_the_servers_after_sync(live_server, demo, page):
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    app.wait_for_service_worker().wait_for_households()
    app.go_offline()
    expect(app.status).to_contain_text("Offline")
    alder = app.household_index("14 Alder Row")

    # The mother holds parental responsibility for both children.
    family = app.open_people(alder)
    expect(family.address).to_contain_text("14 Alder Row")
    mother = {
        "relationship": "mother",
        "parental_responsibility": "yes",
        "cares_unsupervised": True,
        "seen_by_practitioner": True,
        "details_source": "self",
    }
    family.edit_person("Kerry Lawson", children={"Mia Lawson": mother, "Leo Lawson": mother})

    # The grandfather, an adult who visits the home weekly, recorded once.
    grandad = {
        "relationship": "grandfather",
        "parental_responsibility": "no",
        "cares_unsupervised": True,
        "seen_by_practitioner": False,
        "details_source": "parent",
    }
    family.add_person(
        name=GRANDFATHER,
        child=False,
        sex="male",
        estimated_age=67,
        residence="visits_regularly",
        children={"Mia Lawson": grandad, "Leo Lawson": grandad},
    )
    expect(family.person(GRANDFATHER)).to_contain_text("visits regularly")
    family.record_concern(
        GRANDFATHER,
        basis=["convicted_child_offence"],
        source="Police, under the child sex offender disclosure scheme",
        source_date="2019-03-01",
        verified=True,
        protect_source=False,
        fact_or_opinion="fact",
        mappa_category="unknown",
        mappa_level="unknown",
        works_with_children="no",
        contact={"Mia Lawson": "regular_unsupervised", "Leo Lawson": "regular_unsupervised"},
    )
    expect(family.person(GRANDFATHER)).to_contain_text("person of concern")
    grandfather_id = family.person_id(GRANDFATHER)
    family.back()
    app.expect_caseload()

    # The visit: the mother has not been told of the risk.
    form = app.start_new_visit(alder)
    form.fill_visit_section(present="Kerry, Mia and Leo")
    expect(form.person_group("parents.parents", "Kerry Lawson")).to_have_count(1)
    expect(form.person_group("parents.parents", GRANDFATHER)).to_have_count(0)
    expect(form.person_group("risky_adults.concerns", GRANDFATHER)).to_have_count(1)
    form.answer_for("parents.parents", "Kerry Lawson", "told", "no")

    poc = form.flag("poc-contact")
    expect(poc.first).to_be_visible()
    expect(poc).to_have_count(2)  # one per child
    expect(poc.first).to_contain_text("Urgent:")
    expect(poc.first).to_contain_text(GRANDFATHER)
    expect(poc.first).to_contain_text("regular unsupervised contact")
    expect(form.flag("parent-uninformed")).to_contain_text("Kerry Lawson")
    expect(form.flag("complex-abuse")).to_have_count(0)

    # He also lives in a second household, with a child of its own.
    family = form.open_people()
    family.link_to_household(GRANDFATHER, new_address=SECOND_HOME, residence="lives_here")
    expect(family.address).to_have_text(SECOND_HOME)
    family.add_person(
        name=HER_CHILD, child=True, date_of_birth="2019-05-04", sex="female", residence="lives_here"
    )
    expect(family.person(GRANDFATHER)).to_contain_text("lives here")
    family.back()

    complex_abuse = form.flag("complex-abuse")
    expect(complex_abuse).to_be_visible()
    expect(complex_abuse).to_contain_text("Urgent:")
    expect(complex_abuse).to_contain_text("linked to 2 households with children")
    expect(form.field("visit.present")).to_have_value("Kerry, Mia and Leo")
    shown = form.shown_flag_rules()
    assert {"poc-contact", "parent-uninformed", "complex-abuse"} <= shown, shown

    form.submit()
    app.expect_caseload()
    checklist_id = app.visits(alder).first.get_attribute("data-entity")
    assert app.waiting() > 1  # the visit and the people, all waiting in the outbox
    expect(app.households().filter(has_text=SECOND_HOME)).to_have_count(1)

    # Online: everything syncs, and the server's flags are the ones the form showed.
    app.go_online()
    app.wait_until_synced(timeout=SLOW)
    expect(app.page.locator('#sync-status[data-waiting="0"]')).to_be_attached()
    status, server_rules = _server_flag_rules(live_server.app, checklist_id)
    assert status == "submitted"
    assert server_rules == shown, (server_rules, shown)

    count, homes = _one_person_two_homes(live_server.app, grandfather_id)
    assert count == 1
    assert len(homes) == 2
    assert demo.households[0] in homes


def test_a_person_linked_to_two_households_is_one_record_on_the_server(live_server, demo, page):
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    app.wait_for_service_worker().wait_for_households()
    app.go_offline()
    alder = app.household_index("14 Alder Row")
    beech = app.household_address(app.household_index("Beech House"))

    family = app.open_people(alder)
    family.add_person(name="Sam Lawson", child=False, sex="male", residence="overnight_weekly")
    person_id = family.person_id("Sam Lawson")
    family.link_to_household(
        "Sam Lawson", existing_address="Beech House", residence="visits_regularly"
    )
    expect(family.address).to_have_text(beech)
    expect(family.person("Sam Lawson")).to_contain_text("visits regularly")
    expect(family.person("Sam Lawson")).to_contain_text("14 Alder Row")
    family.back()
    app.expect_caseload()

    app.go_online()
    app.wait_until_synced(timeout=SLOW)

    count, homes = _one_person_two_homes(live_server.app, person_id)
    assert count == 1
    assert homes == {demo.households[0], demo.households[1]}
    with live_server.app.app_context():
        person = people.person_by_public_id(db.session, person_id)
        links = db.session.scalars(
            select(HouseholdMember).where(HouseholdMember.person_id == person.id)
        ).all()
        assert len(links) == 2
        assert {link.residence for link in links} == {"overnight_weekly", "visits_regularly"}
        hv = db.session.scalar(
            select(CaseloadAssignment.user_id).where(
                CaseloadAssignment.household_id == links[0].household_id
            )
        )
        assert hv is not None
