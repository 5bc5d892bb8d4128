"""Pull scope and who may read a checklist."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import sign_in
from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.audit.models import AuditEvent
from visitcheck.auth import service as auth
from visitcheck.extensions import db

OTHER_PASSWORD = "other-team-password"


def _other_team_visitor(app) -> None:
    with app.app_context():
        team = auth.get_or_create_team(db.session, name="Southbank 0-19 Team")
        auth.create_user(db.session, username="hv2", password=OTHER_PASSWORD,
                         role="health_visitor", team=team)
        db.session.commit()


def _submitted(hv, demo, note="Seen at home") -> str:
    household = demo.households[0]
    op = sealed_op(hv.bootstrap, checklist_payload(
        household, status="submitted", answers=complete_visit(demo.children[household], note)))
    assert hv.push([op]).get_json()["results"][0]["status"] == "applied"
    return op["entity_id"]


def test_pull_returns_the_caseload_households_and_own_checklists_in_pages(demo, api_client):
    hv = api_client("hv")
    checklist_id = _submitted(hv, demo)

    seen, cursor, pages = [], 0, 0
    while True:
        page = hv.pull(cursor=cursor, limit=2).get_json()
        seen += page["changes"]
        cursor, pages = page["cursor"], pages + 1
        if not page["more"]:
            break

    households = {c["entity_id"] for c in seen if c["type"] == "household"}
    assert households == set(demo.households)
    checklists = [c for c in seen if c["type"] == "checklist"]
    assert [c["entity_id"] for c in checklists] == [checklist_id]
    assert checklists[0]["data"]["answers"]["visit"]["present"] == "Seen at home"
    assert pages >= 2
    assert [c["seq"] for c in seen] == sorted(c["seq"] for c in seen)
    assert hv.pull(cursor=cursor).get_json()["changes"] == []


def test_household_data_names_its_members(demo, api_client):
    hv = api_client("hv")
    changes = hv.pull().get_json()["changes"]
    first = next(c for c in changes if c["entity_id"] == demo.households[0])

    assert first["data"]["address"].startswith("14 Alder Row")
    children = [m for m in first["data"]["members"] if m["is_child"]]
    assert {m["person_id"] for m in children} == set(demo.children[demo.households[0]])


def test_other_teams_health_visitor_can_neither_pull_nor_open_the_checklist(app, demo,
                                                                             api_client):
    hv = api_client("hv")
    checklist_id = _submitted(hv, demo, note="canary-other-team")
    _other_team_visitor(app)
    other = api_client("hv2", OTHER_PASSWORD)

    pulled = other.pull().get_json()
    review = other.client.get(f"/review/{checklist_id}")
    queue = other.client.get("/review")

    assert pulled["changes"] == []
    assert review.status_code == 403
    assert queue.status_code == 403
    assert b"canary-other-team" not in review.data + queue.data


def test_lead_of_another_team_gets_not_found(app, demo, api_client):
    hv = api_client("hv")
    checklist_id = _submitted(hv, demo)
    with app.app_context():
        team = auth.get_or_create_team(db.session, name="Southbank 0-19 Team")
        auth.create_user(db.session, username="lead2", password=OTHER_PASSWORD,
                         role="team_lead", team=team)
        db.session.commit()
    client = app.test_client()
    sign_in(client, "lead2", OTHER_PASSWORD)

    assert client.get(f"/review/{checklist_id}").status_code == 404
    assert checklist_id.encode() not in client.get("/review").data


def test_lead_sees_the_submission_and_each_opening_is_audited(app, demo, api_client):
    hv = api_client("hv")
    checklist_id = _submitted(hv, demo, note="Grandmother present")
    client = app.test_client()
    sign_in(client, "lead", demo.PASSWORD)

    queue = client.get("/review")
    page = client.get(f"/review/{checklist_id}")

    assert "Asha Patel" in queue.get_data(as_text=True)
    assert "14 Alder Row" in queue.get_data(as_text=True)
    assert "Grandmother present" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    with app.app_context():
        reads = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "checklist.read")).all()
        assert [(r.object_id, r.actor_id is not None) for r in reads] == [(checklist_id, True)]


def test_drafts_are_not_shown_to_the_lead(app, demo, api_client):
    hv = api_client("hv")
    draft = {"visit": {"no_access": False, "present": "draft-x"}}
    op = sealed_op(hv.bootstrap, checklist_payload(demo.households[0], answers=draft))
    hv.push([op])
    client = app.test_client()
    sign_in(client, "lead", demo.PASSWORD)

    assert client.get(f"/review/{op['entity_id']}").status_code == 404
    assert b"draft-x" not in client.get("/review").data


def test_practitioner_cannot_open_the_review_pages(demo, api_client):
    hv = api_client("hv")
    checklist_id = _submitted(hv, demo)

    assert hv.client.get(f"/review/{checklist_id}").status_code == 403
