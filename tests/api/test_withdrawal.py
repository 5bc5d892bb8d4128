"""Issue 11 item 4: a visit submitted by mistake can be withdrawn by its author (op
`checklist.withdraw`, sealed, idempotent) until the team lead has decided on it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tests.review_support import (
    apply,
    checklist_row,
    csrf_token,
    pull_all,
    record_concern,
    submit_checklist,
    web_client,
)
from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.audit.models import AuditEvent
from visitcheck.extensions import db
from visitcheck.notify.models import Notification


def _withdrawal() -> dict:
    return {"withdrawn_at": datetime.now(UTC).isoformat()}


def _submitted(api_client, demo, household_index: int = 0):
    hv = api_client("hv")
    household = demo.households[household_index]
    return hv, household, submit_checklist(hv, household, demo.children[household])


def _decide(app, checklist_id: str, decision: str, **extra) -> None:
    lead = web_client(app, "lead")
    answer = lead.post(f"/review/{checklist_id}/decision", data={
        "csrf_token": csrf_token(lead), "rev": "1", "decision": decision, **extra})
    assert answer.status_code == 302


def test_a_submission_withdrawn_goes_back_to_draft_on_the_authors_devices(
        app, demo, api_client):
    hv, household, checklist = _submitted(api_client, demo)
    result = apply(hv, "checklist.withdraw", checklist, _withdrawal(), base_rev=1)
    assert result["status"] == "applied"
    assert result["rev"] == 2
    assert checklist_row(app, checklist) == {"status": "draft", "rev": 2}

    # Every device of the author learns it is a draft again, answers kept.
    latest = [c for c in pull_all(hv) if c["entity_id"] == checklist][-1]["data"]
    assert latest["status"] == "draft"
    assert latest["rev"] == 2
    assert latest["answers"]["visit"]["present"] == "Seen at home"
    # The lead no longer has it to review.
    lead = web_client(app, "lead")
    assert lead.get(f"/review/{checklist}").status_code == 404
    assert checklist not in lead.get("/review").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "checklist.withdraw",
            AuditEvent.object_id == checklist)).one()

    # Corrected, it is submitted again from the draft's revision.
    again = sealed_op(hv.bootstrap, checklist_payload(
        household, status="submitted",
        answers=complete_visit(demo.children[household], "Mother and Leo")),
        entity_id=checklist, base_rev=2)
    assert hv.push([again]).get_json()["results"][0]["status"] == "applied"
    assert checklist_row(app, checklist) == {"status": "submitted", "rev": 3}


def test_withdrawing_is_refused_once_the_lead_has_decided(app, demo, api_client):
    hv, _, approved = _submitted(api_client, demo)
    _decide(app, approved, "approve")
    result = apply(hv, "checklist.withdraw", approved, _withdrawal(), base_rev=2)
    assert result["status"] == "rejected"
    assert result["error"]["type"].endswith("/already-decided")
    assert checklist_row(app, approved) == {"status": "approved", "rev": 2}

    _, _, escalated = _submitted(api_client, demo, household_index=2)
    _decide(app, escalated, "escalate", procedure="strategy_discussion")
    result = apply(hv, "checklist.withdraw", escalated, _withdrawal(), base_rev=2)
    assert result["status"] == "rejected"
    assert checklist_row(app, escalated)["status"] == "escalated"


def test_withdrawing_is_idempotent(app, demo, api_client):
    hv, _, checklist = _submitted(api_client, demo)
    op = sealed_op(hv.bootstrap, _withdrawal(), entity_id=checklist, base_rev=1,
                   op_type="checklist.withdraw")
    first = hv.push([op]).get_json()["results"][0]
    assert first["status"] == "applied"
    # The same op again (a lost response): the first answer; a second device's
    # withdrawal of the same visit: applied, nothing changes.
    assert hv.push([op]).get_json()["results"][0] == {**first, "status": "duplicate"}
    other = apply(hv, "checklist.withdraw", checklist, _withdrawal(), base_rev=1)
    assert other == {"op_id": other["op_id"], "status": "applied", "rev": 2}
    assert checklist_row(app, checklist) == {"status": "draft", "rev": 2}


def test_only_the_author_may_withdraw_and_only_the_revision_they_hold(app, demo, api_client):
    _, _, checklist = _submitted(api_client, demo)
    sn = api_client("sn")
    refused = apply(sn, "checklist.withdraw", checklist, _withdrawal(), base_rev=1)
    assert refused["status"] == "rejected"
    assert checklist_row(app, checklist) == {"status": "submitted", "rev": 1}

    hv = api_client("hv")
    stale = apply(hv, "checklist.withdraw", checklist, _withdrawal(), base_rev=0)
    assert stale["status"] == "conflict"
    assert stale["rev"] == 1
    bad = apply(hv, "checklist.withdraw", checklist, {"withdrawn_at": "yesterday"}, base_rev=1)
    assert bad["status"] == "rejected"
    assert checklist_row(app, checklist) == {"status": "submitted", "rev": 1}


def test_a_withdrawn_visits_pending_email_is_not_sent(app, demo, api_client):
    hv = api_client("hv")
    record_concern(app, hv, demo)
    household = demo.households[1]
    checklist = submit_checklist(hv, household, demo.children[household])
    assert apply(hv, "checklist.withdraw", checklist, _withdrawal(), base_rev=1)["status"] \
        == "applied"
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        [row] = db.session.scalars(select(Notification)).all()
        assert row.sent_via == "void"
    assert "/review/" not in result.output
