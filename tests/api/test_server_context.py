"""The server builds the rules' context through the same step as the tablet
(`build_context`): this visit's S3 answers count, over whatever client sent them."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db, keyring
from visitcheck.rules import service as rules_service


def _put(client, op_type: str, payload: dict, entity_id: str | None = None) -> None:
    result = client.push([sealed_op(client.bootstrap, payload, op_type=op_type,
                                    entity_id=entity_id or str(uuid.uuid4()))]).get_json()
    assert result["results"][0]["status"] == "applied", result


def _rules_raised(app, checklist: str) -> set[str]:
    with app.app_context():
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == checklist)).one()
        return {f["rule"] for f in json.loads(row.flag_summary)}


def _raised_with_subjects(app, checklist: str) -> set[tuple[str, str | None]]:
    """The server's flags for a stored checklist, each with its subject."""
    with app.app_context():
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == checklist)).one()
        raised = rules_service.server_flags(db.session, row, keyring=keyring())
        db.session.rollback()
    return {(flag["rule"], flag["subject"]) for flag in raised}


def _submit(hv, home: str, answers: dict) -> str:
    checklist = str(uuid.uuid4())
    _put(hv, "checklist.put", checklist_payload(home, status="submitted", answers=answers),
         entity_id=checklist)
    return checklist


def _uncle_who_lives_elsewhere(hv, home: str) -> str:
    """A person of concern linked to the household as living elsewhere, no contact on record."""
    uncle = str(uuid.uuid4())
    _put(hv, "person.put", {"names": ["Lee Holt"], "is_child": False, "aliases": [],
                            "children": []}, entity_id=uncle)
    _put(hv, "membership.put", {"household_id": home, "person_id": uncle,
                                "residence": "lives_elsewhere"})
    _put(hv, "concern.put", {"person_id": uncle, "basis": ["convicted_child_offence"],
                             "source": "Police disclosure", "verified": True,
                             "protect_source": False, "contact": {}})
    return uncle


def test_contact_recorded_only_in_s3_raises_poc_contact_on_the_server(app, demo, api_client):
    hv = api_client("hv")
    home = demo.households[0]
    children = demo.children[home]
    uncle = _uncle_who_lives_elsewhere(hv, home)
    answers = complete_visit(children)
    quiet = _submit(hv, home, answers)

    answers["risky_adults"] = {"concerns": {uncle: {
        "basis": ["convicted_child_offence"], "source": "",
        "contact": {children[0]: {"contact": "overnight"}}}}}
    loud = _submit(hv, home, answers)

    assert "poc-contact" not in _rules_raised(app, quiet)
    assert "poc-contact" in _rules_raised(app, loud)


def test_an_adult_seen_at_an_earlier_visit_is_not_an_unseen_adult_on_the_server(
        app, demo, api_client):
    hv = api_client("hv")
    home = demo.households[0]
    children = demo.children[home]
    lodger = str(uuid.uuid4())
    _put(hv, "person.put", {"names": ["Sam Reid"], "is_child": False, "aliases": [],
                            "children": []}, entity_id=lodger)
    _put(hv, "membership.put", {"household_id": home, "person_id": lodger,
                                "residence": "lives_here"})
    first = _submit(hv, home, complete_visit(children))
    assert ("unseen-adult", lodger) in _raised_with_subjects(app, first)

    seen_then = complete_visit(children)
    seen_then["household"] = {"members": {lodger: {"seen": True}}}
    _submit(hv, home, seen_then)
    later = complete_visit(children)
    later["visit"]["visit_at"] = "2026-11-27T10:30"
    seen_before = _submit(hv, home, later)

    assert ("unseen-adult", lodger) not in _raised_with_subjects(app, seen_before)
    # Seen now at some visit: the first visit's prompt is answered too.
    assert ("unseen-adult", lodger) not in _raised_with_subjects(app, first)
