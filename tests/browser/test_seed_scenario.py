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
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.sealing import sealed_op
from visitcheck.auth.models import User
from visitcheck.checklists import service as checklists
from visitcheck.extensions import db, keyring
from visitcheck.people import service as people
from visitcheck.people.models import CaseloadAssignment, Concern, HouseholdMember, Person

from .pages import PASSPHRASE, SLOW, ReviewSite, TabletApp

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
    family.edit_person("Kerry Lawson", children={"Mia Lawson": mother, "Leo Lawson": mother},
                       same_as_first=True)

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
        same_as_first=True,  # one tap for Leo: "Same as for Mia Lawson"
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


# --- the same scenario, recorded through S3 of the visit (issue 10, one set of facts) ----


def _family_map_known_before_the_visit(api, demo, app) -> tuple[str, str, dict[str, str]]:
    """What an earlier visit recorded (another device of hv's): the grandfather visits
    14 Alder Row regularly and lives at 22 Birch Lane with Ruby. No concern yet.
    Returns (grandfather id, second home id, {child name: id} at Alder Row)."""
    alder = demo.households[0]
    with app.app_context():
        household = people.household_by_public_id(db.session, alder)
        kids = {
            m.person.uuid: people.person_view(db.session, m.person, keyring=keyring())["names"][0]
            for m in household.memberships
            if m.person.is_child
        }
    children = {name: child_id for child_id, name in kids.items()}
    grandfather, ruby, birch = (str(uuid.uuid4()) for _ in range(3))
    link = {
        "relationship": "grandfather",
        "parental_responsibility": "no",
        "cares_unsupervised": True,
        "seen_by_practitioner": False,
        "details_source": "parent",
    }
    person = {
        "names": [GRANDFATHER], "aliases": [], "date_of_birth": None, "estimated_age": 67,
        "sex": "male", "is_child": False,
        "children": [{"child_id": child_id, **link} for child_id in children.values()],
    }
    ops = [
        ("household.put", birch, {"address": SECOND_HOME, "professionals": []}),
        ("person.put", grandfather, person),
        ("person.put", ruby, {"names": [HER_CHILD], "aliases": [], "date_of_birth": "2019-05-04",
                              "estimated_age": None, "sex": "female", "is_child": True,
                              "children": []}),
        ("membership.put", str(uuid.uuid4()),
         {"household_id": birch, "person_id": grandfather, "residence": "lives_here"}),
        ("membership.put", str(uuid.uuid4()),
         {"household_id": birch, "person_id": ruby, "residence": "lives_here"}),
        ("membership.put", str(uuid.uuid4()),
         {"household_id": alder, "person_id": grandfather, "residence": "visits_regularly"}),
    ]
    answers = api.push([
        sealed_op(api.bootstrap, payload, entity_id=entity_id, op_type=op_type)
        for op_type, entity_id, payload in ops
    ]).get_json()["results"]
    assert [a["status"] for a in answers] == ["applied"] * len(ops), answers
    return grandfather, birch, children


def _server_concern(app, person_id: str) -> tuple[int, dict]:
    with app.app_context():
        person = people.person_by_public_id(db.session, person_id)
        concerns = db.session.scalars(select(Concern).where(Concern.person_id == person.id)).all()
        assert len(concerns) == 1, "the S3 facts did not become one concern record"
        return concerns[0].rev, people.concern_view(concerns[0], keyring=keyring())


def test_seed_scenario_recorded_in_s3_only_flags_offline_and_becomes_the_concern_record(
    live_server, demo, page, api_client
):
    grandfather, birch, children = _family_map_known_before_the_visit(
        api_client("hv"), demo, live_server.app
    )
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    app.wait_for_service_worker().wait_for_households().wait_until_synced()
    app.go_offline()
    alder = app.household_index("14 Alder Row")

    # The visit: the police disclosure about the grandfather goes into S3, nowhere else.
    form = app.start_new_visit(alder)
    form.fill_visit_section(present="Kerry, Mia and Leo")
    expect(form.person_group("risky_adults.concerns", GRANDFATHER)).to_have_count(0)
    s3 = form.s3()
    s3.add_person_of_concern(GRANDFATHER)
    s3.record(
        GRANDFATHER,
        basis=["convicted_child_offence"],
        source="Police, under the child sex offender disclosure scheme",
        contact={"Mia Lawson": "regular_unsupervised", "Leo Lawson": "regular_unsupervised"},
    )
    form.answer_for("parents.parents", "Kerry Lawson", "told", "no")

    # Offline, at once: the flags the People screen's concern used to raise.
    poc = form.flag("poc-contact")
    expect(poc).to_have_count(2)  # one per child
    expect(poc.first).to_contain_text(GRANDFATHER)
    expect(poc.first).to_contain_text("regular unsupervised contact")
    expect(form.flag("complex-abuse")).to_contain_text("linked to 2 households with children")
    expect(form.flag("parent-uninformed")).to_contain_text("Kerry Lawson")

    # Saving records the concern on the device; the flags stay, S3 keeps what was typed.
    form.save_draft()
    expect(form.flag("poc-contact")).to_have_count(2)
    expect(form.person_group("risky_adults.concerns", GRANDFATHER)).to_have_count(1)
    shown = form.shown_flag_rules()
    assert {"poc-contact", "complex-abuse", "parent-uninformed"} <= shown, shown
    form.submit()
    app.expect_caseload()
    checklist_id = app.visits(alder).first.get_attribute("data-entity")

    app.go_online()
    app.wait_until_synced(timeout=SLOW)
    status, server_rules = _server_flag_rules(live_server.app, checklist_id)
    assert status == "submitted"
    assert server_rules == shown, (server_rules, shown)

    # The concern record on the server holds the S3 facts.
    rev, concern = _server_concern(live_server.app, grandfather)
    assert rev == 1
    assert concern["basis"] == ["convicted_child_offence"]
    assert concern["source"] == "Police, under the child sex offender disclosure scheme"
    assert concern["contact"] == {
        children["Mia Lawson"]: "regular_unsupervised",
        children["Leo Lawson"]: "regular_unsupervised",
    }

    # The team lead's page for the checklist shows the same flags.
    lead_page = page.context.browser.new_page()
    try:
        ReviewSite(lead_page, live_server.url).sign_in("lead", demo.PASSWORD)
        lead_page.goto(f"{live_server.url}/review/{checklist_id}")
        flags = lead_page.locator("section[aria-labelledby=flags-heading] li.flag-item")
        for words in ("Complex abuse", "Parent uninformed"):
            expect(flags.filter(has_text=words)).to_have_count(1)
        # One line per child, each naming the child and the grandfather.
        poc = flags.filter(has_text="Poc contact")
        expect(poc).to_have_count(2)
        for child in ("Mia Lawson", "Leo Lawson"):
            expect(poc.filter(has_text=child)).to_have_count(1)
        expect(poc.filter(has_text=GRANDFATHER)).to_have_count(2)
    finally:
        lead_page.close()

    # Another practitioner with the family on their caseload pulls the same facts.
    with live_server.app.app_context():
        household = people.household_by_public_id(db.session, demo.households[0])
        user = db.session.scalar(select(User).where(User.username == "sn"))
        people.assign_caseload(db.session, user=user, household=household)
        db.session.commit()
    pulled = _pulled(api_client("sn"))
    theirs = [data for (kind, _), data in pulled.items() if kind == "concern"
              and data["person_id"] == grandfather]
    assert len(theirs) == 1
    assert theirs[0]["basis"] == ["convicted_child_offence"]
    assert theirs[0]["contact"][children["Leo Lawson"]] == "regular_unsupervised"
    assert birch in {h["household_id"] for h in pulled[("person", grandfather)]["households"]}


def _pulled(api) -> dict[tuple[str, str], dict]:
    latest, cursor = {}, 0
    while True:
        page = api.pull(cursor=cursor).get_json()
        for change in page["changes"]:
            latest[(change["type"], change["entity_id"])] = change["data"]
        cursor = page["cursor"]
        if not page["more"]:
            return latest
