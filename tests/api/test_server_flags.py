"""The server runs the template's rules over everything the team holds, stores the
flag summary for the queue and sends the flags back to the device on pull."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from tests.review_support import person_id
from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db


def _new() -> str:
    return str(uuid.uuid4())


def _put(client, op_type: str, entity_id: str, payload: dict, base_rev: int = 0) -> dict:
    result = client.push([sealed_op(client.bootstrap, payload, entity_id=entity_id,
                                    base_rev=base_rev, op_type=op_type)]).get_json()
    assert result["results"][0]["status"] == "applied", result
    return result["results"][0]


def _person(name: str, *, is_child: bool = False) -> dict:
    return {"names": [name], "is_child": is_child, "aliases": [], "children": []}


def _summary(app, checklist_id: str) -> set[str]:
    with app.app_context():
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == checklist_id)).one()
        return {f["rule"] for f in json.loads(row.flag_summary)}


def test_the_seed_scenario_raises_the_same_flags_on_the_server(app, demo, api_client):
    hv = api_client("hv")
    home = demo.households[0]
    children = demo.children[home]
    mother = person_id(app, home, "Kerry Lawson")
    grandfather = _new()
    _put(hv, "person.put", grandfather, _person("Ray Holt"))
    _put(hv, "membership.put", _new(), {"household_id": home, "person_id": grandfather,
                                        "residence": "visits_regularly"})
    _put(hv, "concern.put", _new(), {
        "person_id": grandfather, "basis": ["convicted_child_offence"],
        "source": "Police disclosure", "verified": True, "protect_source": False,
        "contact": {child: "regular_unsupervised" for child in children}})
    answers = complete_visit(children)
    answers["parents"] = {"parents": {mother: {"told": "no", "understanding": "not_discussed"}}}
    checklist = _new()
    _put(hv, "checklist.put", checklist, checklist_payload(home, status="submitted",
                                                           answers=answers),)

    first = _summary(app, checklist)
    assert {"poc-contact", "parent-uninformed"} <= first
    assert "complex-abuse" not in first

    # He also lives in a second household, with a child of its own.
    second, child = _new(), _new()
    _put(hv, "household.put", second, {"address": "2 Elm Court", "professionals": []})
    _put(hv, "person.put", child, _person("Tia Holt", is_child=True))
    _put(hv, "membership.put", _new(), {"household_id": second, "person_id": child,
                                        "residence": "lives_here"})
    _put(hv, "membership.put", _new(), {"household_id": second, "person_id": grandfather,
                                        "residence": "lives_here"})
    again = _new()
    _put(hv, "checklist.put", again, checklist_payload(home, status="submitted",
                                                       answers=answers))

    assert {"poc-contact", "parent-uninformed", "complex-abuse"} <= _summary(app, again)
    pulled = {}
    cursor = 0
    while True:
        page = hv.pull(cursor=cursor).get_json()
        pulled.update({c["entity_id"]: c["data"] for c in page["changes"]})
        cursor = page["cursor"]
        if not page["more"]:
            break
    flags = pulled[again]["flags"]
    assert {f["rule"] for f in flags} == _summary(app, again)
    poc = next(f for f in flags if f["rule"] == "poc-contact")
    assert "Ray Holt" in poc["reason"]
    assert poc["severity"] == "urgent"


def test_a_quiet_visit_raises_no_urgent_flag(app, demo, api_client):
    hv = api_client("hv")
    home = demo.households[2]
    checklist = _new()
    _put(hv, "checklist.put", checklist, checklist_payload(
        home, status="submitted", answers=complete_visit(demo.children[home])))

    with app.app_context():
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == checklist)).one()
        assert all(f["severity"] != "urgent" for f in json.loads(row.flag_summary))
