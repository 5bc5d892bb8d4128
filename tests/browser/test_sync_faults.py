"""Faults in the middle of a sync, in a real browser: the answer lost with the
page, and the connection cut part-way through a long queue. Nothing is lost,
nothing is applied twice."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import Route, expect
from sqlalchemy import func, select

from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db
from visitcheck.sync.models import SyncOp

from .pages import PASSPHRASE, PUSH, SLOW, TabletApp

pytestmark = pytest.mark.browser


def wait_for(condition, timeout: float = 30.0, page=None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        if page is not None:
            page.wait_for_timeout(50)  # lets Playwright dispatch route handlers
        else:
            time.sleep(0.05)


def checklist_count(live_server) -> int:
    with live_server.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Checklist))


def test_page_closed_after_the_server_committed_gets_duplicate_on_reopening(
    live_server, tablet
):
    committed: list[dict] = []

    def commit_then_lose_the_answer(route: Route) -> None:
        # The request reaches the server and commits; the page never hears back.
        response = route.fetch()
        committed.append(response.json())

    tablet.page.route(PUSH, commit_then_lose_the_answer)
    tablet.start_new_visit(0).save_draft()
    wait_for(lambda: committed, page=tablet.page)
    [first] = committed[0]["results"]
    assert first["status"] == "applied"
    context = tablet.context
    tablet.page.close()

    page = context.new_page()
    reopened = TabletApp(page, live_server.url).open()
    with page.expect_response(PUSH, timeout=SLOW) as push:
        reopened.unlock(PASSPHRASE)
    [answer] = push.value.json()["results"]
    assert answer == {**first, "status": "duplicate"}
    reopened.wait_until_synced()
    expect(reopened.visits(0)).to_have_count(1)
    expect(reopened.visits(0).first).to_have_attribute("data-sync", "synced")
    assert checklist_count(live_server) == 1


QUEUE_DRAFTS = """
async ({ households, count }) => {
  const { saveChecklist } = await import("/static/app/sync/queue.js");
  for (let i = 0; i < count; i += 1) {
    await saveChecklist({
      id: crypto.randomUUID(), household_id: households[i % households.length],
      template: "home-visit", template_version: 1, status: "draft",
      answers: { visit: { no_access: false, present: `Visit number ${i + 1}` } },
      saved_at: new Date().toISOString(), rev: 0,
    });
  }
}
"""


def test_connection_cut_part_way_through_fifty_items_sends_each_once(
    live_server, demo, tablet
):
    tablet.go_offline()
    tablet.page.evaluate(QUEUE_DRAFTS, {"households": demo.households, "count": 50})
    expect(tablet.status).to_have_attribute("data-waiting", "50")

    pushes: list[int] = []

    def cut_after_the_first_push(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        pushes.append(len(body["ops"]))
        if len(pushes) > 1:
            # Requests that reach the route while offline fail like the network would.
            route.abort("internetdisconnected")
            return
        response = route.fetch()
        # The first batch is answered; then the connection goes.
        tablet.context.set_offline(True)
        route.fulfill(response=response)

    tablet.page.route(PUSH, cut_after_the_first_push)
    tablet.go_online()
    wait_for(lambda: pushes, page=tablet.page)
    expect(tablet.page.locator('#sync-status[data-phase="offline"]')).to_be_attached(timeout=SLOW)
    expect(tablet.status).not_to_have_attribute("data-waiting", "50")
    waiting = int(tablet.status.get_attribute("data-waiting"))
    assert pushes[0] < 50  # the queue goes in batches
    assert 0 < waiting < 50, waiting
    assert checklist_count(live_server) == 50 - waiting

    tablet.page.unroute(PUSH, cut_after_the_first_push)
    tablet.go_online()
    tablet.wait_until_synced(timeout=60_000)

    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Checklist)) == 50
        assert db.session.scalar(
            select(func.count(func.distinct(SyncOp.entity_id)))
            .where(SyncOp.type == "checklist.put")) == 50
        assert db.session.scalar(
            select(func.count()).select_from(SyncOp).where(SyncOp.type == "checklist.put")) == 50
        assert {c.rev for c in db.session.scalars(select(Checklist))} == {1}
