"""S9: the team lead approves, returns with a comment, or escalates naming the procedure;
the decision reaches the author's tablet on the next pull."""

from __future__ import annotations

from sqlalchemy import select

from tests.review_support import (
    OTHER_PASSWORD,
    checklist_row,
    csrf_token,
    other_team,
    pull_all,
    submit_checklist,
    web_client,
)
from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.audit.models import AuditEvent
from visitcheck.extensions import db
from visitcheck.review.models import ReviewDecision

COMMENT = "Please record who else was present and whether Leo was seen alone."


def _decide(client, checklist_id: str, rev: int, **form):
    data = {"csrf_token": csrf_token(client), "rev": str(rev), **form}
    return client.post(f"/review/{checklist_id}/decision", data=data)


def _submitted(api_client, demo) -> tuple[object, str]:
    hv = api_client("hv")
    household = demo.households[0]
    return hv, submit_checklist(hv, household, demo.children[household])


def test_returning_sends_the_comment_to_the_authors_tablet_and_the_resubmission_is_approved(
        app, demo, api_client):
    hv, checklist_id = _submitted(api_client, demo)
    lead = web_client(app, "lead")
    page = lead.get(f"/review/{checklist_id}")
    assert page.status_code == 200
    assert "Record decision" in page.get_data(as_text=True)

    answer = _decide(lead, checklist_id, 1, decision="return", comment=COMMENT)
    assert answer.status_code == 302
    assert checklist_row(app, checklist_id) == {"status": "returned", "rev": 2}

    pulled = [c for c in pull_all(hv) if c["entity_id"] == checklist_id]
    latest = pulled[-1]["data"]
    assert latest["status"] == "returned"
    assert latest["rev"] == 2
    assert latest["review"]["decision"] == "return"
    assert latest["review"]["comment"] == COMMENT
    assert latest["review"]["lead"] == "Grace Okafor"

    household = demo.households[0]
    edit = sealed_op(hv.bootstrap, checklist_payload(
        household, status="submitted",
        answers=complete_visit(demo.children[household], "Mother, Leo seen alone")),
        entity_id=checklist_id, base_rev=2)
    result = hv.push([edit]).get_json()["results"][0]
    assert result == {"op_id": edit["op_id"], "status": "applied", "rev": 3}

    assert _decide(lead, checklist_id, 3, decision="approve").status_code == 302
    assert checklist_row(app, checklist_id) == {"status": "approved", "rev": 4}
    final = [c for c in pull_all(hv) if c["entity_id"] == checklist_id][-1]["data"]
    assert final["status"] == "approved"
    assert final["review"]["decision"] == "approve"


def test_returning_without_a_comment_is_refused_next_to_the_field(app, demo, api_client):
    _, checklist_id = _submitted(api_client, demo)
    lead = web_client(app, "lead")
    answer = _decide(lead, checklist_id, 1, decision="return", comment="  ")
    assert answer.status_code == 400
    body = answer.get_data(as_text=True)
    assert 'id="comment-error"' in body
    assert "Say what the practitioner needs to change." in body
    assert checklist_row(app, checklist_id) == {"status": "submitted", "rev": 1}


def test_escalating_names_the_procedure_and_keeps_the_supervision_date(app, demo, api_client):
    _, checklist_id = _submitted(api_client, demo)
    lead = web_client(app, "lead")
    assert _decide(lead, checklist_id, 1, decision="escalate").status_code == 400

    answer = _decide(lead, checklist_id, 1, decision="escalate",
                     procedure="strategy_discussion", supervision_date="2026-12-01",
                     comment="Strategy discussion with social care booked.")
    assert answer.status_code == 302
    assert checklist_row(app, checklist_id)["status"] == "escalated"
    page = lead.get(f"/review/{checklist_id}").get_data(as_text=True)
    assert "Escalated</strong>: Strategy discussion" in page
    assert "supervision Tuesday 1 December 2026" in page  # dates in words (issue 11)
    with app.app_context():
        row = db.session.scalars(select(ReviewDecision)).one()
        assert row.procedure == "strategy_discussion"
        assert b"Strategy discussion with social care" not in row.sealed_fields
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_id == checklist_id)).all()
        assert "review.escalate" in actions
        assert "checklist.read" in actions


def test_a_decision_on_a_revision_the_lead_did_not_read_is_refused(app, demo, api_client):
    _, checklist_id = _submitted(api_client, demo)
    lead = web_client(app, "lead")
    answer = _decide(lead, checklist_id, 7, decision="approve")
    assert answer.status_code == 409
    assert "changed since you opened it" in answer.get_data(as_text=True)
    assert checklist_row(app, checklist_id)["status"] == "submitted"


def test_an_approved_checklist_takes_no_further_decision(app, demo, api_client):
    _, checklist_id = _submitted(api_client, demo)
    lead = web_client(app, "lead")
    assert _decide(lead, checklist_id, 1, decision="approve").status_code == 302
    assert _decide(lead, checklist_id, 2, decision="return", comment="x").status_code == 409
    assert "Record decision" not in lead.get(f"/review/{checklist_id}").get_data(as_text=True)


def test_only_a_lead_of_the_same_team_may_decide(app, demo, api_client):
    _, checklist_id = _submitted(api_client, demo)
    other_team(app)
    for username, password, status in [("hv", demo.password, 403),
                                       ("admin", demo.password, 403),
                                       ("lead2", OTHER_PASSWORD, 404)]:
        client = web_client(app, username, password)
        assert _decide(client, checklist_id, 1, decision="approve").status_code == status
    assert checklist_row(app, checklist_id)["status"] == "submitted"
