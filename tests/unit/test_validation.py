"""Answers checked against the template version (home-visit v1, S1)."""

from __future__ import annotations

import pytest

from visitcheck.checklists.service import builtin_template_files
from visitcheck.checklists.validation import validate_answers

CHILD = "5b0a3a47-2f3e-4a52-8b0a-56a1f0e2c001"


@pytest.fixture(scope="module")
def template() -> dict:
    return next(t for t in builtin_template_files() if t["template"] == "home-visit")


def _visit(**changes) -> dict:
    visit = {"visit_at": "2026-11-20T10:30", "visit_type": "targeted", "no_access": False,
             "present": "Mother", "children": {CHILD: {"seen": True, "seen_alone": "yes"}}}
    visit.update(changes)
    return {"visit": {k: v for k, v in visit.items() if v is not None}}


def _fields(errors) -> set[str]:
    return {e.field for e in errors}


def test_a_complete_visit_is_valid(template):
    assert validate_answers(template, _visit(), children={CHILD}, complete=True) == []


def test_a_draft_may_leave_required_answers_out(template):
    assert validate_answers(template, {"visit": {"present": "x", "no_access": False}},
                            children={CHILD}, complete=False) == []


def test_a_submission_needs_every_shown_required_answer(template):
    errors = validate_answers(template, _visit(visit_type=None), children={CHILD}, complete=True)

    assert _fields(errors) == {"visit.visit_type"}


def test_each_child_needs_answers_on_submission(template):
    errors = validate_answers(template, _visit(children={}), children={CHILD}, complete=True)

    assert _fields(errors) == {f"visit.children.{CHILD}"}


def test_hidden_questions_are_not_required_but_may_not_be_answered(template):
    no_access = {"visit": {"visit_at": "2026-11-20T10:30", "visit_type": "targeted",
                           "no_access": True}}
    assert validate_answers(template, no_access, children={CHILD}, complete=True) == []

    no_access["visit"]["present"] = "someone"
    errors = validate_answers(template, no_access, children={CHILD}, complete=True)
    assert _fields(errors) == {"visit.present"}


@pytest.mark.parametrize(("changes", "field"), [
    ({"visit_type": "party"}, "visit.visit_type"),
    ({"no_access": "no"}, "visit.no_access"),
    ({"visit_at": "yesterday"}, "visit.visit_at"),
    ({"present": 7}, "visit.present"),
    ({"mood": "fine"}, "visit.mood"),
    ({"children": {"not-a-child": {"seen": True}}}, "visit.children.not-a-child"),
])
def test_wrong_types_and_unknown_fields_are_named(template, changes, field):
    errors = validate_answers(template, _visit(**changes), children={CHILD}, complete=False)

    assert field in _fields(errors)


def test_unknown_section_is_named(template):
    errors = validate_answers(template, {"gossip": {}}, children=set(), complete=False)

    assert _fields(errors) == {"gossip"}
