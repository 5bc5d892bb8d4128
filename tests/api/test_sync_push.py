"""POST /api/v1/sync/push with checklist.put: each answer of DESIGN.md §6."""

from __future__ import annotations

import copy

from sqlalchemy import func, select

from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db
from visitcheck.keys import b64url_decode, b64url_encode
from visitcheck.sync.models import SyncOp


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_same_op_twice_is_applied_then_duplicate_and_stored_once(app, demo, api_client):
    hv = api_client("hv")
    op = sealed_op(hv.bootstrap, checklist_payload(demo.households[0]))

    first = hv.push([op]).get_json()["results"][0]
    second = hv.push([op]).get_json()["results"][0]

    assert first == {"op_id": op["op_id"], "status": "applied", "rev": 1}
    assert second == {"op_id": op["op_id"], "status": "duplicate", "rev": 1}
    assert _count(app, Checklist) == 1
    assert _count(app, SyncOp) == 1


def test_stale_base_rev_is_a_conflict_carrying_the_current_revision_and_content(demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    create = sealed_op(hv.bootstrap, checklist_payload(household))
    entity = create["entity_id"]
    hv.push([create])
    edit = sealed_op(hv.bootstrap, checklist_payload(household, answers={"visit": {
        "no_access": False, "present": "edit one"}}), entity_id=entity, base_rev=1)
    assert hv.push([edit]).get_json()["results"][0]["rev"] == 2

    stale = sealed_op(hv.bootstrap, checklist_payload(household, answers={"visit": {
        "no_access": False, "present": "edit from an old copy"}}), entity_id=entity, base_rev=1)
    result = hv.push([stale]).get_json()["results"][0]

    assert result["status"] == "conflict"
    assert result["rev"] == 2
    assert result["current"]["answers"] == {"visit": {"no_access": False, "present": "edit one"}}


def test_tampered_ciphertext_is_rejected_and_stores_nothing(app, demo, api_client):
    hv = api_client("hv")
    op = sealed_op(hv.bootstrap, checklist_payload(demo.households[0]))
    ct = bytearray(b64url_decode(op["sealed"]["ct"]))
    ct[5] ^= 0x01
    op["sealed"]["ct"] = b64url_encode(bytes(ct))

    result = hv.push([op]).get_json()["results"][0]

    assert result["status"] == "rejected"
    assert result["error"]["type"].endswith("/sealed-invalid")
    assert _count(app, Checklist) == 0
    assert _count(app, SyncOp) == 0


def test_envelope_moved_to_another_op_id_does_not_open(app, demo, api_client):
    hv = api_client("hv")
    op = sealed_op(hv.bootstrap, checklist_payload(demo.households[0]))
    moved = copy.deepcopy(op)
    moved["op_id"] = sealed_op(hv.bootstrap, {})["op_id"]

    result = hv.push([moved]).get_json()["results"][0]

    assert result["status"] == "rejected"
    assert _count(app, Checklist) == 0


def test_op_id_reused_with_another_body_is_rejected_never_applied(app, demo, api_client):
    hv = api_client("hv")
    op = sealed_op(hv.bootstrap, checklist_payload(demo.households[0]))
    hv.push([op])
    other = sealed_op(hv.bootstrap, checklist_payload(demo.households[1]), op_id=op["op_id"])

    result = hv.push([other]).get_json()["results"][0]

    assert result["status"] == "rejected"
    assert result["error"]["type"].endswith("/op-id-reused")
    assert _count(app, Checklist) == 1


def test_one_bad_op_does_not_block_the_others_and_answers_keep_their_order(demo, api_client):
    hv = api_client("hv")
    good_1 = sealed_op(hv.bootstrap, checklist_payload(demo.households[0]))
    bad = sealed_op(hv.bootstrap, checklist_payload(demo.households[0]))
    bad["sealed"]["iv"] = b64url_encode(b"\x00" * 12)
    good_2 = sealed_op(hv.bootstrap, checklist_payload(demo.households[1]))

    results = hv.push([good_1, bad, good_2]).get_json()["results"]

    assert [r["op_id"] for r in results] == [good_1["op_id"], bad["op_id"], good_2["op_id"]]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]


def test_submission_missing_a_required_answer_is_rejected_naming_the_field(app, demo, api_client):
    hv = api_client("hv")
    answers = complete_visit(demo.children[demo.households[0]])
    del answers["visit"]["visit_type"]
    op = sealed_op(hv.bootstrap, checklist_payload(demo.households[0], status="submitted",
                                                   answers=answers))

    result = hv.push([op]).get_json()["results"][0]

    assert result["status"] == "rejected"
    assert {"field": "visit.visit_type", "message": "is required"} in result["error"]["errors"]
    assert _count(app, Checklist) == 0


def test_unknown_field_and_wrong_type_are_rejected_with_the_field_named(demo, api_client):
    hv = api_client("hv")
    answers = complete_visit(demo.children[demo.households[0]])
    answers["visit"]["mood"] = "fine"
    answers["visit"]["no_access"] = "no"
    op = sealed_op(hv.bootstrap, checklist_payload(demo.households[0], status="submitted",
                                                   answers=answers))

    errors = hv.push([op]).get_json()["results"][0]["error"]["errors"]

    fields = {e["field"] for e in errors}
    assert {"visit.mood", "visit.no_access"} <= fields


def test_complete_submission_is_applied(demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    op = sealed_op(hv.bootstrap, checklist_payload(
        household, status="submitted", answers=complete_visit(demo.children[household])))

    assert hv.push([op]).get_json()["results"][0]["status"] == "applied"


def test_household_not_on_the_caseload_is_rejected(demo, api_client):
    sn = api_client("sn")
    op = sealed_op(sn.bootstrap, checklist_payload(demo.households[0]))

    result = sn.push([op]).get_json()["results"][0]

    assert result["status"] == "rejected"
    assert result["error"]["type"].endswith("/forbidden")


def test_more_than_100_ops_is_413(demo, api_client):
    hv = api_client("hv")
    ops = [sealed_op(hv.bootstrap, checklist_payload(demo.households[0])) for _ in range(101)]

    response = hv.push(ops)

    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_push_without_csrf_token_is_refused(demo, api_client):
    hv = api_client("hv")
    op = sealed_op(hv.bootstrap, checklist_payload(demo.households[0]))

    response = hv.client.post("/api/v1/sync/push", json={"device_id": hv.device_id, "ops": [op]})

    assert response.status_code == 400
    assert response.get_json()["type"].endswith("/csrf")


def test_push_from_an_unregistered_device_is_refused(demo, api_client):
    hv = api_client("hv")
    hv.device_id = "00000000-0000-4000-8000-000000000000"

    response = hv.push([])

    assert response.status_code == 403
    assert response.get_json()["type"].endswith("/device-not-registered")


def test_a_conflict_is_recorded_once_and_resolved_by_the_next_edit(app, demo, api_client):
    from visitcheck.sync.models import SyncConflict

    hv = api_client("hv")
    household = demo.households[0]
    create = sealed_op(hv.bootstrap, checklist_payload(household))
    entity = create["entity_id"]
    hv.push([create])
    hv.push([sealed_op(hv.bootstrap, checklist_payload(household), entity_id=entity,
                       base_rev=1)])
    stale = sealed_op(hv.bootstrap, checklist_payload(household), entity_id=entity, base_rev=1)

    assert hv.push([stale]).get_json()["results"][0]["status"] == "conflict"
    assert hv.push([stale]).get_json()["results"][0]["status"] == "conflict"
    choice = sealed_op(hv.bootstrap, checklist_payload(household), entity_id=entity,
                       base_rev=2)
    assert hv.push([choice]).get_json()["results"][0]["status"] == "applied"

    with app.app_context():
        conflicts = db.session.scalars(select(SyncConflict)).all()
        assert [(c.op_id, c.base_rev, c.server_rev, c.resolved_by_op_id)
                for c in conflicts] == [(stale["op_id"], 1, 2, choice["op_id"])]


def test_a_push_with_refused_ops_keeps_every_applied_op_once_and_nothing_of_the_refused(
        app, demo, api_client):
    """A push applies in one go unless an op is refused; then it is applied again op
    by op, and the refused ones leave no row behind."""
    hv = api_client("hv")
    home, other = demo.households[0], demo.households[1]
    existing = sealed_op(hv.bootstrap, checklist_payload(home))
    hv.push([existing])
    ops = [
        sealed_op(hv.bootstrap, checklist_payload(home)),
        sealed_op(hv.bootstrap, checklist_payload("not-a-household-id")),
        sealed_op(hv.bootstrap, checklist_payload(other)),
        sealed_op(hv.bootstrap, checklist_payload(home), entity_id=existing["entity_id"]),
        sealed_op(hv.bootstrap, checklist_payload(other, status="submitted")),  # S1 missing
        sealed_op(hv.bootstrap, checklist_payload(other)),
    ]

    results = hv.push(ops).get_json()["results"]

    assert [r["status"] for r in results] == [
        "applied", "rejected", "applied", "conflict", "rejected", "applied"]
    assert _count(app, Checklist) == 4
    assert _count(app, SyncOp) == 4
    with app.app_context():
        stored = set(db.session.scalars(select(Checklist.uuid)))
    assert stored == {existing["entity_id"], ops[0]["entity_id"], ops[2]["entity_id"],
                      ops[5]["entity_id"]}
