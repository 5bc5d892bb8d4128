"""The template the tablet is served is the template that was loaded (docs/rules.md):
stored and served without sorting keys, `let` bindings as ordered lists, and the
bank holidays the rules count working days with."""

from __future__ import annotations

import json
import uuid
from importlib import resources

import pytest
from sqlalchemy import select

from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.checklists import service as checklists
from visitcheck.checklists.models import Checklist, ChecklistTemplate
from visitcheck.extensions import db


def _ordered(text: str):
    """JSON with every object as its list of (key, value) pairs: equal only if the
    keys come in the same order too."""
    return json.loads(text, object_pairs_hook=list)


def _home_visit_file() -> str:
    folder = resources.files("visitcheck.checklists") / "templates"
    return (folder / "home-visit.v1.json").read_text()


def test_the_stored_and_served_template_equal_the_loaded_file_key_order_included(app, demo,
                                                                                 api_client):
    loaded = _ordered(_home_visit_file())
    with app.app_context():
        stored = db.session.scalars(select(ChecklistTemplate.definition).where(
            ChecklistTemplate.template == "home-visit", ChecklistTemplate.version == 1)).one()
    response = api_client("hv").get("/api/v1/bootstrap")
    served = [template for template in _ordered(response.get_data(as_text=True))
              if template[0] == "templates"][0][1]
    served_v1 = next(t for t in served if ("template", "home-visit") in t and ("version", 1) in t)

    assert _ordered(stored) == loaded
    assert served_v1 == loaded


def test_bootstrap_sends_the_bank_holidays_with_substitute_days(app, demo, api_client):
    calendar = api_client("hv").get("/api/v1/bootstrap").get_json()["calendar"]

    holidays = calendar["bank_holidays"]
    assert holidays == sorted(holidays)
    assert "2026-12-25" in holidays
    assert "2026-12-28" in holidays  # Boxing Day falls on a Saturday: the Monday after
    assert "2026-12-26" not in holidays  # a Saturday is not a working day anyway
    assert "2026-08-31" in holidays  # the late summer bank holiday (England and Wales)


def test_a_template_whose_let_binds_from_an_object_is_refused(app):
    definition = json.loads(_home_visit_file())
    definition["version"] = 99
    definition["rules"] = [{"id": "r", "severity": "review", "reason": "", "action": "",
                            "when": {"let": [{"b": {"var": "a"}, "a": 1}, {"var": "b"}]}}]
    with app.app_context(), pytest.raises(checklists.InvalidChecklist, match="ordered list"):
        checklists.load_template(db.session, definition=definition)


def test_a_person_of_concern_who_lives_with_a_child_raises_poc_contact_on_the_server(
        app, demo, api_client):
    hv = api_client("hv")
    home = demo.households[0]
    children = demo.children[home]
    adult = str(uuid.uuid4())

    def put(op_type: str, payload: dict) -> None:
        result = hv.push([sealed_op(hv.bootstrap, payload, entity_id=str(uuid.uuid4())
                                    if op_type != "person.put" else adult,
                                    op_type=op_type)]).get_json()
        assert result["results"][0]["status"] == "applied", result

    put("person.put", {"names": ["Ray Holt"], "is_child": False, "aliases": [], "children": []})
    put("membership.put", {"household_id": home, "person_id": adult, "residence": "lives_here"})
    # No contact recorded with any child: living in the household is the contact.
    put("concern.put", {"person_id": adult, "basis": ["convicted_child_offence"],
                        "source": "Police disclosure", "verified": True,
                        "protect_source": False, "contact": {}})
    checklist = str(uuid.uuid4())
    put_checklist = sealed_op(hv.bootstrap, checklist_payload(
        home, status="submitted", answers=complete_visit(children)), entity_id=checklist)
    assert hv.push([put_checklist]).get_json()["results"][0]["status"] == "applied"

    with app.app_context():
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == checklist)).one()
        summary = json.loads(row.flag_summary)
    assert {"rule": "poc-contact", "severity": "urgent"} in summary
