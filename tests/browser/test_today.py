"""Issue 16 item 1: the tablet opens on Today, built offline from the vault: a planned
visit, a no-access follow-up, an action due, a referral outcome due, a visit the lead
returned with the comment, an alert to acknowledge; each opens the thing to do. In
portrait (768x1024) and landscape (1024x768); axe-core clean on Today and the caseload
search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.review_support import (
    apply,
    csrf_token,
    hold_household,
    new_id,
    submit_answers,
    web_client,
)
from tests.sealing import complete_visit

from .pages import PASSPHRASE, SLOW, TabletApp
from .test_accessibility import AXE
from .test_alerts import link_person_of_concern_to_the_school_household
from .test_followup import _accessible

pytestmark = pytest.mark.browser

COMMENT = "Please record who else was in the flat"


def _at(days_ago: int, time: str = "10:00") -> str:
    return f"{(datetime.now(UTC) - timedelta(days=days_ago)).date().isoformat()}T{time}"


def _day(offset: int = 0) -> str:
    return (datetime.now(UTC) + timedelta(days=offset)).date().isoformat()


@pytest.fixture
def day(live_server, demo, api_client) -> dict:
    """The school nurse's day: every kind of item, made on the server before she signs in."""
    alert_id = link_person_of_concern_to_the_school_household(live_server, demo)
    app = live_server.app
    planned, no_access, returned = demo.households[0], demo.households[2], demo.households[1]
    school = demo.school_households[0]
    for household in (planned, no_access, returned):
        hold_household(app, "sn", household)
    sn = api_client("sn")
    plan = apply(sn, "visit_plan.put", new_id(), {
        "household_id": planned, "planned_for": _day(), "time": "09:30",
        "purpose": "Weigh the baby", "cancelled": False})
    assert plan["status"] == "applied", plan

    missed = complete_visit(demo.children[no_access])
    missed["visit"] = {"visit_at": _at(6), "visit_type": "new_birth", "no_access": True}
    submit_answers(sn, no_access, missed)

    due = complete_visit(demo.children[school])
    due["visit"]["visit_at"] = _at(10)
    due["analysis"] = {
        "actions": {"a1": {"action": "Ask the GP about the rash", "owner": "Sam",
                           "due": _day(-1), "status": "open"},
                    "a2": {"action": "Already done", "owner": "Sam", "due": _day(-2),
                           "status": "done"}},
        "referrals": {"r1": {"made_at": _at(10, "11:00"), "to": "CAMHS"}},
    }
    action_visit = submit_answers(sn, school, due)

    back = complete_visit(demo.children[returned])
    back["visit"]["visit_at"] = _at(3)
    sent_back = submit_answers(sn, returned, back)
    lead = web_client(app, "lead")
    answer = lead.post(f"/review/{sent_back}/decision", data={
        "csrf_token": csrf_token(lead), "rev": "1", "decision": "return", "comment": COMMENT})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return {"alert": alert_id, "planned": planned, "no_access": no_access, "school": school,
            "action_visit": action_visit, "returned": sent_back}


@pytest.mark.parametrize("viewport", [{"width": 768, "height": 1024},
                                      {"width": 1024, "height": 768}],
                         ids=["portrait", "landscape"])
def test_today_lists_each_kind_offline_and_each_opens_the_thing_to_do(
        live_server, demo, page: Page, day, viewport):
    page.set_viewport_size(viewport)
    page.context.add_init_script(path=str(AXE))
    tablet = TabletApp(page, live_server.url)
    tablet.sign_in("sn", demo.PASSWORD).set_passphrase(PASSPHRASE)
    tablet.wait_for_households().wait_until_synced().wait_for_service_worker()

    # Offline, from the vault alone.
    tablet.go_offline().reload().unlock(PASSPHRASE)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible(timeout=SLOW)
    items = tablet.today_items()
    # Craig is linked to the Carters' and (as she now holds it) the Whitfields': two alerts.
    expect(items).to_have_count(7, timeout=SLOW)
    assert [i.get_attribute("data-kind") for i in items.all()] == [
        "alert", "alert", "returned", "planned", "no_access", "action", "referral"]
    expect(tablet.today_items("planned")).to_contain_text("09:30")
    expect(tablet.today_items("planned")).to_contain_text("Weigh the baby")
    expect(tablet.today_items("no_access")).to_contain_text("No access on")
    expect(tablet.today_items("action")).to_contain_text("Ask the GP about the rash")
    expect(tablet.today_items("action")).to_contain_text("Overdue since")
    expect(tablet.today_items("referral")).to_contain_text("referral to CAMHS")
    expect(tablet.today_items("returned")).to_contain_text(COMMENT)
    expect(tablet.today_items("alert").first).to_contain_text("Craig Whitfield")
    assert _accessible(page, "#screen-list") == []

    # Each opens the thing to do.
    tablet.today_items("planned").get_by_role("button", name="Start the visit").click()
    expect(page.locator("#form-household")).to_contain_text(
        tablet_address(page, day["planned"]))
    expect(page.locator("#screen-form")).to_be_visible()
    assert _accessible(page, "#screen-form") == []
    tablet.back_to_list()
    tablet.today_items("no_access").get_by_role("button", name="Start the visit").click()
    expect(page.locator("#form-household")).to_contain_text(
        tablet_address(page, day["no_access"]))
    tablet.back_to_list()
    tablet.today_items("returned").get_by_role("button", name="Open the visit").click()
    expect(page.locator("#form-review")).to_contain_text(COMMENT)
    tablet.back_to_list()
    for kind in ("action", "referral"):
        tablet.today_items(kind).get_by_role("button", name="Open the visit").click()
        expect(page.locator("#form-household")).to_contain_text("27 Damson Street")
        expect(page.locator(".followup")).to_be_visible()
        tablet.back_to_list()
    tablet.today_items("alert").filter(has_text="27 Damson Street").get_by_role(
        "button", name="Read and acknowledge").click()
    acknowledge = page.locator(f'#alerts li[data-alert="{day["alert"]}"]').get_by_role(
        "button", name="Acknowledge")
    expect(acknowledge).to_be_focused()
    acknowledge.click()
    # Acknowledged: off Today, folded away at the foot of the alerts.
    expect(tablet.today_items("alert")).to_have_count(1)
    expect(tablet.today_items("alert")).not_to_contain_text("27 Damson Street")
    expect(page.locator(".alerts-acknowledged")).to_contain_text(
        "Alerts you have acknowledged (1)")


def tablet_address(page: Page, household: str) -> str:
    heading = page.locator(f'article.household[data-household="{household}"] h2')
    return heading.inner_text().split(",")[0]


def test_a_visit_planned_offline_on_the_tablet_reaches_today_and_the_server(
        live_server, demo, page: Page):
    tablet = TabletApp(page, live_server.url)
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.wait_until_synced().go_offline()
    address = tablet.household_address(1)
    page.get_by_text("Plan a visit", exact=True).click()
    page.get_by_label("Household to visit").select_option(label=address)
    page.get_by_label("Time (optional)").fill("14:15")
    page.get_by_label("Purpose (optional)").fill("Check the stair gate")
    page.get_by_role("button", name="Plan the visit").click()
    expect(page.locator(".plan-visit [role=status]")).to_contain_text("Visit planned")
    expect(tablet.today_items("planned")).to_contain_text("Check the stair gate")
    tablet.go_online().sync_now().wait_until_synced()

    from sqlalchemy import select

    from visitcheck.extensions import db, keyring
    from visitcheck.keys import decrypt_fields
    from visitcheck.visits.models import VisitPlan
    with live_server.app.app_context():
        [row] = db.session.scalars(select(VisitPlan)).all()
        stored = decrypt_fields(row, keyring=keyring())
        assert stored["purpose"] == "Check the stair gate"
        assert stored["time"] == "14:15"


def test_the_caseload_is_one_tap_away_and_found_by_a_child_s_name(live_server, demo, page):
    tablet = TabletApp(page, live_server.url)
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.open_caseload()
    total = tablet.households().count()
    child = page.locator("article.household p.members").nth(1).inner_text()
    name = child.split(": ")[1].split(",")[0].split(" ·")[0]
    page.get_by_label("Find a household by name, address or child").fill(name)
    expect(page.locator("article.household:visible")).to_have_count(1)
    expect(page.locator("#caseload-search-status")).to_contain_text(f"1 of {total} households")
    page.get_by_label("Find a household by name, address or child").fill("")
    expect(page.locator("article.household:visible")).to_have_count(total)


def test_sync_now_says_what_it_did_offline_and_online(tablet):
    tablet.go_offline()
    tablet.start_new_visit(0).save_draft()
    expect(tablet.status).to_contain_text("Offline · 1 visit waiting")
    note = tablet.page.locator("#sync-note")
    expect(note).to_have_attribute("aria-live", "polite")
    tablet.sync_now()
    expect(note).to_have_text("Offline: will send when connected.")
    tablet.go_online().wait_until_synced()
    tablet.sync_now()
    expect(note).to_have_text("Up to date: nothing to send.")


@pytest.mark.parametrize("viewport", [{"width": 768, "height": 1024},
                                      {"width": 1024, "height": 768}],
                         ids=["portrait", "landscape"])
def test_the_visit_form_keeps_sections_and_flags_in_view_and_confirms_the_save_there(
        tablet, viewport):
    page = tablet.page
    page.set_viewport_size(viewport)
    page.context.add_init_script(path=str(AXE))
    page.reload()
    tablet.unlock(PASSPHRASE).wait_for_households()
    form = tablet.start_new_visit(0).fill_visit_section(present="Mother and baby")
    # S7: known online contact with a person of concern raises an urgent flag.
    page.locator('input[name^="technology.children."][name$=".online_contact"]'
                 '[value="person_of_concern"]').first.check()
    # Far down the form (S8), the section list and the flags summary are still in view.
    page.get_by_role("button", name="Add to Actions").scroll_into_view_if_needed()
    expect(page.locator("#section-nav")).to_be_in_viewport()
    compact = page.locator("#flags-compact")
    expect(compact).to_be_in_viewport()
    expect(compact).to_contain_text("1 urgent")
    compact.locator("summary").click()
    expect(compact.locator("li.severity-urgent")).to_contain_text(
        "known online contact with a person of concern")
    # Saved: said beside the button, where she is looking, and announced.
    form.save_draft()
    message = page.locator("#form-message")
    expect(message).to_contain_text("Draft saved")
    expect(message).to_be_in_viewport()
    expect(message).to_have_attribute("aria-live", "polite")
    assert _accessible(page, "#screen-form") == []


@pytest.mark.parametrize("viewport", [{"width": 768, "height": 1024},
                                      {"width": 1024, "height": 768}],
                         ids=["portrait", "landscape"])
def test_a_planned_visit_is_moved_and_another_cancelled_offline_and_the_lead_sees_both(
        live_server, demo, api_client, page: Page, viewport):
    """Issue 16 item 4 (gap): on the tablet, offline, today's planned visit is moved to
    another day and a visit coming up is cancelled; both sync as `visit_plan.put` from
    the plan's revision, the server takes them, and the lead's planning pages show the
    new day and no cancelled visit."""
    page.set_viewport_size(viewport)
    page.context.add_init_script(path=str(AXE))
    app = live_server.app
    hv = api_client("hv")
    today_home, later_home = demo.households[0], demo.households[1]
    today_plan, later_plan = new_id(), new_id()
    for plan, household, day, purpose in ((today_plan, today_home, _day(), "Weigh the baby"),
                                          (later_plan, later_home, _day(3),
                                           "Check the stair gate")):
        assert apply(hv, "visit_plan.put", plan, {
            "household_id": household, "planned_for": day, "time": "09:30",
            "purpose": purpose, "cancelled": False})["status"] == "applied"

    tablet = TabletApp(page, live_server.url)
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.wait_until_synced().go_offline()
    planned = tablet.today_items("planned")
    expect(planned).to_contain_text("Weigh the baby")
    coming = page.locator(f'#today-upcoming li[data-plan="{later_plan}"]')
    expect(coming).to_contain_text("Check the stair gate")

    # Moved to the day after tomorrow at 11:00: off today's list, under "coming up".
    planned.get_by_role("button", name="Move").click()
    new_day = planned.get_by_label("New day")
    expect(new_day).to_be_focused()
    expect(new_day).to_have_value(_day())
    assert _accessible(page, "#screen-list") == []
    new_day.fill(_day(2))
    planned.get_by_label("New time (optional)").fill("11:00")
    planned.get_by_role("button", name="Move the visit").click()
    expect(tablet.today_items("planned")).to_have_count(0)
    moved = page.locator(f'#today-upcoming li[data-plan="{today_plan}"]')
    expect(moved).to_contain_text("11:00")
    expect(moved).to_contain_text("Weigh the baby")
    expect(page.locator("#today-message")).to_contain_text("Visit moved to")

    # The visit coming up is cancelled, after a confirmation.
    coming.get_by_role("button", name="Cancel").click()
    expect(coming.get_by_role("button", name="Yes, cancel the visit")).to_be_focused()
    assert _accessible(page, "#screen-list") == []
    coming.get_by_role("button", name="Yes, cancel the visit").click()
    expect(coming).to_have_count(0)
    expect(page.locator("#today-message")).to_contain_text("cancelled")
    expect(tablet.status).to_contain_text("2 planned visits waiting")

    tablet.go_online().sync_now().wait_until_synced()
    from visitcheck.extensions import db, keyring
    from visitcheck.keys import decrypt_fields
    from visitcheck.visits.models import VisitPlan
    with app.app_context():
        rows = {row.uuid: (row.rev, decrypt_fields(row, keyring=keyring()))
                for row in db.session.query(VisitPlan)}
    assert rows[today_plan][0] == 2
    assert (rows[today_plan][1]["planned_for"], rows[today_plan][1]["time"],
            rows[today_plan][1]["cancelled"]) == (_day(2), "11:00", False)
    assert rows[later_plan][0] == 2
    assert rows[later_plan][1]["cancelled"] is True
    assert rows[later_plan][1]["purpose"] == "Check the stair gate"  # nothing else lost

    lead = web_client(app, "lead")
    moved_page = lead.get(f"/visits/plan/{today_home}").get_data(as_text=True)
    assert f"{_day(2)} at 11:00: Weigh the baby" in moved_page
    cancelled_page = lead.get(f"/visits/plan/{later_home}").get_data(as_text=True)
    assert "Check the stair gate" not in cancelled_page
    assert "No visits planned." in cancelled_page
