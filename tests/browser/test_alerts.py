"""Alerts about risky adults reach the tablet (issue 6, lesson L1): linking a
concern's person to a second household alerts the school nurse whose caseload
holds a child there; she acknowledges offline, and after sync the team lead's
alerts page shows it."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from visitcheck.auth.models import User
from visitcheck.extensions import db, keyring
from visitcheck.people import service as people
from visitcheck.sharing.models import Alert

from .pages import PASSPHRASE, SLOW, ReviewSite, TabletApp

pytestmark = pytest.mark.browser

PROTECTED_SOURCE = "Disclosure by a neighbour, name withheld"


def link_person_of_concern_to_the_school_household(live_server, demo) -> str:
    """hv records a concern about Craig (Whitfield household), then links him to the
    Carters' household, which is also on the school nurse's caseload."""
    with live_server.app.app_context():
        session = db.session
        hv = session.scalars(select(User).where(User.uuid == demo.users["hv"])).one()
        whitfields = people.household_by_public_id(session, demo.households[1])
        carters = people.household_by_public_id(session, demo.school_households[0])
        craig = next(m.person for m in whitfields.memberships
                     if people.person_view(session, m.person, keyring=keyring())["names"]
                     == ["Craig Whitfield"])
        people.assign_caseload(session, user=hv, household=carters)
        people.put_concern(session, user=hv, entity_id=str(uuid.uuid4()), base_rev=0,
                           keyring=keyring(), payload={
                               "person_id": craig.uuid, "basis": ["convicted_child_offence"],
                               "source": PROTECTED_SOURCE, "protect_source": True})
        people.put_membership(session, user=hv, entity_id=str(uuid.uuid4()), base_rev=0,
                              keyring=keyring(), payload={
                                  "household_id": carters.uuid, "person_id": craig.uuid,
                                  "residence": "visits_regularly"})
        session.commit()
        sn = session.scalars(select(User).where(User.uuid == demo.users["sn"])).one()
        [alert] = session.scalars(select(Alert).where(Alert.user_id == sn.id)).all()
        return alert.uuid


def test_school_nurse_acknowledges_an_alert_offline_and_the_lead_sees_it(
    live_server, demo, page, browser, browser_context_args
):
    alert_id = link_person_of_concern_to_the_school_household(live_server, demo)

    tablet = TabletApp(page, live_server.url)
    tablet.sign_in("sn", demo.PASSWORD).set_passphrase(PASSPHRASE)
    tablet.wait_for_households().wait_until_synced()

    alert = page.locator(f'#alerts li.alert-item[data-alert="{alert_id}"]')
    expect(alert).to_be_visible(timeout=SLOW)
    expect(alert).to_have_attribute("data-acknowledged", "false")
    expect(alert).to_contain_text("Craig Whitfield")
    expect(alert).to_contain_text("27 Damson Street")
    expect(alert).to_contain_text("Jayden Carter, Skye Carter")
    expect(alert).to_contain_text("convicted or cautioned for an offence against a child")
    expect(alert).to_contain_text("not yet acknowledged")
    expect(page.locator("#main")).not_to_contain_text(PROTECTED_SOURCE)

    tablet.go_offline()
    alert.get_by_role("button", name="Acknowledge").click()
    expect(alert).to_have_attribute("data-acknowledged", "true")
    expect(alert).to_contain_text("waiting to sync")
    expect(tablet.status).to_contain_text("Offline · 1 alert acknowledgement waiting")

    tablet.go_online()
    tablet.wait_until_synced()
    expect(alert).not_to_contain_text("waiting to sync")

    with live_server.app.app_context():
        stored = db.session.scalars(select(Alert).where(Alert.uuid == alert_id)).one()
        assert stored.acknowledged_at is not None

    lead_context = browser.new_context(**browser_context_args)
    try:
        review = ReviewSite(lead_context.new_page(), live_server.url)
        review.sign_in("lead", demo.PASSWORD)
        review.page.goto(f"{live_server.url}/review/alerts")
        row = review.page.locator("table", has_text="27 Damson Street").locator(
            "tbody tr", has_text="Tom Reid")
        expect(row).to_contain_text("Yes,")
        expect(row).not_to_contain_text("Not yet")
    finally:
        lead_context.close()
