"""The walking skeleton, end to end in real Chromium: sign in, set the offline
passphrase, go offline, record a visit, find nothing of it in clear anywhere in
the browser's storage, come back online, submit, and see it in the team lead's
review queue."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from .pages import PASSPHRASE, SLOW, ReviewSite, TabletApp
from .scan import dump_origin_storage

pytestmark = pytest.mark.browser


RECORDS_SHAPE = """
async () => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open("visitcheck");
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const rows = await new Promise((resolve, reject) => {
    const request = db.transaction("records").objectStore("records").getAll();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  db.close();
  return rows.map((row) => ({ keys: Object.keys(row).sort(), kind: row.kind,
    ivLength: row.iv.byteLength, binary: row.ciphertext instanceof ArrayBuffer }));
}
"""


def test_visit_recorded_offline_is_encrypted_at_rest_and_reaches_the_team_lead(
    live_server, demo, page, browser
):
    canary = f"CANARY-{secrets.token_hex(8)}"
    app = TabletApp(page, live_server.url)

    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    app.wait_for_service_worker().wait_for_households()
    address = app.household_address(0)

    # Offline, a reload still gets the shell: from the service worker.
    app.go_offline().reload().unlock(PASSPHRASE).expect_caseload()
    expect(app.status).to_contain_text("Offline")

    form = app.start_new_visit(0)
    form.fill_visit_section(present=f"Mother, baby and {canary}")
    form.save_draft()
    expect(app.status).to_have_attribute("data-waiting", "1")

    app.reload().unlock(PASSPHRASE).expect_caseload()
    expect(app.visits(0)).to_have_count(1)
    form = app.open_visit(0, 0)
    expect(form.field("visit.present")).to_have_value(f"Mother, baby and {canary}")

    # Nothing of it in clear anywhere the browser keeps data for this origin.
    storage = dump_origin_storage(page)
    assert "visitcheck" in [d["name"] for d in storage["databases"]]
    assert storage["caches"], "the shell should be precached"
    assert canary not in storage["text"]
    assert address not in storage["text"]
    for row in page.evaluate(RECORDS_SHAPE):
        assert row["keys"] == ["ciphertext", "id", "iv", "kind"], row
        assert row["ivLength"] == 12
        assert row["binary"]
    assert canary not in page.url

    # Back online: submit, and the outbox drains.
    app.go_online()
    form.submit()
    app.expect_caseload()
    app.wait_until_synced(timeout=SLOW)
    expect(app.visits(0).first).to_have_attribute("data-status", "submitted")

    # The team lead sees it, canary and all, on another machine.
    lead_context = browser.new_context()
    try:
        review = ReviewSite(lead_context.new_page(), live_server.url)
        review.sign_in("lead", demo.PASSWORD).open_queue()
        expect(review.row_for(address)).to_be_visible()
        review.open_checklist(address)
        expect(review.page.get_by_text(canary)).to_be_visible()
    finally:
        lead_context.close()
