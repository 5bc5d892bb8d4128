"""Screenshots for the README, taken from the real app in Debian's Chromium.

Not part of the test suite: `make screenshots` runs it with the suite's
fixtures (a fresh database with the demo team, the app on 127.0.0.1) and
writes the PNGs beside this file. It walks the seed scenario of issue 3.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.pages import SLOW, ReviewSite, TabletApp

HERE = Path(__file__).resolve().parent
PASSPHRASE = "correct horse battery"


def _shot(page, name: str) -> None:
    page.screenshot(path=str(HERE / f"{name}.png"), full_page=False)


def test_take_screenshots(live_server, demo, page, browser):
    page.set_viewport_size({"width": 1024, "height": 768})
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    app.wait_for_service_worker().wait_for_households()
    app.go_offline()
    expect(app.status).to_contain_text("Offline")
    _shot(page, "tablet-caseload-offline")

    alder = app.household_index("14 Alder Row")
    family = app.open_people(alder)
    mother = {"relationship": "mother", "parental_responsibility": "yes",
              "cares_unsupervised": True, "seen_by_practitioner": True, "details_source": "self"}
    family.edit_person("Kerry Lawson", children={"Mia Lawson": mother, "Leo Lawson": mother})
    grandad = {"relationship": "grandfather", "parental_responsibility": "no",
               "cares_unsupervised": True, "seen_by_practitioner": False,
               "details_source": "parent"}
    family.add_person(name="Ray Lawson", child=False, sex="male", estimated_age=67,
                      residence="visits_regularly",
                      children={"Mia Lawson": grandad, "Leo Lawson": grandad})
    family.record_concern(
        "Ray Lawson", basis=["convicted_child_offence"],
        source="Police, under the child sex offender disclosure scheme",
        source_date="2019-03-01", verified=True, protect_source=False, fact_or_opinion="fact",
        mappa_category="unknown", mappa_level="unknown", works_with_children="no",
        contact={"Mia Lawson": "regular_unsupervised", "Leo Lawson": "regular_unsupervised"})
    _shot(page, "tablet-people")
    family.back()

    form = app.start_new_visit(alder)
    form.fill_visit_section(present="Kerry, Mia and Leo")
    form.answer_for("parents.parents", "Kerry Lawson", "told", "no")
    expect(form.flag("poc-contact").first).to_be_visible()
    page.locator("#form-flags").scroll_into_view_if_needed()
    _shot(page, "tablet-flags-offline")

    family = form.open_people()
    family.link_to_household("Ray Lawson", new_address="22 Birch Lane, Southfield SF2 9QA",
                             residence="lives_here")
    family.add_person(name="Ruby Moss", child=True, date_of_birth="2019-05-04", sex="female",
                      residence="lives_here")
    family.back()
    expect(form.flag("complex-abuse")).to_be_visible()
    form.submit()
    app.expect_caseload()
    app.go_online()
    app.wait_until_synced(timeout=SLOW)

    lead_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    review = ReviewSite(lead_page, live_server.url).sign_in("lead", demo.PASSWORD)
    review.open_queue()
    _shot(lead_page, "review-queue")
    review.open_checklist("14 Alder Row")
    expect(lead_page.locator("h1")).to_contain_text("14 Alder Row")
    _shot(lead_page, "review-checklist")
    lead_page.goto(f"{live_server.url}/map/{demo.households[0]}")
    expect(lead_page.locator("svg").first).to_be_visible()
    _shot(lead_page, "family-map")
