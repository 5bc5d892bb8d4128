"""The queue keeps flowing: retries back off exponentially with jitter (capped at
5 minutes), and Background Sync wakes the page to flush (the service worker
holds no key, so it only asks the page)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Route, expect
from sqlalchemy import func, select

from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db

from .pages import PUSH, SLOW, TabletApp

pytestmark = pytest.mark.browser


RETRY_DELAYS = """
async () => {
  const { retryDelayMs } = await import("/static/app/sync/backoff.js");
  const out = [];
  for (let n = 1; n <= 12; n += 1) out.push([retryDelayMs(n, () => 0), retryDelayMs(n, () => 1)]);
  return out;
}
"""


@pytest.fixture
def tablet(tablet: TabletApp) -> TabletApp:
    """Signed in and synced (conftest), and controlled by the service worker."""
    return tablet.wait_for_service_worker()


def test_retries_back_off_exponentially_with_jitter_up_to_five_minutes(tablet):
    delays = tablet.page.evaluate(RETRY_DELAYS)
    lows = [low for low, _ in delays]
    highs = [high for _, high in delays]
    assert (lows[0], highs[0]) == (2500, 5000)  # the first retry: 2.5 to 5 seconds
    assert all(high == 2 * low for low, high in delays)  # jitter: a random half on top
    assert highs == sorted(highs)
    assert max(highs) == 5 * 60 * 1000
    assert lows[-1] == 150_000


def _registration_id(tablet: TabletApp) -> str:
    cdp = tablet.context.new_cdp_session(tablet.page)
    found: list[str] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: found.extend(
        r["registrationId"] for r in event["registrations"] if not r.get("isDeleted")))
    cdp.send("ServiceWorker.enable")
    for _ in range(100):
        if found:
            break
        tablet.page.wait_for_timeout(50)
    assert found, "no service worker registration"
    tablet._cdp = cdp  # keep the session open
    return found[0]


def test_background_sync_event_makes_the_page_flush_the_outbox(live_server, tablet):
    # Offline, a save registers the sync tag (Chromium holds it until it is online).
    tablet.go_offline()
    tablet.start_new_visit(0).save_draft()
    expect(tablet.status).to_have_attribute("data-waiting", "1")
    tags = tablet.page.evaluate(
        "async () => (await (await navigator.serviceWorker.ready).sync.getTags())")
    assert "visitcheck-outbox" in tags

    # Back online but the pushes fail: the item waits, with a backoff timer.
    def refuse(route: Route) -> None:
        route.abort("connectionreset")

    tablet.page.route(PUSH, refuse)
    tablet.go_online()
    expect(tablet.status).to_have_attribute("data-phase", "offline", timeout=SLOW)
    tablet.page.unroute(PUSH, refuse)
    tablet.page.evaluate("""() => {
      window.flushAsked = 0;
      navigator.serviceWorker.addEventListener("message", (event) => {
        if (event.data && event.data.type === "visitcheck-flush") window.flushAsked += 1;
      });
    }""")

    registration = _registration_id(tablet)
    # What Chromium does when it decides the sync can run: fire the sync event.
    tablet._cdp.send("ServiceWorker.dispatchSyncEvent", {
        "origin": live_server.url, "registrationId": registration,
        "tag": "visitcheck-outbox", "lastChance": False})
    # The page is asked to flush at once (at least once: Chromium, online again, may
    # also fire the pending sync itself) ...
    tablet.page.wait_for_function("() => window.flushAsked >= 1", timeout=5000)
    # ... and sends once the backoff after the failed push allows (about 5 s, with
    # jitter: a sync event does not get round it, docs/sync-protocol.md).
    expect(tablet.page.locator('#sync-status[data-waiting="0"]')).to_be_attached(timeout=SLOW)
    tablet.wait_until_synced()


def test_a_rejected_op_is_set_aside_with_its_reason_and_the_rest_flow(live_server, tablet):
    rejected: set[str] = set()

    def reject_the_first_visit(route: Route) -> None:
        ops = json.loads(route.request.post_data or "{}")["ops"]
        if not rejected:
            rejected.add(ops[0]["entity_id"])
        if all(op["entity_id"] in rejected for op in ops):
            route.fulfill(status=200, content_type="application/json", body=json.dumps(
                {"results": [{"op_id": op["op_id"], "status": "rejected", "error": {
                    "type": "https://visitcheck.example/problems/not-allowed",
                    "title": "Not allowed for this household"}} for op in ops]}))
        else:
            route.continue_()

    tablet.page.route(PUSH, reject_the_first_visit)
    tablet.start_new_visit(0).save_draft()
    expect(tablet.status).to_have_attribute("data-attention", "1", timeout=SLOW)
    tablet.back_to_list()
    tablet.start_new_visit(1).save_draft()
    tablet.back_to_list()
    expect(tablet.status).to_have_attribute("data-waiting", "0", timeout=SLOW)
    expect(tablet.status).to_contain_text("1 needs attention")
    expect(tablet.page.locator("#attention")).to_contain_text("Not allowed for this household")
    with live_server.app.app_context():
        [stored] = db.session.scalars(select(Checklist)).all()
        assert stored.uuid not in rejected
        assert db.session.scalar(select(func.count()).select_from(Checklist)) == 1
