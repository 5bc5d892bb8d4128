"""On the tablet, a visit dated days ahead or information dated in the future is said
wrong next to its field and is not sent (the server refuses them too)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db

pytestmark = pytest.mark.browser


def test_a_visit_days_ahead_is_said_wrong_as_it_is_typed_and_is_not_submitted(tablet):
    form = tablet.start_new_visit(0)
    ahead = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")

    form.fill_visit_section(present="Mother and baby", visit_at=ahead)

    expect(form.error_at("visit.visit_at")).to_contain_text("cannot be more than a day ahead")
    form.submit()
    expect(tablet.page.locator("#form-message")).to_contain_text("Not submitted yet")
    expect(form.error_at("visit.visit_at")).to_be_visible()
    expect(tablet.status).to_have_attribute("data-waiting", "0")


def test_a_draft_dated_days_ahead_is_not_saved_and_says_why(tablet):
    form = tablet.start_new_visit(0)
    ahead = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    form.fill_visit_section(present="Mother and baby", visit_at=ahead)

    tablet.page.get_by_role("button", name="Save draft").click()

    expect(tablet.page.locator("#form-message")).to_contain_text("Not saved")
    expect(form.error_at("visit.visit_at")).to_contain_text("cannot be more than a day ahead")
    expect(tablet.status).to_have_attribute("data-waiting", "0")


def test_a_visit_today_is_submitted_and_reaches_the_server(live_server, tablet):
    form = tablet.start_new_visit(0)
    form.fill_visit_section(present="Mother and baby",
                            visit_at=datetime.now().strftime("%Y-%m-%dT%H:%M"))

    form.submit()

    expect(tablet.households().first).to_be_visible()
    tablet.wait_until_synced()
    with live_server.app.app_context():
        statuses = list(db.session.scalars(select(Checklist.status)))
    assert statuses == ["submitted"]


def test_a_concern_dated_tomorrow_is_said_wrong_next_to_its_date(tablet):
    family = tablet.open_people(tablet.household_index("14 Alder Row"))
    family.person("Kerry Lawson").get_by_role("button", name="Record a concern").click()
    form = tablet.page.locator("#concern-form")
    form.locator('input[name="basis"][value="allegation_no_outcome"]').check()
    form.get_by_label("Source of the information").fill("A neighbour")
    form.get_by_label("Date of the information").fill(
        (date.today() + timedelta(days=1)).isoformat())

    form.locator("button[type=submit]").click()

    expect(form.locator(".field-error", has_text="cannot be in the future")).to_contain_text(
        "The date of the information cannot be in the future.")
    expect(tablet.status).to_have_attribute("data-waiting", "0")
