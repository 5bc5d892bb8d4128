"""Writes and the reads a push answers with are in the audit trail, with the device
that sent them and the records they touch."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import make_checklist, make_concern, make_person
from tests.sealing import checklist_payload, sealed_op
from visitcheck.audit.models import AuditEvent
from visitcheck.extensions import db


def _entries(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        entries = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == action).order_by(AuditEvent.seq)))
        db.session.expunge_all()
        return entries


def test_each_applied_op_is_audited_with_its_device_and_the_records_it_names(app, demo,
                                                                             api_client):
    hv = api_client("hv")
    household = demo.households[0]
    children = demo.children[household]

    checklist = make_checklist(hv, household, children)
    adult = make_person(hv, "Visiting uncle", is_child=False)
    concern = make_concern(hv, adult, {children[0]: "supervised"})

    applied = {e.object_id: e for e in _entries(app, "sync.applied")}
    assert applied[checklist].device_id == hv.device_id
    assert f"household:{household}" in applied[checklist].subjects
    assert applied[concern].object_type == "concern"
    assert f"person:{adult}" in applied[concern].subjects
    assert f"person:{children[0]}" in applied[concern].subjects
    assert all(e.chain_hash for e in applied.values())


def test_a_conflict_answer_carrying_the_servers_content_is_audited(app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    checklist = make_checklist(hv, household, demo.children[household], status="draft")

    answer = hv.push([sealed_op(hv.bootstrap, checklist_payload(household),
                                entity_id=checklist)]).get_json()["results"][0]

    assert answer["status"] == "conflict"
    reads = _entries(app, "sync.conflict_read")
    assert [(e.object_id, e.device_id) for e in reads] == [(checklist, hv.device_id)]


def test_a_rejected_op_leaves_no_write_in_the_trail(app, demo, api_client):
    hv = api_client("hv")
    bad = sealed_op(hv.bootstrap, {"names": []}, op_type="person.put")

    answer = hv.push([bad]).get_json()["results"][0]

    assert answer["status"] == "rejected"
    assert _entries(app, "sync.applied") == []
