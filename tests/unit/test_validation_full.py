"""Answers to the whole home-visit v1 checklist (S1–S8) against the template:
person repeats, user-added rows, display-only fields and nested groups."""

from __future__ import annotations

import pytest

from visitcheck.checklists.service import builtin_template_files
from visitcheck.checklists.validation import validate_answers

AMY, BEN = "5b0a3a47-2f3e-4a52-8b0a-56a1f0e2c001", "5b0a3a47-2f3e-4a52-8b0a-56a1f0e2c002"
MUM, JOE = "5b0a3a47-2f3e-4a52-8b0a-56a1f0e2c003", "5b0a3a47-2f3e-4a52-8b0a-56a1f0e2c004"
ROW = "8e1c7a52-0d7f-4d4b-9d55-0c0f6a1f9a10"
PEOPLE = {"members": {MUM, AMY, BEN}, "adults": {MUM}, "parents": {MUM},
          "persons_of_concern": {JOE}}


@pytest.fixture(scope="module")
def template() -> dict:
    return next(t for t in builtin_template_files() if t["template"] == "home-visit")


def full_answers() -> dict:
    return {
        "visit": {"visit_at": "2026-11-20T10:30:00Z", "visit_type": "targeted", "no_access": False,
                  "present": "Mother, Amy, Ben",
                  "children": {AMY: {"seen": True, "seen_alone": "no_not_age_appropriate"},
                               BEN: {"seen": True, "seen_alone": "yes"}}},
        "household": {
            "members": {MUM: {"confirmed": True, "residence": "lives_here", "seen": True,
                              "details_source": "self"}},
            "new_members": {ROW: {"names": "Lee", "is_child": False, "estimated_age": 30,
                                  "residence": "overnight_weekly", "details_source": "refused",
                                  "details_description": "Tall, visits on Fridays"}},
            "notes": "Lee stays at weekends."},
        "risky_adults": {"concerns": {JOE: {
            "basis": ["convicted_child_offence"], "source": "Police", "source_date": "2025-01-10",
            "verified": True, "protect_source": False, "fact_or_opinion": "fact",
            "mappa_category": "2", "mappa_level": "1", "works_with_children": "no",
            "contact": {AMY: {"contact": "regular_unsupervised"},
                        BEN: {"contact": "none_known"}}}}},
        "parents": {"parents": {MUM: {"told": "no", "understanding": "not_discussed",
                                      "contact": "regular", "relies_for_childcare": False,
                                      "safety_agreement": "not_applicable"}}},
        "behaviour": {"children": {AMY: {"physical_signs": ["wetting_soiling"],
                                         "emotional_signs": ["sleep", "anxious"],
                                         "traffic_light": "amber",
                                         "sexual_behaviour": "Described in words",
                                         "child_words": "\"Grandad's game\""}}},
        "grooming": {"behaviours": ["gifts_secrets", "controls_access"], "isolation": "unknown",
                     "reassured": "unsure"},
        "technology": {"children": {BEN: {"looked_after": True, "placement_confidential": True,
                                          "online_contact": ["unapproved_family"],
                                          "location_exposed": "possible"}}},
        "analysis": {
            "facts": "Seen: ...", "opinion": "I think ...", "lived_experience": "Amy ...",
            "actions": {ROW: {"action": "Refer to social care", "flag": "poc-contact",
                              "owner": "hv", "due": "2026-11-20", "status": "done"}},
            "referrals": {ROW: {"made_at": "2026-11-20T11:00:00Z", "to": "Social care",
                                "reference": "CSC-1"}},
            "sharing": {ROW: {"what": "The concern", "with_role": "gp", "with_whom": "Dr Brown",
                              "why": "L1", "lawful_basis": "public_task",
                              "consent_sought": False, "consent_reason": "Would raise risk"}}},
    }


def fields(errors) -> set[str]:
    return {e.field for e in errors}


def test_a_whole_checklist_is_valid_on_submission(template):
    errors = validate_answers(template, full_answers(), children={AMY, BEN}, complete=True,
                              people=PEOPLE)

    assert errors == []


def test_a_visit_may_be_submitted_with_sections_two_to_eight_left_empty(template):
    only_s1 = {"visit": full_answers()["visit"]}

    assert validate_answers(template, only_s1, children={AMY, BEN}, complete=True,
                            people=PEOPLE) == []


def test_person_repeats_accept_any_id_when_the_people_are_not_given(template):
    assert validate_answers(template, full_answers(), children={AMY, BEN}, complete=True) == []


@pytest.mark.parametrize(("section", "change", "field"), [
    ("parents", {"parents": {JOE: {"told": "no"}}}, f"parents.parents.{JOE}"),
    ("household", {"members": {JOE: {"seen": True}}}, f"household.members.{JOE}"),
    ("risky_adults", {"concerns": {MUM: {"basis": ["admitted"]}}},
     f"risky_adults.concerns.{MUM}"),
    ("risky_adults", {"concerns": {JOE: {"contact": {MUM: {"contact": "supervised"}}}}},
     f"risky_adults.concerns.{JOE}.contact.{MUM}"),
])
def test_a_person_not_of_that_kind_is_named(template, section, change, field):
    answers = full_answers()
    answers[section] = change

    errors = validate_answers(template, answers, children={AMY, BEN}, complete=False,
                              people=PEOPLE)

    assert fields(errors) == {field}


@pytest.mark.parametrize(("section", "change", "field"), [
    ("behaviour", {"no_disclosure": "read"}, "behaviour.no_disclosure"),
    ("behaviour", {"children": {AMY: {"age_band": "0–5"}}}, f"behaviour.children.{AMY}.age_band"),
    ("behaviour", {"children": {AMY: {"traffic_light": "purple"}}},
     f"behaviour.children.{AMY}.traffic_light"),
    ("grooming", {"behaviours": "gifts_secrets"}, "grooming.behaviours"),
    ("analysis", {"actions": [{"action": "x"}]}, "analysis.actions"),
    ("analysis", {"actions": {ROW: {"colour": "red"}}}, f"analysis.actions.{ROW}.colour"),
    ("analysis", {"referrals": {ROW: {"made_at": "soon"}}}, f"analysis.referrals.{ROW}.made_at"),
    ("analysis", {"sharing": {"": {"what": "x"}}}, "analysis.sharing."),
    ("analysis", {"sharing": {ROW: {"consent_sought": True, "consent_reason": "x"}}},
     f"analysis.sharing.{ROW}.consent_reason"),
    ("household", {"members": {MUM: {"details_source": "self", "details_description": "x"}}},
     f"household.members.{MUM}.details_description"),
    ("technology", {"children": {BEN: {"looked_after": False, "placement_confidential": True}}},
     f"technology.children.{BEN}.placement_confidential"),
])
def test_wrong_answers_anywhere_are_named(template, section, change, field):
    answers = full_answers()
    answers[section] = change

    errors = validate_answers(template, answers, children={AMY, BEN}, complete=False,
                              people=PEOPLE)

    assert fields(errors) == {field}


def tiny(repeat: str, **group) -> dict:
    return {"template": "t", "version": 1, "sections": [{"id": "s", "fields": [
        {"id": "g", "type": "group", "repeat": repeat, "label": "G", **group,
         "fields": [{"id": "a", "type": "text", "label": "A", "required": True}]}]}]}


def test_a_required_person_repeat_needs_each_person_on_submission():
    errors = validate_answers(tiny("parents", required=True), {"s": {"g": {MUM: {"a": "x"}}}},
                              children=set(), complete=True, people={"parents": {MUM, JOE}})

    assert fields(errors) == {f"s.g.{JOE}"}


def test_rows_need_their_required_answers_on_submission():
    errors = validate_answers(tiny("rows"), {"s": {"g": {ROW: {}}}}, children=set(),
                              complete=True)

    assert fields(errors) == {f"s.g.{ROW}.a"}


def test_an_unknown_repeat_kind_is_named():
    errors = validate_answers(tiny("pets"), {"s": {"g": {"cat": {"a": "x"}}}}, children=set(),
                              complete=False)

    assert fields(errors) == {"s.g"}


def test_every_section_of_the_domain_is_in_the_template(template):
    assert [(s["code"], s["id"]) for s in template["sections"]] == [
        ("S1", "visit"), ("S2", "household"), ("S3", "risky_adults"), ("S4", "parents"),
        ("S5", "behaviour"), ("S6", "grooming"), ("S7", "technology"), ("S8", "analysis")]
    notes = [f for f in template["sections"][4]["fields"] if f["type"] == "note"]
    assert len(notes) == 1
    assert notes[0]["text"].startswith("No disclosure does not mean no abuse")


@pytest.mark.parametrize(("group", "field"), [
    ("actions", "owner"), ("actions", "due"), ("referrals", "to"),
    ("sharing", "lawful_basis"), ("sharing", "consent_reason"),
])
def test_a_recorded_action_referral_or_sharing_needs_its_details_on_submission(
        template, group, field):
    answers = full_answers()
    del answers["analysis"][group][ROW][field]

    on_submit = validate_answers(template, answers, children={AMY, BEN}, complete=True,
                                 people=PEOPLE)
    as_draft = validate_answers(template, answers, children={AMY, BEN}, complete=False,
                                people=PEOPLE)

    assert fields(on_submit) == {f"analysis.{group}.{ROW}.{field}"}
    assert as_draft == []
