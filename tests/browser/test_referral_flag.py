"""Issue 11 item 3, the referral-to-flag link, on the tablet and the lead's page. A new
visit starts on home-visit version 2, whose S8 referral rows ask which flag the
referral answers; the practitioner chooses an urgent flag by its words, the summary
before submitting no longer lists it, and the lead sees it answered by the referral."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db

from .pages import PASSPHRASE, TabletApp, VisitForm, add_row, online_contact_with_person_of_concern

pytestmark = pytest.mark.browser

UNANSWERED = "Urgent flag with no action recorded"



def test_a_new_visit_on_v2_links_a_referral_to_an_urgent_flag_and_the_lead_sees_it_answered(
    live_server, demo, page, browser
):
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    form = app.start_new_visit(0).fill_visit_section(present="Mother and baby")
    online_contact_with_person_of_concern(form)
    urgent = form.flag("online-contact")
    expect(urgent).to_contain_text("Urgent — not yet answered")
    summary = form.open_submit_summary()
    expect(summary).to_contain_text(UNANSWERED)
    page.get_by_role("button", name="Back to the visit").click()

    # Version 2's referral row asks for the flag, chosen by the words the flag shows.
    words = urgent.locator(".flag-reason").inner_text()
    referral = add_row(page, "Referrals")
    referral.get_by_label("Date and time of the referral").fill("2026-11-20T11:00")
    referral.get_by_label("To whom").fill("MASH")
    flag_choice = referral.get_by_label("The flag it answers, if any")
    expect(flag_choice.locator("option", has_text=words)).to_have_count(1)
    expect(flag_choice.locator("option", has_text="online-contact")).to_have_count(0)
    flag_choice.select_option(label=words)
    expect(urgent).to_contain_text("S8 referral to MASH")
    expect(urgent).not_to_contain_text("not yet answered")

    summary = form.open_submit_summary()
    expect(summary).not_to_contain_text(UNANSWERED)
    page.locator("#submit-confirm").click()
    app.expect_caseload().wait_until_synced()

    with live_server.app.app_context():
        row = db.session.scalars(select(Checklist)).one()
        checklist, version = row.uuid, (row.template, row.template_version)
    assert version == ("home-visit", 2)

    lead_context = browser.new_context()
    try:
        lead = lead_context.new_page()
        lead.goto(f"{live_server.url}/login?next=/review/{checklist}")
        lead.get_by_label("Username").fill("lead")
        lead.get_by_label("Password").fill(demo.PASSWORD)
        lead.get_by_role("button", name="Sign in").click()
        answered = lead.locator('.flag-answers [data-rule="online-contact"]')
        expect(answered).to_have_attribute("data-answered", "yes")
        expect(answered).to_contain_text("S8 referral to MASH")
        # The referral names the flag by its words on the lead's page, never by its key.
        s8 = lead.locator("section.answers", has_text="S8")
        expect(s8).to_contain_text("The flag it answers, if any")
        expect(s8).to_contain_text("known online contact with a person of concern")
        expect(s8).not_to_contain_text("online-contact")
    finally:
        lead_context.close()


SUMMARY = """async ([template, answers, flags]) => {
  const { submitSummary } = await import("/static/app/summary.js");
  return submitSummary({ template, answers, flags, household: null });
}"""


def test_the_summary_counts_a_v2_referral_naming_an_urgent_flag_as_its_answer(live_server, page):
    from visitcheck.checklists.service import builtin_template_files

    template = next(t for t in builtin_template_files()  # the template as shipped
                    if t["template"] == "home-visit" and t["version"] == 2)
    page.goto(live_server.url + "/offline")
    flags = [{"rule": "poc-contact", "subject": "c1", "severity": "urgent",
              "reason": "Craig has contact with Ava."},
             {"rule": "parent-uninformed", "severity": "urgent", "reason": "Dana was not told."}]
    answers = {"analysis": {"referrals": {
        "r1": {"to": "MASH", "flag": "poc-contact:c1"},
        "r2": {"to": "GP", "flag": ""}}}}
    texts = [i["text"] for i in page.evaluate(SUMMARY, [template, answers, flags])]
    assert not any("Craig" in t for t in texts)  # answered by the referral naming it
    assert f"{UNANSWERED}: Dana was not told." in texts


SAVE_V1_DRAFT = """
async ({ household }) => {
  const { saveChecklist } = await import("/static/app/sync/queue.js");
  const id = crypto.randomUUID();
  await saveChecklist({
    id, household_id: household, template: "home-visit", template_version: 1,
    status: "draft", answers: { visit: { no_access: false, present: "Started on v1" } },
    saved_at: new Date().toISOString(), rev: 0,
  });
  return id;
}
"""


def test_a_draft_started_on_v1_keeps_v1_and_its_referrals_ask_no_flag(
        live_server, demo, tablet):
    # A draft saved on this tablet before version 2 arrived.
    draft = tablet.page.evaluate(SAVE_V1_DRAFT, {"household": demo.households[0]})
    tablet.wait_until_synced().reload().unlock(PASSPHRASE).wait_for_households()

    card = tablet.page.locator("article.household:has(li.visit)")
    card.locator("li.visit").first.get_by_role("button", name="Open").click()
    form = VisitForm(tablet.page)
    expect(form.field("visit.present")).to_have_value("Started on v1")
    referral = add_row(tablet.page, "Referrals")
    referral.get_by_label("To whom").fill("MASH")
    expect(referral.get_by_label("The flag it answers, if any")).to_have_count(0)
    action = add_row(tablet.page, "Actions")
    expect(action.get_by_label("The flag it answers, if any")).to_have_count(1)
    form.save_draft()
    tablet.wait_until_synced()

    with live_server.app.app_context():
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == draft)).one()
        assert (row.template_version, row.rev) == (1, 2)
