"""A visit submitted by mistake is withdrawn from the tablet, offline: it is a draft
again at once, and once synced the server holds a draft the lead no longer reviews."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from visitcheck.checklists.models import Checklist
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
