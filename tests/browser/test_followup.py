"""Issue 11 items 2 and 3 on the tablet and the lead's page. A visit with an urgent
flag nobody answered is listed so before submitting; the practitioner links an S8
action to the flag by choosing it by its words; later, offline, records the
referral's outcome; once synced, the lead sees the answer and the outcome, and
`referral-no-outcome` is gone on the tablet and on the lead's page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db

from .pages import (
    PASSPHRASE,
    SLOW,
    TabletApp,
    add_row,
    online_contact_with_person_of_concern,
)
from .test_accessibility import AXE, SMALL_CONTROLS

# axe-core over one part of the page (the follow-through panel, the lead's new sections).
AXE_ON = """
async (selector) => {
  const result = await axe.run(selector);
  const where = (v) => v.nodes.map((n) => n.target.join(" ")).slice(0, 3);
  return {passes: result.passes.length,
          violations: result.violations.map((v) => `${v.id}: ${v.help} at ${where(v)}`)};
}
"""


def _accessible(page: Page, selector: str) -> list[str]:
    result = page.evaluate(AXE_ON, selector)
    assert result["passes"] > 5, "axe-core did not run its rules"
    return result["violations"] + [f"too small: {c}" for c in page.evaluate(SMALL_CONTROLS)]

pytestmark = pytest.mark.browser

OUTCOME = "Accepted by MASH: strategy discussion on Monday"
ACTION = "Told the mother; asked the school to check the devices"



def _checklist_id(live_server) -> str:
    with live_server.app.app_context():
        return db.session.scalars(select(Checklist.uuid)).one()


def test_an_urgent_flag_answered_by_choice_and_a_referral_outcome_recorded_offline_reach_the_lead(
    live_server, demo, page, browser
):
    page.context.add_init_script(path=str(AXE))
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    form = app.start_new_visit(0).fill_visit_section(present="Mother and baby")
    online_contact_with_person_of_concern(form)
    referral = add_row(page, "Referrals")
    referral.get_by_label("Date and time of the referral").fill("2026-11-20T11:00")
    referral.get_by_label("To whom").fill("MASH")

    urgent = form.flag("online-contact")
    expect(urgent).to_contain_text("Urgent — not yet answered")
    summary = form.open_submit_summary()
    expect(summary).to_contain_text("Urgent flag with no action recorded")
    expect(summary).to_contain_text("known online contact with a person of concern")
    page.get_by_role("button", name="Back to the visit").click()

    # The flag it answers is chosen by its words: the same words the flag shows.
    words = urgent.locator(".flag-reason").inner_text()
    action = add_row(page, "Actions")
    action.locator('textarea[name$=".action"]').fill(ACTION)
    flag_choice = action.get_by_label("The flag it answers, if any")
    expect(flag_choice.locator("option", has_text=words)).to_have_count(1)
    flag_choice.select_option(label=words)
    action.get_by_label("Owner").fill("Asha Patel")
    action.get_by_label("Due date").fill("2026-11-27")
    action.locator('input[name$=".status"][value="open"]').check()
    expect(urgent).to_contain_text(f"S8 action: {ACTION}")
    expect(urgent).not_to_contain_text("not yet answered")

    summary = form.open_submit_summary()
    expect(summary).not_to_contain_text("Urgent flag with no action recorded")
    page.locator("#submit-confirm").click()
    app.expect_caseload().wait_until_synced()
    checklist = _checklist_id(live_server)

    # Later, offline: the referral's outcome, recorded on the submitted visit.
    app.go_offline()
    form = app.open_visit(0, 0)
    expect(form.flag("referral-no-outcome")).to_contain_text("MASH")
    panel = page.locator("#followup")
    panel.get_by_label("Outcome of the referral to MASH").fill(OUTCOME)
    panel.get_by_role("button", name="Record the outcome of the referral to MASH").click()
    expect(panel.locator(".followup-trail")).to_contain_text(OUTCOME)
    expect(panel.locator(".followup-trail")).to_contain_text("Referral to MASH")
    # Gone from what the tablet raises, offline; the team's records say so after a sync.
    expect(form.own_flag("referral-no-outcome")).to_have_count(0)
    expect(form.flag("online-contact")).to_contain_text(f"S8 action: {ACTION}")
    assert _accessible(page, "#followup") == []

    app.back_to_list()
    app.go_online().sync_now().wait_until_synced()
    form = app.open_visit(0, 0)
    expect(form.flag("online-contact")).to_have_count(1)
    expect(form.flag("referral-no-outcome")).to_have_count(0)  # nor from the team's records
    app.back_to_list()

    lead_context = browser.new_context()
    lead_context.add_init_script(path=str(AXE))
    try:
        lead = lead_context.new_page()
        lead.goto(f"{live_server.url}/login?next=/review/{checklist}")
        lead.get_by_label("Username").fill("lead")
        lead.get_by_label("Password").fill(demo.PASSWORD)
        lead.get_by_role("button", name="Sign in").click()
        answered = lead.locator('.flag-answers [data-rule="online-contact"]')
        expect(answered).to_have_attribute("data-answered", "yes")
        expect(answered).to_contain_text(f"S8 action: {ACTION} (open)")
        trail = lead.locator(".followup-trail")
        expect(trail).to_contain_text("Referral outcome, by Asha Patel")
        expect(trail).to_contain_text(OUTCOME)
        expect(lead.locator('.flag-answers [data-rule="referral-no-outcome"]')).to_have_count(0)
        expect(lead.locator("#flags-heading + ul")).not_to_contain_text("Referral no outcome")
        # The S8 action names the flag by its words there too, never by its key.
        s8 = lead.locator("section.answers", has_text="S8")
        expect(s8).to_contain_text("known online contact with a person of concern")
        expect(s8).not_to_contain_text("online-contact")
        assert _accessible(lead, "main") == []
    finally:
        lead_context.close()

    # And on the tablet from what the server sent back.
    form = app.open_visit(0, 0)
    expect(form.flag("online-contact")).to_be_visible(timeout=SLOW)
    expect(form.flag("referral-no-outcome")).to_have_count(0)
    expect(page.locator("#followup .followup-trail")).to_contain_text(OUTCOME)
