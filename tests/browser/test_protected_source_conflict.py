"""The tablet's conflict screen shows a concern as its user may see it: a protected
source recorded by someone else stays a placeholder there too."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.review_support import apply, concern_payload, hold_household, new_id, person_id

from .pages import PASSPHRASE, SLOW, TabletApp

pytestmark = pytest.mark.browser

SOURCE = "canary-protected-source-5c1e"

QUEUE_CONCERN_EDIT = """
async ({ concernId }) => {
  const { saveConcern } = await import("/static/app/entities.js");
  const { readSecret } = await import("/static/app/vault.js");
  const copy = await readSecret("concern", concernId);
  await saveConcern({ ...copy, notes: "Seen at the school gate" });
  return copy.rev;
}
"""


def test_the_conflict_screen_never_shows_a_protected_source_recorded_by_another(
        live_server, demo, api_client, page):
    app = live_server.app
    sn = api_client("sn")
    school = demo.school_households[0]
    mother = person_id(app, school, "Leanne Carter")
    concern = new_id()
    payload = concern_payload(mother, demo.children[school][0], source=SOURCE,
                              protect_source=True)
    assert apply(sn, "concern.put", concern, payload)["status"] == "applied"
    hold_household(app, "hv", school)

    hv = TabletApp(page, live_server.url)
    hv.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    hv.wait_for_households().wait_until_synced()
    hv.go_offline()
    assert hv.page.evaluate(QUEUE_CONCERN_EDIT, {"concernId": concern}) == 1
    # Meanwhile the school nurse edits it: the tablet's edit is now stale.
    assert apply(sn, "concern.put", concern, {**payload, "orders": "Non-molestation order"},
                 base_rev=1)["status"] == "applied"

    hv.go_online()

    expect(hv.status).to_have_attribute("data-attention", "1", timeout=SLOW)
    orders = hv.page.locator('#attention .conflict tr[data-field="orders"]')
    expect(orders.locator(".conflict-theirs")).to_have_text("Non-molestation order")
    # Both sides hold the placeholder, so the source is not even a difference to show.
    expect(hv.page.locator('#attention .conflict tr[data-field="source"]')).to_have_count(0)
    assert SOURCE not in hv.page.content()
