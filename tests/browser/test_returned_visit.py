"""A checklist the team lead returns comes back to its author's tablet as a task,
with the lead's comment, can be corrected and submitted again, and the lead
then approves it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .pages import PASSPHRASE, SLOW, ReviewSite, TabletApp

pytestmark = pytest.mark.browser


def test_returned_checklist_shows_the_comment_and_can_be_resubmitted(
    live_server, demo, page, browser
):
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    address = app.household_address(0)
    app.start_new_visit(0).fill_visit_section(present="Mother and baby").submit()
    app.expect_caseload().wait_until_synced()

    lead_context = browser.new_context()
    try:
        review = ReviewSite(lead_context.new_page(), live_server.url)
        review.sign_in("lead", demo.PASSWORD).open_queue().open_checklist(address)
        review.return_with_comment("Please say whether the baby was seen alone.")
        expect(
            review.page.get_by_text("Please say whether the baby was seen alone.")
        ).to_be_visible()
    finally:
        lead_context.close()

    app.sync_now()
    expect(app.visits(0).first).to_have_attribute("data-status", "returned", timeout=SLOW)
    form = app.open_visit(0, 0)
    expect(page.locator("#form-review")).to_contain_text("returned it for changes")
    expect(page.locator("#form-review")).to_contain_text("Please say whether the baby")
    expect(form.field("visit.present")).to_have_value("Mother and baby")
    expect(page.get_by_role("button", name="Submit")).to_be_visible()

    page.get_by_label("Who was present").fill("Mother and baby; baby too young to be seen alone")
    form.submit()
    app.expect_caseload().wait_until_synced()
    expect(app.status).to_have_attribute("data-attention", "0")
    expect(app.visits(0).first).to_have_attribute("data-status", "submitted")

    lead_context = browser.new_context()
    try:
        review = ReviewSite(lead_context.new_page(), live_server.url)
        review.sign_in("lead", demo.PASSWORD).open_queue().open_checklist(address)
        expect(review.page.get_by_text("baby too young to be seen alone")).to_be_visible()
        review.approve()
        expect(review.page.locator("main")).to_contain_text("Approved")
    finally:
        lead_context.close()
    app.sync_now()
    expect(app.visits(0).first).to_have_attribute("data-status", "approved", timeout=SLOW)
