"""The server runs the template's rules over everything the team holds, stores the
flag summary for the queue and sends the flags back to the device on pull."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, text

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


def _grandfather_with_a_conviction(hv, home: str, contact: list[str]) -> str:
    """Ray Holt visits `home` regularly, convicted of a child offence, with regular
    unsupervised contact with the children in `contact`."""
    grandfather = _new()
    _put(hv, "person.put", grandfather, _person("Ray Holt"))
    _put(hv, "membership.put", _new(), {"household_id": home, "person_id": grandfather,
                                        "residence": "visits_regularly"})
    _put(hv, "concern.put", _new(), {
        "person_id": grandfather, "basis": ["convicted_child_offence"],
        "source": "Police disclosure", "verified": True, "protect_source": False,
        "contact": {child: "regular_unsupervised" for child in contact}})
    return grandfather


def test_the_seed_scenario_raises_the_same_flags_on_the_server(app, demo, api_client):
    hv = api_client("hv")
    home = demo.households[0]
    children = demo.children[home]
    mother = person_id(app, home, "Kerry Lawson")
    grandfather = _grandfather_with_a_conviction(hv, home, children)
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


def _flags_row(app, checklist_id: str) -> tuple[bool, set[str]]:
    with app.app_context():
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == checklist_id)).one()
        return row.flags_due, {f["rule"] for f in json.loads(row.flag_summary)}


def _unseen_child_visit(demo) -> tuple[str, dict]:
    """A submission the rules flag: the first child was prevented from being seen alone."""
    home = demo.households[0]
    children = demo.children[home]
    answers = complete_visit(children)
    answers["visit"]["children"][children[0]]["seen_alone"] = "no_prevented"
    return home, answers


def test_a_pushs_submissions_have_their_flags_when_it_answers(app, demo, api_client):
    hv = api_client("hv")
    home, answers = _unseen_child_visit(demo)
    checklist = _new()
    _put(hv, "checklist.put", checklist, checklist_payload(home, status="submitted",
                                                           answers=answers))
    due, rules = _flags_row(app, checklist)
    assert not due
    assert "child-not-seen-alone" in rules


def test_flags_a_push_could_not_evaluate_are_evaluated_before_the_lead_sees_the_queue(
        app, demo, api_client, monkeypatch):
    from tests.review_support import web_client
    from visitcheck.rules import service as checklists

    hv = api_client("hv")
    home, answers = _unseen_child_visit(demo)
    evaluate = checklists.evaluate_due_flags

    def fails_once(*args, **kwargs):
        raise RuntimeError("the worker died between the commit and the rules")

    monkeypatch.setattr(checklists, "evaluate_due_flags", fails_once)
    checklist = _new()
    # The push still answers `applied`: its ops committed before the rules ran.
    _put(hv, "checklist.put", checklist, checklist_payload(home, status="submitted",
                                                           answers=answers))
    assert _flags_row(app, checklist) == (True, set())

    monkeypatch.setattr(checklists, "evaluate_due_flags", evaluate)
    body = web_client(app, "lead").get("/review").get_data(as_text=True)
    due, rules = _flags_row(app, checklist)
    assert not due
    assert "child-not-seen-alone" in rules
    assert "Child not seen alone" in body


def test_flags_read_at_an_older_revision_are_not_stored(app, demo, api_client, monkeypatch):
    from visitcheck.extensions import keyring
    from visitcheck.rules import service as checklists

    hv = api_client("hv")
    home, answers = _unseen_child_visit(demo)
    checklist = _new()
    _put(hv, "checklist.put", checklist, checklist_payload(home, status="submitted",
                                                           answers=answers))
    with app.app_context():
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == checklist)).one()
        row.flags_due, row.flag_summary = True, "[]"
        db.session.commit()
        read = checklists.flags_for_checklists

        def newer_revision_lands_meanwhile(session, rows, **kwargs):
            found = read(session, rows, **kwargs)
            with app.app_context():  # another request's transaction
                db.session.execute(text("UPDATE checklists SET rev = rev + 1 WHERE uuid = :u"),
                                   {"u": checklist})
                db.session.commit()
            return found

        monkeypatch.setattr(checklists, "flags_for_checklists",
                            newer_revision_lands_meanwhile)
        assert checklists.evaluate_due_flags(db.session, checklist_ids=[checklist],
                                             keyring=keyring()) == 0
        db.session.commit()
    assert _flags_row(app, checklist) == (True, set())


def test_one_reading_for_many_checklists_gives_each_the_flags_it_gets_alone(
        app, demo, api_client):
    """A push's submissions are evaluated together over one reading of the team's
    data; each must get exactly the flags it would get on its own."""
    from visitcheck.checklists import service as stored_checklists
    from visitcheck.extensions import keyring
    from visitcheck.rules import service as checklists

    hv = api_client("hv")
    home, second = demo.households[0], _new()
    children = demo.children[home]
    grandfather, child = _grandfather_with_a_conviction(hv, home, children[:1]), _new()
    _put(hv, "household.put", second, {"address": "2 Elm Court", "professionals": []})
    _put(hv, "person.put", child, _person("Tia Holt", is_child=True))
    for person in (child, grandfather):
        _put(hv, "membership.put", _new(), {"household_id": second, "person_id": person,
                                            "residence": "lives_here"})
    stored = []
    for household, kids in [(home, children), (second, [child]), (home, children),
                            (demo.households[1], demo.children[demo.households[1]])]:
        answers = complete_visit(kids)
        answers["visit"]["children"][kids[0]]["seen_alone"] = "no_prevented"
        stored.append(_new())
        _put(hv, "checklist.put", stored[-1], checklist_payload(
            household, status="submitted", answers=answers))

    with app.app_context():
        rows = [stored_checklists.checklist_by_public_id(db.session, c) for c in stored]
        rules = stored_checklists.loaded_template(db.session, template="home-visit",
                                                  version=1).rules
        now = datetime.now(UTC)

        def evaluate(some):
            return checklists.flags_for_checklists(
                db.session, some, rules_of=lambda _: rules, keyring=keyring(), now=now)

        together = evaluate(rows)
        alone = [evaluate([row])[0] for row in rows]
    assert together == alone
    assert {"poc-contact", "complex-abuse"} <= {f["rule"] for f in together[0]}
    assert "complex-abuse" in {f["rule"] for f in together[1]}
    assert "poc-contact" not in {f["rule"] for f in together[3]}


def test_a_checklist_the_rules_cannot_run_over_is_flagged_urgent_and_the_others_are_not_held_back(
        app, demo, api_client, monkeypatch):
    from tests.review_support import web_client
    from visitcheck.rules import engine as rules

    hv = api_client("hv")
    home, answers = _unseen_child_visit(demo)
    ops = [sealed_op(hv.bootstrap, checklist_payload(home, status="submitted", answers=answers))
           for _ in range(3)]
    broken = ops[1]["entity_id"]
    evaluate = rules.CompiledRules.evaluate

    def fails_for_one(self, context):
        if context["checklist"]["id"] == broken:
            raise rules.RuleError("a rule that cannot run over this checklist")
        return evaluate(self, context)

    monkeypatch.setattr(rules.CompiledRules, "evaluate", fails_for_one)
    results = hv.push(ops).get_json()["results"]

    assert [r["status"] for r in results] == ["applied"] * 3
    assert _flags_row(app, broken) == (False, {"rules-not-run"})
    for fine in (ops[0], ops[2]):
        due, raised = _flags_row(app, fine["entity_id"])
        assert not due
        assert "child-not-seen-alone" in raised
        assert "rules-not-run" not in raised
    lead = web_client(app, "lead")
    assert '<span class="flag-severity">Urgent:</span> Rules not run' in lead.get(
        "/review").get_data(as_text=True)
    assert "Read every answer and decide" in lead.get(f"/review/{broken}").get_data(
        as_text=True)
