"""Two devices edit the same thing offline: the second to sync is shown both
versions side by side, chooses field by field, and the server ends with the
merged result and both edits' history (sync_conflicts, sync_ops)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from visitcheck.checklists import service as checklists
from visitcheck.extensions import db, keyring
from visitcheck.people import service as people
from visitcheck.sync.models import SyncConflict, SyncOp

from .pages import PASSPHRASE, SLOW, TabletApp

pytestmark = pytest.mark.browser


@pytest.fixture
def second_tablet(live_server, demo, browser, browser_context_args):
    context = browser.new_context(**browser_context_args)
    app = TabletApp(context.new_page(), live_server.url)
    yield app
    context.close()


def start(app: TabletApp, demo) -> TabletApp:
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    return app.wait_for_households().wait_until_synced()


def conflict_row(app: TabletApp, field: str):
    return app.page.locator(f'#attention .conflict tr[data-field="{field}"]')


def test_second_device_merges_a_conflicting_checklist_field_by_field(
    live_server, demo, page, second_tablet
):
    first = start(TabletApp(page, live_server.url), demo)
    form = first.start_new_visit(0)
    page.get_by_label("Date and time of the visit").fill("2026-11-20T10:30")
    form.choose("visit.no_access", "false")
    page.get_by_label("Who was present").fill("Mother")
    form.save_draft()
    first.wait_until_synced().back_to_list()

    second = start(second_tablet, demo)
    expect(second.visits(0)).to_have_count(1, timeout=SLOW)

    # Both offline, each edits a different answer of revision 1.
    first.go_offline()
    second.go_offline()
    first.open_visit(0, 0)
    page.get_by_label("Who was present").fill("Mother and grandmother")
    form.save_draft()
    second.open_visit(0, 0)
    second.page.get_by_label("Date and time of the visit").fill("2026-11-21T09:15")
    second.page.get_by_role("button", name="Save draft").click()
    expect(second.page.locator("#form-message")).to_contain_text("Draft saved")
    second.back_to_list()

    first.go_online()
    first.wait_until_synced()
    second.go_online()

    # The second sees the conflict: both versions, field by field, labelled from the template.
    expect(second.status).to_have_attribute("data-attention", "1", timeout=SLOW)
    present = conflict_row(second, "visit.present")
    visit_at = conflict_row(second, "visit.visit_at")
    expect(present.locator("th")).to_have_text("Visit › Who was present")
    expect(present.locator(".conflict-mine")).to_have_text("Mother")
    expect(present.locator(".conflict-theirs")).to_have_text("Mother and grandmother")
    expect(visit_at.locator(".conflict-mine")).to_have_text("21 Nov 2026, 09:15")
    expect(visit_at.locator(".conflict-theirs")).to_have_text("20 Nov 2026, 10:30")

    # A merge needs a choice for every differing field.
    second.page.get_by_role("button", name="Save merged version").click()
    expect(second.page.locator("#attention .conflict [role=alert]")).to_contain_text(
        "Choose which version to keep")
    present.get_by_label("Server's").check()
    visit_at.get_by_label("Yours").check()
    second.page.get_by_role("button", name="Save merged version").click()
    expect(second.status).to_have_attribute("data-attention", "0")
    second.wait_until_synced()

    with live_server.app.app_context():
        [checklist] = db.session.scalars(select(checklists.Checklist)).all()
        content = checklists.checklist_content(checklist, keyring=keyring())
        assert content["answers"]["visit"]["present"] == "Mother and grandmother"
        assert content["answers"]["visit"]["visit_at"].startswith("2026-11-21T09:15")
        assert content["rev"] == 3
        [conflict] = db.session.scalars(select(SyncConflict)).all()
        assert (conflict.base_rev, conflict.server_rev) == (1, 2)
        ops = db.session.scalars(
            select(SyncOp).where(SyncOp.entity_id == checklist.uuid).order_by(SyncOp.id)).all()
        assert len(ops) == 3  # the first save, the first device's edit, the merge
        assert conflict.resolved_by_op_id == ops[-1].op_id
        assert conflict.device_id == ops[-1].device_id != ops[1].device_id


QUEUE_ADDRESS = """
async ({ householdId, address }) => {
  const { saveEntity } = await import("/static/app/sync/queue.js");
  const { readSecret } = await import("/static/app/vault.js");
  const copy = await readSecret("household", householdId);
  const op = await saveEntity({
    type: "household.put", entityId: householdId, baseRev: copy.rev,
    payload: { address, professionals: copy.professionals || [] },
    meta: { household_id: householdId },
    local: [{ kind: "household", id: householdId, value: { ...copy, address } }],
  });
  return op.base_rev;
}
"""


def test_second_device_keeps_its_household_address_over_the_servers(
    live_server, demo, page, second_tablet
):
    first = start(TabletApp(page, live_server.url), demo)
    second = start(second_tablet, demo)
    household_id = demo.households[0]
    first.go_offline()
    second.go_offline()
    assert first.page.evaluate(QUEUE_ADDRESS, {"householdId": household_id,
                                               "address": "14a Alder Row"}) == 1
    assert second.page.evaluate(QUEUE_ADDRESS, {"householdId": household_id,
                                                "address": "14 Alder Row (rear door)"}) == 1
    first.go_online()
    first.wait_until_synced()
    second.go_online()

    expect(second.status).to_have_attribute("data-attention", "1", timeout=SLOW)
    row = conflict_row(second, "address")
    expect(row.locator(".conflict-mine")).to_have_text("14 Alder Row (rear door)")
    expect(row.locator(".conflict-theirs")).to_have_text("14a Alder Row")
    expect(second.page.locator("#attention")).to_contain_text("household")
    second.page.get_by_role("button", name="Keep my version").click()
    expect(second.status).to_have_attribute("data-attention", "0")
    second.wait_until_synced()

    with live_server.app.app_context():
        household = people.household_by_public_id(db.session, household_id)
        view = people.household_view(household, keyring=keyring())
        assert (view["address"], view["rev"]) == ("14 Alder Row (rear door)", 3)
        [conflict] = db.session.scalars(select(SyncConflict)).all()
        assert conflict.resolved_by_op_id is not None
