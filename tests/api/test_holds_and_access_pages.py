"""The administrator's pages: legal holds, and who has seen a person's records."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.review_support import web_client
from visitcheck.audit.models import AuditEvent
from visitcheck.extensions import db
from visitcheck.retention.models import LegalHold

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _token(client, path: str) -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def _actions(app, prefix: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id)))


def test_an_administrator_places_and_releases_a_hold_on_the_page(app, demo):
    admin = web_client(app, "admin")
    household = demo.households[0]

    placed = admin.post("/admin/holds", data={
        "csrf_token": _token(admin, "/admin/holds"), "subject_type": "household",
        "subject_id": household, "reason": "Court order 2026/114"})

    assert placed.status_code == 302
    with app.app_context():
        hold = db.session.scalars(select(LegalHold)).one()
        hold_id = hold.uuid
    page = admin.get("/admin/holds").get_data(as_text=True)
    assert hold_id in page
    assert "Court order 2026/114" in page
    released = admin.post(f"/admin/holds/{hold_id}/release", data={
        "csrf_token": _token(admin, "/admin/holds"), "reason": "Order discharged"})
    assert released.status_code == 302
    with app.app_context():
        hold = db.session.scalars(select(LegalHold)).one()
        assert (hold.released_by, hold.release_reason) == ("admin", "Order discharged")
    assert _actions(app, "retention.") == ["retention.hold_place", "retention.hold_release"]


def test_a_hold_on_an_unknown_household_is_refused_next_to_the_field(app, demo):
    admin = web_client(app, "admin")

    answer = admin.post("/admin/holds", data={
        "csrf_token": _token(admin, "/admin/holds"), "subject_type": "household",
        "subject_id": "0b6f0a2e-1b1c-4c5e-9d3e-000000000009", "reason": "Inquiry"})

    assert answer.status_code == 400
    assert "no household" in answer.get_data(as_text=True)
    assert "Inquiry" in answer.get_data(as_text=True)  # what was typed stays


def test_only_administrators_reach_the_holds_and_access_pages(app, demo):
    lead = web_client(app, "lead")

    assert lead.get("/admin/holds").status_code == 403
    assert lead.get("/admin/access").status_code == 403


def test_the_access_page_lists_who_read_a_child_and_is_itself_audited(app, demo, api_client):
    hv = api_client("hv")
    hv.pull()
    child = demo.children[demo.households[0]][0]
    admin = web_client(app, "admin")

    page = admin.get(f"/admin/access?person={child}")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "sync.pull" in text
    assert hv.device_id in text
    assert _actions(app, "audit.access_read") == ["audit.access_read"]
