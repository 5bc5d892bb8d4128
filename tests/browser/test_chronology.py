"""Issue 16 item 2: a child's chronology built from two visits, a child observation
recorded on the tablet, an alert and a lead's decision (with a household change and a
significant event added offline), in date order with their sources, on the tablet
offline and on the lead's page; axe-core clean on both, in portrait and landscape.
The tablet's opening, made offline, reaches the audit trail with the next push."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.api.test_chronology import _visit
from tests.review_support import (
    apply,
    csrf_token,
    new_id,
    record_concern,
    submit_answers,
    web_client,
)
from visitcheck.audit.models import AuditEvent
from visitcheck.extensions import db

from .pages import PASSPHRASE, SLOW, TabletApp, VisitForm
from .test_accessibility import AXE, RUN_AXE, SMALL_CONTROLS, _sign_in

pytestmark = pytest.mark.browser

EXPECTED_ORDER = ["visit", "event", "observation", "visit", "household", "alert", "decision"]
OBSERVED = "Ava drew an adult touching a child and said it was a game"


def _accessibility_problems(page: Page) -> list[str]:
    result = page.evaluate(RUN_AXE)
    assert result["passes"] > 10, "axe-core did not run its rules"
    return ([f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
             for v in result["violations"]]
            + [f"too small: {c}" for c in page.evaluate(SMALL_CONTROLS)])


def _kinds(rows) -> list[str]:
    """The entry kinds in the order shown, each kind once per run (flags and the
    judgement follow their visit)."""
    out: list[str] = []
    for kind in rows.evaluate_all("rows => rows.map(r => r.dataset.kind)"):
        if kind in ("flag", "judgement"):
            continue
        out.append(kind)
    return out


@pytest.mark.parametrize("viewport", [{"width": 768, "height": 1024},
                                      {"width": 1024, "height": 768}],
                         ids=["portrait", "landscape"])
def test_a_chronology_from_two_visits_an_observation_an_alert_and_a_decision_in_date_order(
        live_server, app, demo, api_client, page: Page, viewport):
    page.set_viewport_size(viewport)
    page.context.add_init_script(path=str(AXE))
    household = demo.households[1]
    children = demo.children[household]
    ava = children[0]
    # Recorded on hv's other device: two visits, a concern raising an alert; the lead
    # escalates the second visit.
    other_device = api_client("hv")
    submit_answers(other_device, household, _visit(children, ava, at="2026-10-02T09:15",
                                                   note="Mother and Ava"))
    second = submit_answers(other_device, household, _visit(
        children, ava, at="2026-11-12T14:00", note="Mother, Craig and Ava",
        seen_alone="no_prevented"))
    # A visitor recorded from that device: a change of household membership.
    jay = new_id()
    assert apply(other_device, "person.put", jay, {
        "names": ["Jay Moss"], "aliases": [], "date_of_birth": None, "estimated_age": None,
        "sex": "male", "is_child": False, "children": []})["status"] == "applied"
    assert apply(other_device, "membership.put", new_id(), {
        "household_id": household, "person_id": jay,
        "residence": "visits_regularly"})["status"] == "applied"
    record_concern(app, other_device, demo)
    lead = web_client(app, "lead")
    assert lead.post(f"/review/{second}/decision", data={
        "csrf_token": csrf_token(lead), "rev": "1", "decision": "escalate",
        "procedure": "strategy_discussion", "comment": "Strategy discussion on Monday",
    }).status_code == 302

    tablet = TabletApp(page, live_server.url)
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    tablet.wait_for_households().wait_until_synced()
    tablet.go_offline()

    # A child observation recorded on the tablet, offline (the school nurse's template).
    flat = tablet.household(tablet.household_index("Flat 6"))
    flat.get_by_role("button", name="Quick observation: Ava Whitfield").click()
    form = VisitForm(page)
    expect(page.locator("#form-title")).to_have_text("Child observation")
    page.get_by_label("Date and time of the observation").fill("2026-11-08T10:30")
    form.choose("visit.setting", "school")
    page.get_by_label("Who reported it").fill("Ms Shah, class teacher")
    page.get_by_label("What was observed").fill(OBSERVED)
    page.get_by_label("The child's own words, verbatim").fill("It is our game")
    form.choose("behaviour.traffic_light", "amber")
    form.submit()
    tablet.expect_caseload()

    people = tablet.open_people(tablet.household_index("Flat 6"))
    people.person("Ava").get_by_role("button", name="Chronology").click()
    expect(page.locator("#chronology-title")).to_have_text("Chronology of Ava Whitfield",
                                                           timeout=SLOW)

    # A significant event from school, added offline.
    page.get_by_role("button", name="Add significant event").click()
    page.get_by_label("Date of the event").fill("2026-11-05")
    page.get_by_label("Source: who told you or recorded it").fill("Mrs Patel, class teacher")
    page.get_by_label("Agency", exact=True).fill("Riverside Primary")
    page.get_by_label("What happened").fill("Ava came to school hungry three days running")
    page.get_by_label("Impact on the child").fill("Tired and unable to concentrate")
    page.get_by_label("Action or analysis").fill("Breakfast club offered")
    page.get_by_role("button", name="Save the event").click()
    expect(page.locator("#chronology-message")).to_contain_text("saved on this device")
    expect(tablet.status).to_contain_text("1 chronology event waiting")
    # The opening waits too (for the audit): not in the words, but in the count that
    # warns at sign-out: the observation, the event and the opening.
    assert tablet.waiting() == 3

    rows = page.locator("#people-body tr.entry")
    expect(rows.first).to_be_visible()
    assert _kinds(rows) == EXPECTED_ORDER
    visits = page.locator("#people-body tr.kind-visit")
    expect(visits.nth(0)).to_contain_text("2 October 2026")
    expect(visits.nth(0)).to_contain_text("Asha Patel")
    expect(visits.nth(1)).to_contain_text("not seen alone: prevented")
    expect(page.locator("#people-body tr.kind-event")).to_contain_text(
        "Mrs Patel, class teacher (Riverside Primary)")
    expect(page.locator("#people-body tr.kind-decision")).to_contain_text("Grace Okafor")
    expect(page.locator("#people-body tr.kind-decision")).to_contain_text("escalated")
    expect(page.locator("#people-body tr.kind-alert")).to_contain_text("Craig Whitfield")
    observation = page.locator("#people-body tr.kind-observation")
    expect(observation).to_contain_text("8 November 2026")
    expect(observation).to_contain_text(f"Observed (school): {OBSERVED}")
    expect(observation).to_contain_text("Child observation")
    expect(page.locator("#people-body tr.kind-judgement")).to_contain_text("AMBER")
    household_change = page.locator("#people-body tr.kind-household")
    expect(household_change).to_contain_text(
        "Jay Moss recorded as a member of the household (visits regularly)")
    expect(household_change).to_contain_text("Asha Patel")

    # The filters: November's lead decisions only, then back to everything.
    page.get_by_label("Lead decisions").check()
    expect(rows).to_have_count(1)
    page.get_by_label("Lead decisions").uncheck()
    page.get_by_label("From", exact=True).fill("2026-11-01")
    page.get_by_label("To", exact=True).fill("2026-11-30")
    expect(page.locator("#people-body tr.kind-visit")).to_have_count(1)
    page.get_by_label("From", exact=True).fill("")
    page.get_by_label("To", exact=True).fill("")
    assert _accessibility_problems(page) == []

    # Synced, the lead's page holds the same story, the event and observation included;
    # the opening made offline is in the audit trail as hv's, from the tablet.
    tablet.go_online()
    tablet.sync_now()
    tablet.wait_until_synced()
    with app.app_context():
        openings = [json.loads(e.detail or "{}") | {"device": e.device_id}
                    for e in db.session.scalars(select(AuditEvent).where(
                        AuditEvent.action == "chronology.open", AuditEvent.object_id == ava,
                        AuditEvent.actor_username == "hv"))]
    assert len(openings) == 1, openings
    assert openings[0]["via"] == "tablet"
    # From the tablet, not from the device that recorded the visits.
    assert openings[0]["device"] not in (None, other_device.device_id)
    access = app.test_cli_runner().invoke(args=["audit", "access", "--person", ava])
    assert access.exit_code == 0, access.output
    assert any("hv" in line and "chronology.open" in line and f"person:{ava}" in line
               and f"device {openings[0]['device']}" in line
               for line in access.output.splitlines()), access.output
    _sign_in(page, live_server.url, "lead", demo.PASSWORD)
    response = page.goto(f"{live_server.url}/chronology/{ava}")
    assert response is not None
    assert response.status == 200
    lead_rows = page.locator("tr.entry")
    assert _kinds(lead_rows) == EXPECTED_ORDER
    expect(page.locator("tr.kind-event")).to_contain_text("Breakfast club offered")
    expect(page.locator("tr.kind-decision")).to_contain_text("Strategy discussion on Monday")
    expect(page.locator("tr.kind-observation")).to_contain_text(f"Observed (school): {OBSERVED}")
    expect(page.locator("tr.kind-household")).to_contain_text(
        "Jay Moss recorded as a member of the household (visits regularly)")
    assert _accessibility_problems(page) == []
