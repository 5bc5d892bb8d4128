"""The quick child observation on the tablet (issue 16 item 3), in portrait at 768x1024:
a school nurse records one offline from her caseload, sees `red-behaviour` in words at
once, syncs, and the lead's queue and checklist page show the observation with the flag;
axe-core finds nothing on the observation form (portrait and landscape)."""

from __future__ import annotations

import json
from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import Page, expect

from visitcheck.checklists import service as checklists
from visitcheck.extensions import db

from .pages import PASSPHRASE, SLOW, ReviewSite, TabletApp, VisitForm

pytestmark = pytest.mark.browser

PORTRAIT = {"width": 768, "height": 1024}
LANDSCAPE = {"width": 1024, "height": 768}
SCHOOL = "27 Damson Street"
OBSERVED = "Seen in the playground acting out a sexual act with another child."
AXE = Path(axe_playwright_python.__file__).parent / "axe.min.js"

RUN_AXE = """
async () => {
  const result = await axe.run(document.querySelector("#screen-form"));
  return {
    passes: result.passes.length,
    violations: result.violations.map(v => ({
      id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
    })),
  };
}
"""

SMALL_CONTROLS = """
() => [...document.querySelectorAll(
    "#screen-form input, #screen-form textarea, #screen-form button, #households button")]
  .filter(el => el.offsetParent !== null)
  .map(el => {
    const box = el.getBoundingClientRect();
    const small = el.type === "checkbox" || el.type === "radio" ? box.height < 24 : box.height < 44;
    return small ? `${el.tagName} ${el.name || el.textContent.trim()}: ${box.height}px` : null;
  })
  .filter(Boolean)
"""


def _school_nurse(page: Page, base_url: str, password: str,
                  viewport: dict = PORTRAIT) -> TabletApp:
    page.set_viewport_size(viewport)
    app = TabletApp(page, base_url)
    app.sign_in("sn", password).set_passphrase(PASSPHRASE)
    app.wait_for_households().wait_until_synced()
    return app


def _start_observation(app: TabletApp, child: str) -> VisitForm:
    home = app.household(app.household_index(SCHOOL))
    home.get_by_role("button", name=f"Quick observation: {child}").click()
    form = VisitForm(app.page)
    expect(form.save_button).to_be_visible()
    expect(app.page.locator("#form-title")).to_have_text("Child observation")
    return form


def _server_checklist(app, checklist_id: str) -> tuple[str, str, set[str]]:
    with app.app_context():
        checklist = checklists.checklist_by_public_id(db.session, checklist_id)
        assert checklist is not None, "the observation never reached the server"
        rules = {f["rule"] for f in json.loads(checklist.flag_summary or "[]")}
        return checklist.template, checklist.status, rules


def test_a_red_observation_made_offline_shows_urgent_red_behaviour_and_reaches_the_lead(
        live_server, demo, page, browser):
    app = _school_nurse(page, live_server.url, demo.PASSWORD)
    app.go_offline()
    expect(app.status).to_contain_text("Offline")

    form = _start_observation(app, "Skye Carter")
    child = page.locator('input[name="visit.child"]:checked')
    expect(child).to_have_count(1)
    expect(page.locator(f'label[for="{child.get_attribute("id")}"]')).to_have_text("Skye Carter")
    when = page.get_by_label("Date and time of the observation")
    expect(when).not_to_have_value("")  # now, to save her the typing
    when.fill("2026-11-20T10:30")
    # Skye was born on 22 May 2013: Brook's 13–17 band on the day.
    expect(page.locator('[data-path="behaviour.age_band"] .age-band-value')).to_have_text(
        "13\u201317")
    form.choose("visit.setting", "school")
    page.get_by_label("Who reported it").fill("Ms Shah, class teacher")
    page.get_by_label("What was observed").fill(OBSERVED)
    page.get_by_label("The child's own words, verbatim").fill("Uncle says it is our game")
    expect(form.flag("red-behaviour")).to_have_count(0)
    form.choose("behaviour.traffic_light", "red")

    flag = form.flag("red-behaviour")
    expect(flag).to_be_visible()
    expect(flag).to_contain_text("Urgent:")
    expect(flag).to_contain_text("Skye Carter: red traffic-light sexual behaviour.")
    form.submit()
    app.expect_caseload()
    home = app.household_index(SCHOOL)
    observation = app.visits(home).first
    expect(observation).to_contain_text("Observation")
    checklist_id = observation.get_attribute("data-entity")
    assert app.waiting() >= 1

    app.go_online()
    app.sync_now()
    app.wait_until_synced(timeout=SLOW)
    template, status, rules = _server_checklist(live_server.app, checklist_id)
    assert (template, status) == ("child-observation", "submitted")
    assert "red-behaviour" in rules

    lead_context = browser.new_context(viewport=PORTRAIT)
    try:
        lead_page = lead_context.new_page()
        review = ReviewSite(lead_page, live_server.url).sign_in("lead", demo.PASSWORD)
        review.open_queue()
        row = review.row_for(SCHOOL)
        expect(row).to_contain_text("Child observation")
        expect(row).to_contain_text("Urgent:")
        expect(row).to_contain_text("Red behaviour")
        review.open_checklist(SCHOOL)
        expect(lead_page.get_by_role("heading", level=1)).to_contain_text("Child observation")
        for shown in ("Skye Carter", OBSERVED, "Uncle says it is our game", "Red: act now",
                      "Ms Shah, class teacher", "Red behaviour"):
            expect(lead_page.locator("main")).to_contain_text(shown)
    finally:
        lead_context.close()


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_the_observation_form_has_no_accessibility_violations(live_server, demo, page,
                                                              viewport):
    page.context.add_init_script(path=str(AXE))
    app = _school_nurse(page, live_server.url, demo.PASSWORD, viewport)
    app.go_offline()
    form = _start_observation(app, "Jayden Carter")
    form.choose("visit.setting", "other")  # opens "Where"
    form.choose("behaviour.traffic_light", "red")  # the live flag is part of the screen
    expect(form.flag("red-behaviour")).to_be_visible()
    page.get_by_role("button", name="Add to Actions").click()

    result = page.evaluate(RUN_AXE)

    assert result["passes"] > 5, "axe-core did not run"
    problems = [f"{v['id']}: {v['help']} at {v['nodes']}" for v in result["violations"]]
    problems += page.evaluate(SMALL_CONTROLS)
    assert problems == []
