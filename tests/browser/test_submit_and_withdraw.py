"""Issue 11 item 4 on the tablet. A visit submitted by mistake is withdrawn, offline: it is
a draft again at once, and once synced the server holds a draft the lead no longer
reviews. Submit first shows what is left open, each item a way to its place."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from visitcheck.checklists.models import Checklist
from visitcheck.checklists.service import builtin_template_files
from visitcheck.extensions import db

from .pages import PASSPHRASE, SLOW, TabletApp

pytestmark = pytest.mark.browser


def _statuses(live_server) -> list[str]:
    with live_server.app.app_context():
        return [c.status for c in db.session.scalars(select(Checklist))]


def test_a_submitted_visit_is_withdrawn_offline_and_the_server_gets_it_back_as_a_draft(
    live_server, demo, page
):
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    app.start_new_visit(0).fill_visit_section(present="Mother and baby").submit()
    app.expect_caseload().wait_until_synced()
    assert _statuses(live_server) == ["submitted"]

    app.go_offline()
    form = app.open_visit(0, 0)
    withdraw = page.get_by_role("button", name="Withdraw submission")
    expect(withdraw).to_be_visible()
    withdraw.click()
    expect(page.locator("#form-message")).to_contain_text("Withdrawn")
    expect(form.field("visit.present")).to_be_editable()
    expect(page.get_by_role("button", name="Submit")).to_be_visible()
    expect(withdraw).to_be_hidden()

    app.back_to_list()
    app.go_online().sync_now().wait_until_synced()
    expect(app.visits(0).first).to_have_attribute("data-status", "draft", timeout=SLOW)
    assert _statuses(live_server) == ["draft"]


def test_submit_shows_what_is_left_open_first_and_each_item_leads_to_its_place(
    live_server, demo, page
):
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    form = app.start_new_visit(0).fill_visit_section(present="Mother and baby")
    summary = form.open_submit_summary()
    # Only S1 is answered: every other section is listed as left empty.
    expect(summary).to_contain_text("S2 Who lives here and who visits: nothing recorded")
    expect(summary).to_contain_text("S8 Analysis, actions, sharing: nothing recorded")
    assert _statuses(live_server) == []  # nothing is sent before the practitioner confirms

    s6 = "Go there: S6 Grooming and concealment: nothing recorded"
    summary.get_by_role("button", name=s6).click()
    expect(summary).to_be_hidden()
    expect(page.locator('fieldset.section[data-section="grooming"] input').first).to_be_focused()

    form.open_submit_summary()
    page.locator("#submit-confirm").click()
    app.expect_caseload().wait_until_synced()
    assert _statuses(live_server) == ["submitted"]


SUMMARY = """async ([template, answers, flags, household]) => {
  const { submitSummary } = await import("/static/app/summary.js");
  return submitSummary({ template, answers, flags, household });
}"""


def test_the_summary_lists_urgent_flags_without_an_action_and_children_not_seen(
    live_server, page
):
    template = next(t for t in builtin_template_files()  # the template as shipped
                    if t["template"] == "home-visit" and t["version"] == 1)
    page.goto(live_server.url + "/offline")
    household = {"members": [{"person_id": "c1", "name": "Ava Whitfield", "is_child": True},
                             {"person_id": "c2", "name": "Leo Lawson", "is_child": True}]}
    flags = [{"rule": "poc-contact", "severity": "urgent",
              "reason": "Craig has contact with Ava."},
             {"rule": "parent-uninformed", "severity": "urgent", "reason": "Dana was not told."},
             {"rule": "grooming-signs", "severity": "action", "reason": "Gifts."}]
    answers = {
        "visit": {"no_access": False, "present": "Dana",
                  "children": {"c1": {"seen": False}, "c2": {"seen": True, "seen_alone": "yes"}}},
        "analysis": {"actions": {"r1": {"action": "Referred to MASH", "flag": "poc-contact"}}},
    }
    items = page.evaluate(SUMMARY, [template, answers, flags, household])
    texts = [i["text"] for i in items]
    assert "Urgent flag with no action recorded: Dana was not told." in texts
    assert not any("Craig" in t for t in texts)  # answered by the action naming it
    assert not any("Gifts" in t for t in texts)  # not urgent
    assert "Ava Whitfield was not seen" in texts
    assert not any("Leo" in t for t in texts)
    assert "S4 Parents' knowledge and ability to protect: nothing recorded" in texts
    assert not any(t.startswith("S1 ") or t.startswith("S8 ") for t in texts)
    unseen = next(i for i in items if i["text"] == "Ava Whitfield was not seen")
    assert unseen["path"] == "visit.children.c1"


def test_a_submission_withdrawn_before_it_was_ever_sent_reaches_the_server_as_a_draft(
    live_server, demo, page
):
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    app.go_offline()
    app.start_new_visit(0).fill_visit_section(present="Mother and baby").submit()
    app.expect_caseload()
    form = app.open_visit(0, 0)
    page.get_by_role("button", name="Withdraw submission").click()
    expect(form.field("visit.present")).to_be_editable()
    app.back_to_list()
    app.go_online().sync_now().wait_until_synced()
    expect(app.visits(0).first).to_have_attribute("data-status", "draft", timeout=SLOW)
    assert _statuses(live_server) == ["draft"]  # the lead never had it
