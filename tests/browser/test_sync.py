"""The outbox: what waits, what syncs on reconnect, and what the server sets aside."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Route, expect

from .pages import PUSH, SLOW

pytestmark = pytest.mark.browser


class FakePush:
    """Answers pushes in place of the server, recording what was sent."""

    def __init__(self, answer):
        self.answer = answer
        self.bodies: list[dict] = []

    def __call__(self, route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        self.bodies.append(body)
        results = [self.answer(op) for op in body["ops"]]
        route.fulfill(
            status=200, content_type="application/json", body=json.dumps({"results": results})
        )


def test_saves_while_offline_wait_and_sync_when_the_connection_returns(tablet):
    tablet.go_offline()
    form = tablet.start_new_visit(0)
    form.save_draft()
    expect(tablet.status).to_contain_text("Offline · 1 visit waiting")

    tablet.go_online()

    tablet.wait_until_synced().back_to_list()
    expect(tablet.visits(0).first).to_have_attribute("data-sync", "synced")


def test_repeated_saves_before_a_sync_replace_the_waiting_op(tablet):
    tablet.go_offline()
    form = tablet.start_new_visit(0)
    form.choose("visit.no_access", "false")
    for text in ("first", "second", "third"):
        tablet.page.get_by_label("Who was present").fill(text)
        form.save_draft()

    expect(tablet.status).to_have_attribute("data-waiting", "1")
    tablet.go_online()
    tablet.wait_until_synced()

    # Edit again after the server confirmed revision 1: base_rev follows.
    tablet.page.get_by_label("Who was present").fill("fourth")
    form.save_draft()
    tablet.wait_until_synced()
    expect(tablet.status).to_have_attribute("data-attention", "0")


def test_rejected_submission_is_set_aside_with_its_errors_at_the_field(tablet):
    fake = FakePush(
        lambda op: {
            "op_id": op["op_id"],
            "status": "rejected",
            "error": {
                "type": "https://visitcheck.example/problems/invalid-checklist",
                "title": "The checklist cannot be stored",
                "detail": "some answers need attention",
                "errors": [{"field": "visit.present", "message": "Name everyone who was present"}],
            },
        }
    )
    tablet.page.route(PUSH, fake)
    form = tablet.start_new_visit(0)
    form.fill_visit_section(present="Mum")
    form.submit()

    expect(tablet.status).to_have_attribute("data-attention", "1", timeout=SLOW)
    expect(tablet.status).to_have_attribute("data-waiting", "0")
    expect(tablet.page.locator("#attention")).to_contain_text("The checklist cannot be stored")

    form = tablet.open_visit(0, 0)
    expect(form.error_at("visit.present")).to_contain_text("Name everyone who was present")
    expect(form.field("visit.present")).to_have_value("Mum")

    tablet.page.unroute(PUSH, fake)
    tablet.page.get_by_label("Who was present").fill("Mum and Dad")
    form.submit()
    tablet.wait_until_synced()
    expect(tablet.status).to_have_attribute("data-attention", "0")


def test_conflict_is_set_aside_while_other_visits_flow(tablet):
    conflicted: set[str] = set()

    def answer(op):
        if not conflicted or op["entity_id"] in conflicted:
            conflicted.add(op["entity_id"])
            return {
                "op_id": op["op_id"],
                "status": "conflict",
                "rev": 3,
                "current": {
                    "template": "home-visit",
                    "template_version": 2,  # the tablet's new visits are on version 2
                    "household_id": "x",
                    "status": "returned",
                    "answers": {},
                    "saved_at": "2026-11-20T09:00:00Z",
                },
            }
        return {"op_id": op["op_id"], "status": "applied", "rev": 1}

    fake = FakePush(answer)
    tablet.page.route(PUSH, fake)
    tablet.start_new_visit(0).save_draft()
    expect(tablet.status).to_have_attribute("data-attention", "1", timeout=SLOW)
    tablet.back_to_list()

    tablet.start_new_visit(1).save_draft()
    expect(tablet.status).to_have_attribute("data-waiting", "0", timeout=SLOW)
    expect(tablet.status).to_have_attribute("data-attention", "1")
    tablet.back_to_list()

    with tablet.page.expect_request(PUSH, timeout=SLOW) as request:
        tablet.page.get_by_role("button", name="Keep my version").click()
    last = json.loads(request.value.post_data)["ops"][0]
    assert last["entity_id"] in conflicted
    assert last["base_rev"] == 3


def test_push_carries_the_csrf_token_and_device_id(tablet):
    requests = []
    tablet.page.on(
        "request", lambda r: requests.append(r) if r.url.endswith("/sync/push") else None
    )
    tablet.start_new_visit(0).save_draft()
    tablet.wait_until_synced()

    push = requests[-1]
    assert push.headers["x-csrftoken"]
    assert push.headers["content-type"] == "application/json"
    body = json.loads(push.post_data)
    assert body["device_id"]
    [op] = body["ops"]
    assert op["type"] == "checklist.put"
    assert op["base_rev"] == 0
    assert set(op["sealed"]) == {"v", "kid", "epk", "iv", "ct"}
