"""Issue 16 item 1: planned visits (`visit_plan.put`) sync like every entity: applied,
idempotent, stale edits conflict, scoped to the caseload, encrypted at rest, pulled by
the devices holding the household; the lead plans one from the household's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.review_support import apply, csrf_token, new_id, pull_all, web_client
from tests.sealing import sealed_op
from visitcheck.extensions import db
from visitcheck.visits.models import VisitPlan


def _day(offset: int = 1) -> str:
    return (datetime.now(UTC) + timedelta(days=offset)).date().isoformat()


def _plan(household: str, **extra) -> dict:
    return {"household_id": household, "planned_for": _day(), "time": "10:30",
            "purpose": "Check Ava's sleeping arrangements", "cancelled": False, **extra}


def test_a_planned_visit_is_applied_once_stored_encrypted_and_pulled_by_the_household(
        app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[1]
    plan_id = new_id()
    op = sealed_op(hv.bootstrap, _plan(household), entity_id=plan_id,
                   op_type="visit_plan.put")
    first = hv.push([op]).get_json()["results"][0]
    assert first["status"] == "applied", first
    again = hv.push([op]).get_json()["results"][0]
    assert again["status"] == "duplicate"
    assert again["rev"] == 1

    with app.app_context():
        rows = db.session.scalars(select(VisitPlan)).all()
        assert len(rows) == 1
        assert b"sleeping arrangements" not in rows[0].sealed_fields
        assert _day().encode() not in rows[0].sealed_fields

    pulled = [c for c in pull_all(hv) if c["type"] == "visit_plan"]
    assert len(pulled) == 1
    data = pulled[0]["data"]
    assert data == {**data, "id": plan_id, "household_id": household, "planned_for": _day(),
                    "time": "10:30", "purpose": "Check Ava's sleeping arrangements",
                    "cancelled": False, "rev": 1}
    assert data["planned_by"]
    # The school nurse does not hold the household: she is not sent it.
    assert not [c for c in pull_all(api_client("sn")) if c["type"] == "visit_plan"]

    moved = apply(hv, "visit_plan.put", plan_id, _plan(household, planned_for=_day(2)),
                  base_rev=1)
    assert moved == {**moved, "status": "applied", "rev": 2}
    stale = apply(hv, "visit_plan.put", plan_id, _plan(household, cancelled=True),
                  base_rev=1)
    assert stale["status"] == "conflict"
    assert stale["current"]["planned_for"] == _day(2)
    assert stale["current"]["cancelled"] is False


def test_a_planned_visit_is_refused_off_the_caseload_or_invalid(app, demo, api_client):
    household = demo.households[1]
    refused = apply(api_client("sn"), "visit_plan.put", new_id(), _plan(household))
    assert refused["status"] == "rejected"
    assert refused["error"]["errors"][0]["field"] == "household_id"
    hv = api_client("hv")
    invalid = apply(hv, "visit_plan.put", new_id(),
                    _plan(household, planned_for=_day(800), time="25:00", colour="red",
                          cancelled="no"))
    assert invalid["status"] == "rejected"
    fields = {e["field"] for e in invalid["error"]["errors"]}
    assert {"planned_for", "time", "colour", "cancelled"} <= fields
    not_new = apply(hv, "visit_plan.put", new_id(), _plan(household), base_rev=3)
    assert not_new["status"] == "rejected"
    with app.app_context():
        assert db.session.scalars(select(VisitPlan)).all() == []


def test_the_lead_plans_a_visit_from_the_household_page_and_the_practitioner_pulls_it(
        app, demo, api_client):
    household = demo.households[1]
    lead = web_client(app, "lead")
    answer = lead.post(f"/visits/plan/{household}", data={
        "csrf_token": csrf_token(lead), "planned_for": _day(3), "time": "",
        "purpose": "Joint visit with the social worker",
        "next": f"/visits/plan/{household}"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    page = lead.get(f"/visits/plan/{household}").get_data(as_text=True)
    assert "Joint visit with the social worker" in page
    pulled = [c["data"] for c in pull_all(api_client("hv")) if c["type"] == "visit_plan"]
    assert [(p["planned_for"], p["purpose"]) for p in pulled] == [
        (_day(3), "Joint visit with the social worker")]
    # A practitioner without the household cannot use the lead's form.
    nurse = web_client(app, "sn")
    refused = nurse.post(f"/visits/plan/{household}", data={
        "csrf_token": csrf_token(nurse), "planned_for": _day(3)})
    assert refused.status_code in (403, 404)
