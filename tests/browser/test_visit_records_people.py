"""One set of facts (issue 10 item 1) on the tablet: what S2 and S3 of a visit say
about people is recorded on the people themselves, offline, and reaches the server
as the same entities the People screen makes."""

from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.sealing import sealed_op
from visitcheck.checklists import service as checklists
from visitcheck.extensions import db, keyring
from visitcheck.keys import decrypt_fields
from visitcheck.people import service as people
from visitcheck.people.models import Concern, HouseholdMember, Person

from .pages import PASSPHRASE, SLOW, TabletApp

pytestmark = pytest.mark.browser

JAY = "Tall man who called himself Jay"


def _server_person(app, person_id: str) -> tuple[int, dict, list[tuple[str, str]]]:
    """How many rows have this id, the person as pulled, and their (household, residence)."""
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Person).where(Person.uuid == person_id)
        )
        person = people.person_by_public_id(db.session, person_id)
        assert person is not None, "the person recorded in S2 never reached the server"
        view = people.person_view(db.session, person, keyring=keyring())
        links = [
            (m.household.uuid, m.residence)
            for m in db.session.scalars(
                select(HouseholdMember).where(HouseholdMember.person_id == person.id)
            )
        ]
        return count, view, links


def test_a_new_member_who_refused_details_becomes_a_person_of_the_household(
    tablet, live_server, demo
):
    app = tablet.go_offline()
    alder = app.household_index("14 Alder Row")
    form = app.start_new_visit(alder)
    form.fill_visit_section(present="Kerry, Mia, Leo and a man who would not give his name")
    key = form.add_new_member(
        names=JAY,
        is_child=False,
        residence="visits_regularly",
        relationship="mother's friend",
        cares_unsupervised=True,
        details_source="refused",
        details_description="Tall, shaved head, visits on Fridays",
    )
    # The rules see him at once, offline, before any save: he refused details.
    unseen = form.flag("unseen-adult").filter(has_text=JAY)
    expect(unseen).to_have_count(1)
    expect(unseen).to_contain_text("refused to give their details")
    expect(app.status).to_have_attribute("data-waiting", "0")

    form.save_draft()
    # Now a person of the household: still flagged ...
    expect(unseen).to_have_count(1)
    # ... S2 lists him as a member, and S3 offers him as someone to record a concern about.
    expect(form.person_group("household.members", JAY)).to_have_count(1)
    chooser = app.page.locator('[data-path="risky_adults.concerns"] .add-person select')
    expect(chooser.locator("option", has_text=JAY)).to_have_count(1)
    expect(app.status).to_have_attribute("data-waiting", "3")  # person, link, visit
    # The status line counts what a person counts (issue 16 item 4), not the three ops.
    expect(app.status).to_contain_text("Offline · 1 visit, 1 person waiting")

    # Saving again changes nothing and sends nothing new; an edit updates the same person.
    form.save_draft()
    expect(app.status).to_have_attribute("data-waiting", "3")
    form.fill_new_member(key, relationship="mother's partner")
    form.save_draft()
    expect(app.status).to_have_attribute("data-waiting", "3")  # the unsent person.put replaced
    app.back_to_list()
    visit_id = app.visits(alder).first.get_attribute("data-entity")
    # An edit on the People screen keeps where he was first recorded.
    family = app.open_people(alder)
    family.edit_person(JAY, estimated_age=35)
    family.back()
    app.expect_caseload()

    app.go_online()
    app.wait_until_synced(timeout=SLOW)
    count, person, links = _server_person(live_server.app, key)
    assert count == 1
    assert person["names"] == [JAY]
    assert person["estimated_age"] == 35
    assert person["recorded_at_visit"] == visit_id
    assert links == [(demo.households[0], "visits_regularly")]
    kids = set(demo.children[demo.households[0]])
    assert {link["child_id"] for link in person["children"]} == kids
    for link in person["children"]:
        assert link["details_source"] == "refused"
        assert link["details_description"] == "Tall, shaved head, visits on Fridays"
        assert link["relationship"] == "mother's partner"
        assert link["cares_unsupervised"] is True
    with live_server.app.app_context():
        checklist = checklists.checklist_by_public_id(db.session, visit_id)
        assert checklist is not None


def test_s3_opens_from_the_concern_and_a_change_there_is_a_new_revision_of_it(
    tablet, live_server, demo
):
    app = tablet
    alder = app.household_index("14 Alder Row")
    family = app.open_people(alder)
    family.add_person(name="Ray Lawson", child=False, sex="male", residence="visits_regularly")
    family.record_concern(
        "Ray Lawson",
        basis=["convicted_child_offence"],
        source="Police disclosure",
        works_with_children="no",
        contact={"Mia Lawson": "supervised", "Leo Lawson": "supervised"},
    )
    ray = family.person_id("Ray Lawson")
    family.back()
    app.expect_caseload().wait_until_synced(timeout=SLOW)
    app.go_offline()

    form = app.start_new_visit(alder)
    s3 = form.s3()
    base = f"risky_adults.concerns.{s3.key('Ray Lawson')}"
    # Pre-filled from the concern record: nobody types the same facts twice.
    expect(form.field(f"{base}.source")).to_have_value("Police disclosure")
    expect(
        app.page.locator(f'input[name="{base}.basis"][value="convicted_child_offence"]')
    ).to_be_checked()
    expect(
        app.page.locator(f'input[name="{base}.works_with_children"][value="no"]')
    ).to_be_checked()
    form.fill_visit_section(present="Kerry, Mia and Leo")
    form.save_draft()
    expect(app.status).to_have_attribute("data-waiting", "1")  # the visit only: S3 unchanged

    s3.record("Ray Lawson", basis=["police_probation_intelligence"],
              contact={"Leo Lawson": "regular_unsupervised"})
    form.save_draft()
    expect(app.status).to_have_attribute("data-waiting", "2")  # and the concern
    form.submit()
    app.expect_caseload()

    app.go_online()
    app.wait_until_synced(timeout=SLOW)
    with live_server.app.app_context():
        person = people.person_by_public_id(db.session, ray)
        concern = db.session.scalars(select(Concern).where(Concern.person_id == person.id)).one()
        view = people.concern_view(concern, keyring=keyring())
    assert concern.rev == 2
    assert sorted(view["basis"]) == ["convicted_child_offence", "police_probation_intelligence"]
    assert view["source"] == "Police disclosure"
    assert view["works_with_children"] == "no"
    mia, leo = demo.children[demo.households[0]]
    assert view["contact"] == {mia: "supervised", leo: "regular_unsupervised"}


def test_an_s3_edit_from_a_stale_revision_of_the_concern_is_a_conflict_shown_to_the_user(
    live_server, demo, page, api_client
):
    other_device = api_client("hv")
    household = demo.households[0]
    ray, concern = str(uuid.uuid4()), str(uuid.uuid4())
    facts = {"person_id": ray, "basis": ["convicted_child_offence"], "source": "Police disclosure"}
    for op_type, entity_id, payload in (
        ("person.put", ray, {"names": ["Ray Lawson"], "is_child": False}),
        ("membership.put", str(uuid.uuid4()),
         {"household_id": household, "person_id": ray, "residence": "visits_regularly"}),
        ("concern.put", concern, facts),
    ):
        op = sealed_op(other_device.bootstrap, payload, entity_id=entity_id, op_type=op_type)
        assert other_device.push([op]).get_json()["results"][0]["status"] == "applied"
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    app.wait_for_households().wait_until_synced()
    app.go_offline()

    # Meanwhile, on the other device, the source is corrected (revision 2).
    newer = {**facts, "source": "Police disclosure, confirmed by probation"}
    op = sealed_op(other_device.bootstrap, newer, entity_id=concern, base_rev=1,
                   op_type="concern.put")
    assert other_device.push([op]).get_json()["results"][0]["rev"] == 2

    form = app.start_new_visit(app.household_index("14 Alder Row"))
    base = f"risky_adults.concerns.{form.s3().key('Ray Lawson')}"
    expect(form.field(f"{base}.source")).to_have_value("Police disclosure")
    form.field(f"{base}.source").fill("Police disclosure and MAPPA meeting")
    form.save_draft()
    app.back_to_list()
    app.go_online()

    expect(app.status).to_have_attribute("data-attention", "1", timeout=SLOW)
    expect(app.page.locator("#attention")).to_contain_text("concern")
    row = app.page.locator('#attention .conflict tr[data-field="source"]')
    expect(row.locator(".conflict-mine")).to_have_text("Police disclosure and MAPPA meeting")
    expect(row.locator(".conflict-theirs")).to_have_text(
        "Police disclosure, confirmed by probation"
    )
    app.page.get_by_role("button", name="Keep my version").click()
    expect(app.status).to_have_attribute("data-attention", "0")
    app.wait_until_synced()
    with live_server.app.app_context():
        stored = people.concern_by_public_id(db.session, concern)
        view = people.concern_view(stored, keyring=keyring())
        assert (view["source"], stored.rev) == ("Police disclosure and MAPPA meeting", 3)


def test_submitting_refuses_a_concern_s3_cannot_record_yet_and_says_where(tablet):
    app = tablet.go_offline()
    form = app.start_new_visit(app.household_index("14 Alder Row"))
    form.fill_visit_section(present="Kerry, Mia and Leo")
    s3 = form.s3()
    s3.add_person_of_concern("Kerry Lawson")
    s3.record("Kerry Lawson", contact={"Mia Lawson": "lives_with"})
    form.save_draft()
    expect(app.page.locator("#form-message")).to_contain_text(
        "What S3 says about Kerry Lawson is not recorded as a concern yet: add a basis."
    )
    expect(app.status).to_have_attribute("data-waiting", "1")  # the visit, no concern

    form.submit()
    base = f"risky_adults.concerns.{s3.key('Kerry Lawson')}"
    expect(form.error_at(f"{base}.basis")).to_contain_text("Basis of the concern (Kerry Lawson)")
    expect(form.error_at(f"{base}.source")).to_contain_text("Source (Kerry Lawson)")
    expect(form.save_button).to_be_visible()  # still on the form, nothing submitted


def test_s3_does_not_copy_a_protected_source_into_the_visit(tablet, live_server, demo):
    app = tablet
    alder = app.household_index("14 Alder Row")
    family = app.open_people(alder)
    family.add_person(name="Ray Lawson", child=False, sex="male", residence="visits_regularly")
    family.record_concern("Ray Lawson", basis=["family_community_report"],
                          source="His sister, who fears him", protect_source=True)
    family.back()
    app.expect_caseload().wait_until_synced(timeout=SLOW)

    form = app.start_new_visit(alder)
    base = f"risky_adults.concerns.{form.s3().key('Ray Lawson')}"
    expect(app.page.locator(f'input[name="{base}.protect_source"][value="true"]')).to_be_checked()
    expect(form.field(f"{base}.source")).to_have_value("")
    form.fill_visit_section(present="Kerry, Mia and Leo")
    form.submit()
    app.expect_caseload()
    visit_id = app.visits(alder).first.get_attribute("data-entity")
    app.wait_until_synced(timeout=SLOW)

    with live_server.app.app_context():
        checklist = checklists.checklist_by_public_id(db.session, visit_id)
        assert checklist is not None
        stored = json.dumps(decrypt_fields(checklist, keyring=keyring()))
        concern = db.session.scalars(select(Concern)).one()
        assert concern.rev == 1  # nothing changed in S3, nothing sent
    assert "His sister" not in stored
    assert "Protected source" not in stored


def test_a_members_new_residence_in_s2_moves_their_link(tablet, live_server, demo):
    app = tablet.go_offline()
    alder = app.household_index("14 Alder Row")
    form = app.start_new_visit(alder)
    form.fill_visit_section(present="Kerry, Mia and Leo")
    kerry = form.person_group("household.members", "Kerry Lawson").get_attribute("data-key")
    form.choose(f"household.members.{kerry}.residence", "stays_occasionally")
    form.save_draft()
    expect(app.status).to_have_attribute("data-waiting", "2")  # the link and the visit
    form.save_draft()
    expect(app.status).to_have_attribute("data-waiting", "2")  # nothing new: not changed again
    app.back_to_list()
    expect(app.household(alder)).to_contain_text("1 adult")  # still a member here

    app.go_online()
    app.wait_until_synced(timeout=SLOW)
    with live_server.app.app_context():
        person = people.person_by_public_id(db.session, kerry)
        links = db.session.scalars(
            select(HouseholdMember).where(HouseholdMember.person_id == person.id)
        ).all()
        assert [(link.household.uuid, link.residence) for link in links] == [
            (demo.households[0], "stays_occasionally")
        ]


def test_an_adult_first_recorded_in_s2_with_a_conviction_recorded_in_s3_raises_poc_contact(
    tablet, live_server, demo
):
    """The whole scenario in one visit, offline: S2 records the grandfather, S3 what
    the police disclosed; the flags show at once and the server raises the same."""
    app = tablet.go_offline()
    alder = app.household_index("14 Alder Row")
    form = app.start_new_visit(alder)
    form.fill_visit_section(present="Kerry, Mia and Leo")
    ray = form.add_new_member(
        names="Ray Lawson", is_child=False, sex="male", estimated_age=67,
        residence="visits_regularly", relationship="grandfather",
        parental_responsibility="no", cares_unsupervised=True, details_source="parent",
    )
    form.save_draft()
    s3 = form.s3()
    s3.add_person_of_concern("Ray Lawson")
    assert s3.key("Ray Lawson") == ray  # the S2 row's key is the person
    s3.record("Ray Lawson", basis=["convicted_child_offence"], source="Police disclosure",
              contact={"Mia Lawson": "regular_unsupervised", "Leo Lawson": "overnight"})
    form.answer_for("parents.parents", "Kerry Lawson", "told", "no")

    expect(form.flag("poc-contact")).to_have_count(2)
    expect(form.flag("poc-contact").last).to_contain_text("overnight stays")
    expect(form.flag("parent-uninformed")).to_contain_text("Kerry Lawson")
    shown = form.shown_flag_rules()
    form.submit()
    app.expect_caseload()
    visit_id = app.visits(alder).first.get_attribute("data-entity")

    app.go_online()
    app.wait_until_synced(timeout=SLOW)
    with live_server.app.app_context():
        checklist = checklists.checklist_by_public_id(db.session, visit_id)
        assert checklist is not None
        server_rules = {flag["rule"] for flag in json.loads(checklist.flag_summary or "[]")}
        person = people.person_by_public_id(db.session, ray)
        concern = db.session.scalars(select(Concern).where(Concern.person_id == person.id)).one()
        view = people.concern_view(concern, keyring=keyring())
    assert checklist.status == "submitted"
    assert {"poc-contact", "parent-uninformed"} <= shown
    assert server_rules == shown, (server_rules, shown)
    mia, leo = demo.children[demo.households[0]]
    assert view["contact"] == {mia: "regular_unsupervised", leo: "overnight"}


def test_a_fact_cleared_in_s3_is_cleared_on_the_device_s_concern_too(tablet):
    app = tablet
    alder = app.household_index("14 Alder Row")
    family = app.open_people(alder)
    family.add_person(name="Ray Lawson", child=False, sex="male", residence="visits_regularly")
    family.record_concern("Ray Lawson", basis=["charged"], source="Police",
                          orders="Bail: no contact with children")
    family.back()
    app.expect_caseload().go_offline()

    form = app.start_new_visit(alder)
    orders = form.field(f"risky_adults.concerns.{form.s3().key('Ray Lawson')}.orders")
    expect(orders).to_have_value("Bail: no contact with children")
    orders.fill("")  # bail ended
    form.save_draft()
    app.back_to_list()

    form = app.open_visit(alder, 0)
    orders = form.field(f"risky_adults.concerns.{form.s3().key('Ray Lawson')}.orders")
    expect(orders).to_have_value("")
    family = form.open_people()
    family.person("Ray Lawson").get_by_role("button", name="Edit the concern").click()
    expect(app.page.locator("#concern-form").get_by_label("Orders or conditions")).to_have_value("")
